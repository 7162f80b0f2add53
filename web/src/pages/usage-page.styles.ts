import { css } from 'lit';

export const usagePageStyles = css`
  .page.wide {
    max-width: 56rem;
  }
  .range {
    display: flex;
    flex-wrap: wrap;
    gap: 0.4rem;
    border: 0;
    margin: 0 0 1.25rem;
    padding: 0;
  }
  /* The range picker: smaller pills than a form's (see choiceStyles). */
  .choice {
    min-height: 2.25rem;
    padding: 0.25rem 0.75rem;
  }
  .choice:has(input:checked) {
    font-weight: 600;
  }
  .refreshing {
    opacity: 0.6;
    transition: opacity 0.2s;
  }
  .card + .card {
    margin-top: 1rem;
  }
  h2 {
    font-size: 1.05rem;
    margin: 0 0 0.75rem;
  }
  .big {
    font-size: 1.35rem;
    font-weight: 700;
    margin: 0 0 0.6rem;
    font-variant-numeric: tabular-nums;
  }
  .hint {
    margin: 0.5rem 0 0;
    font-size: 0.85rem;
    color: var(--ap-muted);
    line-height: 1.5;
  }
  .bar {
    height: 0.75rem;
    border-radius: 999px;
    background: var(--ap-hover);
    overflow: hidden;
  }
  .bar span {
    display: block;
    height: 100%;
    border-radius: inherit;
    background: var(--ap-accent);
  }
  .bar.warn span {
    background: var(--ap-warn-dot);
  }
  .bar.over span {
    background: var(--ap-danger);
  }
  .notice {
    margin: 0.6rem 0 0;
    padding: 0.5rem 0.75rem;
    border-radius: var(--ap-radius-sm);
    font-size: 0.9rem;
    line-height: 1.5;
  }
  .notice.warn {
    background: var(--ap-warn-bg);
    border: 1px solid var(--ap-warn-border);
    color: var(--ap-warn-text);
  }
  .notice.over {
    background: var(--ap-danger-bg);
    border: 1px solid var(--ap-danger-border);
    color: var(--ap-danger-text);
  }
  .scroll {
    overflow-x: auto;
  }
  table {
    width: 100%;
    border-collapse: collapse;
    font-size: 0.9rem;
  }
  th,
  td {
    padding: 0.5rem 0.6rem;
    text-align: left;
    border-bottom: 1px solid var(--ap-border);
    white-space: nowrap;
  }
  thead th {
    font-size: 0.75rem;
    color: var(--ap-muted);
    font-weight: 600;
  }
  tbody th {
    font-weight: 500;
    white-space: normal;
    overflow-wrap: anywhere;
    min-width: 8rem;
  }
  tbody tr:last-child > * {
    border-bottom: 0;
  }
  .num {
    text-align: right;
    font-variant-numeric: tabular-nums;
  }
  .share {
    display: inline-flex;
    align-items: center;
    gap: 0.5rem;
    font-variant-numeric: tabular-nums;
  }
  .share-bar {
    display: inline-block;
    width: 4rem;
    height: 0.45rem;
    border-radius: 999px;
    background: var(--ap-hover);
    overflow: hidden;
  }
  .share-bar span {
    display: block;
    height: 100%;
    background: var(--ap-accent);
  }
  .deleted-name {
    color: var(--ap-muted);
  }
`;
