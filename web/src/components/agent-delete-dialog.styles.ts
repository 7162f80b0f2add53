import { css } from 'lit';

export const agentDeleteDialogStyles = css`
  dialog {
    width: min(32rem, calc(100vw - 2rem));
    padding: 1.25rem;
    border: 1px solid var(--ap-border);
    border-radius: var(--ap-radius);
    background: var(--ap-surface);
    color: var(--ap-text);
    box-shadow: 0 12px 32px rgb(16 24 40 / 18%);
  }
  dialog::backdrop {
    background: rgb(16 24 40 / 40%);
  }
  h2 {
    font-size: 1.15rem;
    line-height: 1.35;
    margin: 0 0 0.75rem;
    overflow-wrap: anywhere;
  }
  ul {
    margin: 0 0 0.75rem;
    padding-left: 1.2rem;
    display: grid;
    gap: 0.4rem;
    line-height: 1.55;
  }
  .folder {
    display: block;
    margin-top: 0.25rem;
    padding: 0.3rem 0.5rem;
    font-family: var(--ap-mono);
    font-size: 0.85rem;
    background: var(--ap-code-bg);
    border-radius: var(--ap-radius-sm);
    overflow-wrap: anywhere;
  }
  .hint {
    margin: 0 0 1rem;
    color: var(--ap-muted);
    font-size: 0.9rem;
    line-height: 1.55;
  }
  ap-error-banner {
    margin-bottom: 1rem;
  }
  .actions {
    display: flex;
    justify-content: flex-end;
    flex-wrap: wrap;
    gap: 0.5rem;
  }
  button.danger {
    background: var(--ap-danger);
    border-color: var(--ap-danger);
    color: #fff;
  }
  button.danger:hover:not(:disabled) {
    background: var(--ap-danger-text);
  }
`;
