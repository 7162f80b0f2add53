import { css } from 'lit';

export const agentWebhookSecretStyles = css`
  :host {
    display: block;
  }
  .box {
    padding: 1rem 1.1rem;
    border: 1px solid var(--ap-warn-border);
    background: var(--ap-warn-bg);
    border-radius: var(--ap-radius-sm);
    color: var(--ap-text);
    display: grid;
    gap: 0.6rem;
  }
  h3 {
    margin: 0;
    font-size: 1rem;
  }
  p {
    margin: 0;
    line-height: 1.55;
    font-size: 0.9rem;
    overflow-wrap: anywhere;
  }
  .once {
    color: var(--ap-warn-text);
  }
  .copy {
    display: flex;
    gap: 0.5rem;
  }
  .copy input {
    flex: 1;
    min-width: 0;
  }
  .mono,
  .example {
    font-family: var(--ap-mono);
    font-size: 0.85rem;
  }
  .example {
    margin: 0;
    padding: 0.5rem 0.75rem;
    background: var(--ap-surface);
    border: 1px solid var(--ap-border);
    border-radius: var(--ap-radius-sm);
    white-space: pre-wrap;
    overflow-wrap: anywhere;
  }
  .actions {
    display: flex;
    justify-content: flex-end;
  }
`;
