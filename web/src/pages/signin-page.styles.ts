import { css } from 'lit';

export const signinPageStyles = css`
  .page {
    max-width: 34rem;
  }
  form {
    display: grid;
    gap: 0.5rem;
    margin-top: 1rem;
  }
  label {
    font-weight: 600;
  }
  .row {
    display: flex;
    gap: 0.5rem;
    flex-wrap: wrap;
  }
  .row input {
    flex: 1 1 14rem;
    font-family: var(--ap-mono);
  }
  .row input:placeholder-shown {
    font-family: inherit;
  }
  .row button {
    flex: 0 0 auto;
  }
  p {
    line-height: 1.65;
    margin: 0 0 0.75rem;
    word-break: keep-all;
    overflow-wrap: anywhere;
  }
  ap-error-banner {
    margin-top: 0.75rem;
  }
  .notice {
    padding: 0.6rem 0.8rem;
    border-radius: var(--ap-radius-sm);
    background: var(--ap-warn-bg);
    border: 1px solid var(--ap-warn-border);
    color: var(--ap-warn-text);
  }
  button.google {
    width: 100%;
    min-height: 2.75rem;
    gap: 0.75rem;
    border-color: var(--ap-border-strong);
    white-space: normal;
  }
  button.google .g {
    flex: none;
  }
  .help {
    margin-top: 1.5rem;
    font-size: 0.9rem;
    color: var(--ap-text-2);
  }
  .help h2 {
    font-size: 1rem;
    margin: 0 0 0.4rem;
  }
  code {
    font-family: var(--ap-mono);
    font-size: 0.85em;
    background: var(--ap-code-bg);
    border-radius: 4px;
    padding: 0.1em 0.3em;
  }
`;
