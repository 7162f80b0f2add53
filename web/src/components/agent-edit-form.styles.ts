import { css } from 'lit';

export const agentEditFormStyles = css`
  :host {
    display: block;
  }
  form {
    display: grid;
    gap: 1.1rem;
  }
  .field {
    display: grid;
    gap: 0.3rem;
    min-width: 0;
    align-content: start;
  }
  label[for],
  legend {
    font-size: 0.9rem;
    font-weight: 600;
  }
  input:not([type='checkbox']):not([type='radio']),
  select,
  textarea {
    width: 100%;
  }
  textarea {
    resize: vertical;
    min-height: 8rem;
    line-height: 1.5;
  }
  .mono {
    font-family: var(--ap-mono);
  }
  [aria-invalid='true'] {
    border-color: var(--ap-danger);
  }
  .hint {
    font-size: 0.8rem;
    color: var(--ap-muted);
    line-height: 1.5;
    margin: 0;
    word-break: keep-all;
    overflow-wrap: anywhere;
  }
  .field-error,
  .form-error {
    font-size: 0.85rem;
    color: var(--ap-danger-text);
    line-height: 1.45;
    overflow-wrap: anywhere;
  }
  .form-error {
    margin: 0;
  }
  fieldset {
    border: 1px solid var(--ap-border);
    border-radius: var(--ap-radius-sm);
    margin: 0;
    padding: 0.75rem 1rem 1rem;
    min-width: 0;
    display: grid;
    gap: 0.75rem;
  }
  fieldset.inner {
    border: 0;
    padding: 0;
    gap: 0.4rem;
  }
  legend {
    padding: 0 0.25rem;
  }
  fieldset.inner legend {
    padding: 0;
    font-weight: 500;
    font-size: 0.875rem;
  }
  .row {
    display: grid;
    grid-template-columns: repeat(auto-fit, minmax(11rem, 1fr));
    gap: 0.75rem;
  }
  .check {
    display: inline-flex;
    align-items: center;
    gap: 0.5rem;
    font-size: 0.925rem;
    cursor: pointer;
    min-height: 2rem;
  }
  .check input {
    width: 1.1rem;
    height: 1.1rem;
    margin: 0;
  }
  .preview {
    margin: 0;
    padding: 0.55rem 0.75rem;
    border-radius: var(--ap-radius-sm);
    background: var(--ap-user-bg);
    border: 1px solid var(--ap-user-border);
    font-size: 0.9rem;
    line-height: 1.5;
    display: grid;
    gap: 0.15rem;
    overflow-wrap: anywhere;
  }
  .preview.invalid {
    background: var(--ap-danger-bg);
    border-color: var(--ap-danger-border);
    color: var(--ap-danger-text);
  }
  .upcoming {
    color: var(--ap-muted);
    font-size: 0.85rem;
  }
  .actions {
    display: flex;
    justify-content: flex-end;
    flex-wrap: wrap;
    gap: 0.5rem;
  }
`;
