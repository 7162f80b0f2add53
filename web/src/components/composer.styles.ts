import { css } from 'lit';

export const composerStyles = css`
  :host {
    display: block;
  }
  form {
    display: flex;
    align-items: flex-end;
    gap: 0.5rem;
    background: var(--ap-surface);
    border: 1px solid var(--ap-border-strong);
    border-radius: var(--ap-radius);
    padding: 0.4rem 0.4rem 0.4rem 0.75rem;
    box-shadow: var(--ap-shadow);
  }
  form:focus-within {
    border-color: var(--ap-accent);
    box-shadow: 0 0 0 3px var(--ap-focus-soft);
  }
  textarea {
    flex: 1;
    min-width: 0;
    resize: none;
    border: 0;
    padding: 0.45rem 0;
    line-height: 1.5;
    max-height: 40vh;
    min-height: 2.4rem;
    background: transparent;
    overflow-y: auto;
  }
  textarea:focus-visible {
    outline: none;
  }
  button {
    flex: none;
  }
  .hint {
    margin: 0.3rem 0.25rem 0;
    font-size: 0.75rem;
    color: var(--ap-muted);
  }
  .hint.warn {
    color: var(--ap-danger);
  }
  @media (hover: none) {
    .hint:not(.warn) {
      display: none;
    }
  }
`;
