import { css } from 'lit';

export const runFilesStyles = css`
  :host {
    display: block;
    min-width: 0;
  }
  .scroll {
    overflow-x: auto;
    border: 1px solid var(--ap-border);
    border-radius: var(--ap-radius-sm);
    background: var(--ap-surface);
  }
  table {
    border-collapse: collapse;
    width: 100%;
    font-size: 0.9rem;
  }
  th,
  td {
    text-align: start;
    padding: 0.45rem 0.7rem;
    border-bottom: 1px solid var(--ap-border);
    vertical-align: middle;
  }
  thead th {
    font-weight: 600;
    font-size: 0.8rem;
    color: var(--ap-muted);
    background: var(--ap-surface-2);
    white-space: nowrap;
  }
  tbody tr:last-child > td {
    border-bottom: none;
  }
  .num {
    text-align: end;
    white-space: nowrap;
    font-variant-numeric: tabular-nums;
  }
  .path code {
    font-family: var(--ap-mono);
    font-size: 0.85rem;
    overflow-wrap: anywhere;
  }
  .action {
    text-align: end;
    white-space: nowrap;
  }
  .change {
    font-size: 0.8rem;
    white-space: nowrap;
  }
  .change.created {
    color: var(--ap-success);
  }
  .change.deleted {
    color: var(--ap-danger);
  }
  .unavailable {
    font-size: 0.8rem;
    color: var(--ap-muted);
  }
  .viewer-row > td {
    background: var(--ap-surface-2);
    padding: 0.6rem;
  }
  .viewer {
    min-width: 0;
  }
  pre.text {
    margin: 0;
    max-height: 28rem;
    overflow: auto;
    padding: 0.7rem 0.85rem;
    background: var(--ap-code-bg);
    border-radius: var(--ap-radius-sm);
    font-family: var(--ap-mono);
    font-size: 0.82rem;
    line-height: 1.5;
    white-space: pre-wrap;
    overflow-wrap: anywhere;
  }
  img {
    display: block;
    max-width: 100%;
    max-height: 32rem;
    height: auto;
    background: var(--ap-surface);
    border: 1px solid var(--ap-border);
    border-radius: var(--ap-radius-sm);
  }
  .table-scroll {
    max-height: 28rem;
    overflow: auto;
    border: 1px solid var(--ap-border);
    border-radius: var(--ap-radius-sm);
    background: var(--ap-surface);
  }
  table.csv {
    width: auto;
    min-width: 100%;
    font-size: 0.82rem;
    font-variant-numeric: tabular-nums;
  }
  table.csv th,
  table.csv td {
    padding: 0.3rem 0.6rem;
    border: 1px solid var(--ap-border);
    white-space: pre-wrap;
    max-width: 24rem;
    overflow-wrap: anywhere;
    vertical-align: top;
  }
  table.csv thead th {
    position: sticky;
    top: 0;
    z-index: 1;
    color: var(--ap-text);
  }
  .note,
  .empty {
    margin: 0.5rem 0 0;
    color: var(--ap-muted);
    font-size: 0.875rem;
    line-height: 1.55;
    display: flex;
    align-items: center;
    gap: 0.4rem;
    overflow-wrap: anywhere;
  }
  .empty {
    margin: 0;
  }
`;
