import { css } from 'lit';

export const agentPageStyles = css`
  .page.wide {
    max-width: 56rem;
  }
  .back {
    display: inline-block;
    font-size: 0.875rem;
    text-decoration: none;
    margin-bottom: 0.75rem;
  }
  .back:hover {
    text-decoration: underline;
  }
  .head {
    display: grid;
    gap: 0.5rem;
  }
  .title {
    display: flex;
    align-items: center;
    gap: 0.6rem;
    flex-wrap: wrap;
  }
  .title h1 {
    margin: 0;
    overflow-wrap: anywhere;
  }
  .head .lead {
    margin: 0;
  }
  .facts {
    display: grid;
    grid-template-columns: repeat(auto-fit, minmax(13rem, 1fr));
    gap: 0.75rem 1.25rem;
    margin: 0.5rem 0;
  }
  .facts div {
    min-width: 0;
  }
  .facts .wide {
    grid-column: 1 / -1;
  }
  dt {
    font-size: 0.75rem;
    font-weight: 600;
    color: var(--ap-muted);
  }
  dd {
    margin: 0.1rem 0 0;
    font-size: 0.925rem;
    line-height: 1.5;
    overflow-wrap: anywhere;
  }
  code {
    font-family: var(--ap-mono);
    font-size: 0.85rem;
    background: var(--ap-code-bg);
    padding: 0.1rem 0.35rem;
    border-radius: 4px;
  }
  .upcoming {
    list-style: none;
    margin: 0;
    padding: 0;
  }
  .muted {
    color: var(--ap-muted);
  }
  .actions {
    display: flex;
    flex-wrap: wrap;
    gap: 0.5rem;
    padding-top: 0.75rem;
    border-top: 1px solid var(--ap-border);
  }
  button.quiet {
    margin-left: auto;
    color: var(--ap-danger-text);
  }
  ap-error-banner {
    margin: 1rem 0;
  }
  .section {
    margin-top: 2rem;
  }
  .section h2 {
    font-size: 1.15rem;
    margin: 0 0 0.75rem;
  }
  .section-head {
    display: flex;
    align-items: center;
    justify-content: space-between;
    flex-wrap: wrap;
    gap: 0.5rem;
    margin-bottom: 0.75rem;
  }
  .section-head h2 {
    margin: 0;
  }
  .filter {
    display: inline-flex;
    align-items: center;
    gap: 0.5rem;
    font-size: 0.875rem;
    color: var(--ap-muted);
  }
  .filter select {
    padding: 0.35rem 0.6rem;
  }
  ap-agent-webhook-secret {
    margin-bottom: 1rem;
  }
  .empty {
    padding: 1.25rem;
    text-align: center;
    color: var(--ap-muted);
    border: 1px dashed var(--ap-border-strong);
    border-radius: var(--ap-radius);
    margin: 0;
  }
  .more {
    display: flex;
    justify-content: center;
    margin-top: 1rem;
  }
  .versions {
    list-style: none;
    margin: 0;
    padding: 0;
    border: 1px solid var(--ap-border);
    border-radius: var(--ap-radius);
    background: var(--ap-surface);
    overflow: hidden;
  }
  .versions li + li {
    border-top: 1px solid var(--ap-border);
  }
  summary {
    padding: 0.65rem 1rem;
    cursor: pointer;
    font-size: 0.925rem;
  }
  summary:hover {
    background: var(--ap-hover);
  }
  .current {
    margin-left: 0.4rem;
    padding: 0.05rem 0.45rem;
    border-radius: 999px;
    font-size: 0.75rem;
    font-weight: 600;
    background: var(--ap-user-bg);
    color: var(--ap-accent-text);
  }
  pre {
    margin: 0;
    padding: 0.75rem 1rem 1rem;
    font-family: var(--ap-mono);
    font-size: 0.85rem;
    white-space: pre-wrap;
    overflow-wrap: anywhere;
    background: var(--ap-surface-2);
    border-top: 1px solid var(--ap-border);
  }
  @media (max-width: 30rem) {
    button.quiet {
      margin-left: 0;
    }
  }
`;
