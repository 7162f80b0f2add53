import { css } from 'lit';

export const runPageStyles = css`
  .page {
    max-width: 56rem;
    display: grid;
    gap: 1rem;
  }
  .page > * {
    min-width: 0;
  }
  .crumbs {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: 0.4rem;
    font-size: 0.875rem;
    color: var(--ap-muted);
    overflow-wrap: anywhere;
  }
  .title-row {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: 0.5rem 0.75rem;
  }
  .title-row h1 {
    margin: 0;
    overflow-wrap: anywhere;
    word-break: keep-all;
  }
  .reason {
    margin: 0;
    line-height: 1.6;
    padding: 0.6rem 0.85rem;
    border-radius: var(--ap-radius-sm);
    border: 1px solid var(--ap-border);
    background: var(--ap-surface);
    overflow-wrap: anywhere;
    word-break: keep-all;
    white-space: pre-wrap;
  }
  .reason .note {
    display: block;
    margin-top: 0.25rem;
    font-size: 0.875rem;
    opacity: 0.85;
  }
  .reason.failed,
  .reason.timed_out {
    border-color: var(--ap-danger-border);
    background: var(--ap-danger-bg);
    color: var(--ap-danger-text);
  }
  .reason.skipped {
    border-color: var(--ap-warn-border);
    background: var(--ap-warn-bg);
    color: var(--ap-warn-text);
  }
  .muted {
    color: var(--ap-muted);
    margin: 0;
    line-height: 1.6;
  }
  .small {
    display: block;
    font-size: 0.8rem;
  }
  .actions {
    display: flex;
    flex-wrap: wrap;
    gap: 0.5rem;
  }
  .facts {
    display: grid;
    grid-template-columns: repeat(auto-fill, minmax(11rem, 1fr));
    gap: 0.75rem 1.25rem;
    margin: 0;
    padding: 1rem 1.1rem;
    background: var(--ap-surface);
    border: 1px solid var(--ap-border);
    border-radius: var(--ap-radius);
    box-shadow: var(--ap-shadow);
  }
  .facts dt {
    font-size: 0.8rem;
    color: var(--ap-muted);
    margin-bottom: 0.15rem;
  }
  .facts dd {
    margin: 0;
    font-variant-numeric: tabular-nums;
    overflow-wrap: anywhere;
  }
  .section {
    display: grid;
    gap: 0.6rem;
    min-width: 0;
  }
  .section h2 {
    font-size: 1.05rem;
    margin: 0.5rem 0 0;
  }
  .result {
    background: var(--ap-surface);
    border: 1px solid var(--ap-border);
    border-radius: var(--ap-radius);
    padding: 1rem 1.1rem;
    min-width: 0;
  }
`;
