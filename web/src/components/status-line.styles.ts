import { css } from 'lit';

export const statusLineStyles = css`
  :host {
    display: block;
    min-width: 0;
  }
  .status {
    display: flex;
    align-items: center;
    gap: 0.5rem;
    font-size: 0.85rem;
    color: var(--ap-muted);
    min-height: 1.5rem;
    overflow: hidden;
  }
  .text {
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
  }
  .status.busy {
    color: var(--ap-accent-text);
  }
  .dot {
    flex: none;
    width: 0.5rem;
    height: 0.5rem;
    margin: 0 0.2rem;
    border-radius: 50%;
    background: var(--ap-success);
  }
`;
