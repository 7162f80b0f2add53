import { css } from 'lit';

export const agentRunTableStyles = css`
  :host {
    display: block;
  }
  .scroll {
    overflow-x: auto;
    border: 1px solid var(--ap-border);
    border-radius: var(--ap-radius);
    background: var(--ap-surface);
  }
  table {
    width: 100%;
    border-collapse: collapse;
    font-size: 0.9rem;
  }
  th,
  td {
    padding: 0.55rem 0.75rem;
    text-align: left;
    vertical-align: middle;
    border-bottom: 1px solid var(--ap-border);
  }
  tbody tr:last-child td {
    border-bottom: 0;
  }
  th {
    font-size: 0.75rem;
    font-weight: 600;
    color: var(--ap-muted);
    background: var(--ap-surface-2);
    white-space: nowrap;
  }
  td {
    white-space: nowrap;
  }
  td.reason {
    white-space: normal;
    min-width: 12rem;
    max-width: 24rem;
    overflow-wrap: anywhere;
    color: var(--ap-text-2);
  }
  td.reason .note {
    display: block;
    font-size: 0.8rem;
    color: var(--ap-muted);
  }
  .num {
    text-align: right;
    font-variant-numeric: tabular-nums;
  }
  .muted {
    color: var(--ap-muted);
  }
  tbody tr:hover {
    background: var(--ap-hover);
  }
`;
