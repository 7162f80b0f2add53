import { css } from 'lit';

export const toolCardStyles = css`
  :host {
    display: block;
    min-width: 0;
  }
  details {
    border: 1px solid var(--ap-border);
    border-radius: var(--ap-radius-sm);
    background: var(--ap-surface-2);
    overflow: hidden;
  }
  details.error {
    border-color: var(--ap-danger-border);
  }
  summary {
    display: flex;
    align-items: center;
    gap: 0.55rem;
    padding: 0.5rem 0.75rem;
    cursor: pointer;
    list-style: none;
    font-size: 0.9rem;
    min-height: 2.5rem;
  }
  summary::-webkit-details-marker {
    display: none;
  }
  summary::after {
    content: '';
    flex: none;
    margin-left: auto;
    width: 0.45rem;
    height: 0.45rem;
    border-right: 2px solid var(--ap-muted);
    border-bottom: 2px solid var(--ap-muted);
    transform: rotate(-45deg);
    transition: transform 0.15s;
  }
  details[open] summary::after {
    transform: rotate(45deg);
  }
  summary:hover {
    background: var(--ap-hover);
  }
  .icon {
    flex: none;
    display: inline-flex;
    width: 1.1rem;
    justify-content: center;
    color: var(--ap-muted);
  }
  .icon.done {
    color: var(--ap-success);
  }
  .icon.error {
    color: var(--ap-danger);
  }
  .name {
    flex: none;
    font-weight: 600;
    font-family: var(--ap-mono);
    font-size: 0.85rem;
  }
  .summary {
    flex: 1 1 auto;
    min-width: 0;
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
    color: var(--ap-muted);
    font-family: var(--ap-mono);
    font-size: 0.8rem;
  }
  .body {
    border-top: 1px solid var(--ap-border);
    padding: 0.6rem 0.75rem 0.75rem;
    display: grid;
    gap: 0.35rem;
  }
  .label {
    font-size: 0.75rem;
    font-weight: 600;
    text-transform: uppercase;
    letter-spacing: 0.04em;
    color: var(--ap-muted);
  }
  .label:not(:first-child) {
    margin-top: 0.4rem;
  }
  pre {
    margin: 0;
    font-family: var(--ap-mono);
    font-size: 0.8rem;
    line-height: 1.5;
    background: var(--ap-surface);
    border: 1px solid var(--ap-border);
    border-radius: 6px;
    padding: 0.55rem 0.7rem;
    max-height: 20rem;
    overflow: auto;
    white-space: pre-wrap;
    overflow-wrap: anywhere;
  }
  pre.command::before {
    content: '$ ';
    color: var(--ap-muted);
  }
  pre.output.error {
    background: var(--ap-danger-bg);
    border-color: var(--ap-danger-border);
    color: var(--ap-danger);
  }
  .note {
    font-size: 0.8rem;
    color: var(--ap-muted);
  }
`;
