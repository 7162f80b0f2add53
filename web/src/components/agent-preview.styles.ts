import { css } from 'lit';

/** Below this width the panel sits under the conversation, folded into a bar until opened. */
export const agentPreviewStyles = css`
  :host {
    display: block;
    min-width: 0;
  }
  .panel {
    display: grid;
    gap: 0.75rem;
    padding: 1rem;
    line-height: 1.55;
    overflow-wrap: anywhere;
    word-break: keep-all;
  }
  .head {
    display: flex;
    align-items: center;
    gap: 0.5rem;
  }
  h2 {
    flex: 1;
    margin: 0;
    font-size: 0.8rem;
    font-weight: 700;
    letter-spacing: 0.04em;
    text-transform: uppercase;
    color: var(--ap-muted);
  }
  h3,
  h4,
  h5 {
    margin: 0 0 0.25rem;
  }
  h3 {
    font-size: 1.15rem;
  }
  h4 {
    font-size: 0.85rem;
    color: var(--ap-text-2);
  }
  h5 {
    font-size: 0.8rem;
    font-weight: 600;
    color: var(--ap-muted);
    margin-top: 0.5rem;
  }
  p {
    margin: 0;
  }
  .toggle,
  .folded-name {
    display: none;
  }
  .body {
    display: grid;
    gap: 1rem;
    min-width: 0;
  }
  .block {
    display: grid;
    gap: 0.15rem;
    min-width: 0;
  }
  .description {
    color: var(--ap-text-2);
  }
  .muted {
    color: var(--ap-muted);
  }
  .small {
    font-size: 0.8rem;
  }
  .runs,
  .plain {
    list-style: none;
    margin: 0;
    padding: 0;
    display: grid;
    gap: 0.2rem;
    font-variant-numeric: tabular-nums;
  }
  .runs .muted {
    display: block;
    font-size: 0.8rem;
  }
  .steps {
    margin: 0;
    padding-inline-start: 1.4rem;
    display: grid;
    gap: 0.25rem;
  }
  .instructions summary {
    cursor: pointer;
    font-size: 0.85rem;
    font-weight: 600;
    color: var(--ap-text-2);
  }
  .pre {
    white-space: pre-wrap;
    margin-top: 0.4rem;
    padding: 0.6rem 0.75rem;
    font-size: 0.85rem;
    background: var(--ap-code-bg);
    border-radius: var(--ap-radius-sm);
    max-height: 16rem;
    overflow: auto;
  }
  .facts {
    display: grid;
    grid-template-columns: repeat(auto-fill, minmax(7rem, 1fr));
    gap: 0.4rem 0.75rem;
    margin: 0;
  }
  .facts dt {
    font-size: 0.75rem;
    color: var(--ap-muted);
  }
  .facts dd {
    margin: 0;
    font-variant-numeric: tabular-nums;
  }
  code {
    font-family: var(--ap-mono);
    font-size: 0.85em;
  }
  .empty {
    display: grid;
    gap: 0.4rem;
    color: var(--ap-muted);
  }
  .empty-title {
    color: var(--ap-text);
    font-weight: 600;
  }
  .save {
    display: grid;
    gap: 0.6rem;
    padding-top: 0.75rem;
    border-top: 1px solid var(--ap-border);
  }
  .saved {
    display: flex;
    gap: 0.5rem;
    align-items: baseline;
    padding: 0.55rem 0.75rem;
    border-radius: var(--ap-radius-sm);
    border: 1px solid var(--ap-border);
    background: var(--ap-surface-2);
  }
  .saved.current {
    color: var(--ap-success);
    border-color: color-mix(in srgb, var(--ap-success) 35%, transparent);
    background: color-mix(in srgb, var(--ap-success) 8%, var(--ap-surface));
  }
  .saved a {
    margin-inline-start: 0.35rem;
    white-space: nowrap;
  }
  .secret {
    display: grid;
    gap: 0.4rem;
    padding: 0.6rem 0.75rem;
    border: 1px solid var(--ap-warn-border);
    background: var(--ap-warn-bg);
    color: var(--ap-warn-text);
    border-radius: var(--ap-radius-sm);
    font-size: 0.875rem;
  }
  .secret-row {
    display: flex;
    gap: 0.5rem;
    align-items: center;
  }
  .secret-value {
    flex: 1;
    min-width: 0;
    user-select: all;
    padding: 0.3rem 0.5rem;
    background: var(--ap-surface);
    border-radius: 6px;
    overflow-wrap: anywhere;
  }
  .issues {
    margin: 0.25rem 0 0;
    padding-inline-start: 1.1rem;
  }
  button.primary {
    justify-self: start;
  }
  @media (max-width: 60rem) {
    .panel {
      padding: 0.6rem 0.75rem;
      gap: 0.5rem;
    }
    .toggle {
      display: inline-flex;
    }
    .folded-name {
      display: block;
      font-weight: 600;
      overflow: hidden;
      text-overflow: ellipsis;
      white-space: nowrap;
    }
    .body.folded {
      display: none;
    }
  }
`;
