import { css } from 'lit';

export const chatTurnStyles = css`
  :host {
    display: block;
    min-width: 0;
  }
  .turn {
    display: grid;
    gap: 0.75rem;
  }
  .user-row {
    display: flex;
    flex-direction: column;
    align-items: flex-end;
    gap: 0.25rem;
  }
  .user {
    max-width: min(85%, 42rem);
    background: var(--ap-user-bg);
    border: 1px solid var(--ap-user-border);
    border-radius: var(--ap-radius) var(--ap-radius) 4px var(--ap-radius);
    padding: 0.6rem 0.9rem;
    line-height: 1.6;
    white-space: pre-wrap;
    overflow-wrap: anywhere;
    word-break: keep-all;
  }
  .user.unknown {
    font-style: italic;
    color: var(--ap-muted);
    background: transparent;
  }
  .user[data-state='sending'] {
    opacity: 0.75;
  }
  .meta {
    font-size: 0.75rem;
    color: var(--ap-muted);
    display: inline-flex;
    align-items: center;
    gap: 0.35rem;
  }
  .items {
    display: grid;
    gap: 0.75rem;
    min-width: 0;
  }
  .items:empty {
    display: none;
  }
  .usage {
    display: flex;
    flex-wrap: wrap;
    gap: 0.2rem 0.9rem;
    font-size: 0.75rem;
    color: var(--ap-muted);
    font-variant-numeric: tabular-nums;
  }
  .usage dt {
    display: inline;
  }
  .usage dd {
    display: inline;
    margin: 0 0 0 0.25rem;
    color: var(--ap-text-2);
  }
  .usage div {
    white-space: nowrap;
  }
`;
