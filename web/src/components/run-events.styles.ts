import { css } from 'lit';

export const runEventsStyles = css`
  :host {
    display: block;
    min-width: 0;
  }
  .events,
  .items {
    display: grid;
    gap: 0.75rem;
    min-width: 0;
  }
  .items:empty {
    display: none;
  }
  .empty {
    margin: 0;
    color: var(--ap-muted);
    line-height: 1.6;
  }
`;
