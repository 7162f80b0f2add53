import { css } from 'lit';

export const agentsPageStyles = css`
  .page.wide {
    max-width: 56rem;
  }
  .title-row {
    display: flex;
    align-items: flex-start;
    justify-content: space-between;
    gap: 0.75rem;
    flex-wrap: wrap;
  }
  ap-error-banner {
    margin-bottom: 1rem;
  }
  .agents {
    list-style: none;
    margin: 0;
    padding: 0;
    display: grid;
    gap: 0.85rem;
  }
  .total {
    display: flex;
    justify-content: space-between;
    align-items: baseline;
    gap: 1rem;
    margin-top: 1rem;
    padding: 0.85rem 1.25rem;
    border: 1px solid var(--ap-border);
    border-radius: var(--ap-radius);
    background: var(--ap-surface-2);
    font-weight: 600;
  }
  .total strong {
    font-size: 1.1rem;
    font-variant-numeric: tabular-nums;
  }
  .note {
    margin: 0.5rem 0 0;
    font-size: 0.85rem;
    color: var(--ap-muted);
    line-height: 1.5;
  }
  .empty {
    padding: 1.5rem;
    border: 1px dashed var(--ap-border-strong);
    border-radius: var(--ap-radius);
    background: var(--ap-surface);
    line-height: 1.6;
    word-break: keep-all;
    overflow-wrap: anywhere;
  }
  .empty h2 {
    margin: 0 0 0.4rem;
    font-size: 1.15rem;
  }
  .empty p {
    margin: 0 0 0.75rem;
    color: var(--ap-text-2);
  }
  .empty ol {
    margin: 0 0 1.25rem;
    padding-left: 1.3rem;
    color: var(--ap-text-2);
    display: grid;
    gap: 0.3rem;
  }
`;
