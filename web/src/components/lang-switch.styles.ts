import { css } from 'lit';

export const langSwitchStyles = css`
  :host {
    display: inline-block;
  }
  select {
    padding: 0.3rem 0.5rem;
    font-size: 0.875rem;
    min-height: 2.25rem;
  }
`;
