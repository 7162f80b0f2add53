import { css } from 'lit';

/** Buttons, inputs, focus rings and helpers shared by every component (colours come from index.html). */
export const sharedStyles = css`
  :host {
    box-sizing: border-box;
  }
  *,
  *::before,
  *::after {
    box-sizing: inherit;
  }
  :focus-visible {
    outline: 2px solid var(--ap-focus);
    outline-offset: 2px;
  }
  .visually-hidden {
    position: absolute;
    width: 1px;
    height: 1px;
    margin: -1px;
    padding: 0;
    overflow: hidden;
    clip: rect(0 0 0 0);
    white-space: nowrap;
    border: 0;
  }
  button,
  .button {
    font: inherit;
    font-weight: 600;
    display: inline-flex;
    align-items: center;
    justify-content: center;
    gap: 0.4em;
    min-height: 2.5rem;
    padding: 0.5rem 1rem;
    border-radius: var(--ap-radius-sm);
    border: 1px solid var(--ap-border-strong);
    background: var(--ap-surface);
    color: var(--ap-text);
    cursor: pointer;
    text-decoration: none;
    white-space: nowrap;
  }
  button:hover:not(:disabled),
  .button:hover {
    background: var(--ap-hover);
  }
  button.primary {
    background: var(--ap-accent);
    border-color: var(--ap-accent);
    color: var(--ap-on-accent);
  }
  button.primary:hover:not(:disabled) {
    background: var(--ap-accent-hover);
  }
  button:disabled {
    cursor: not-allowed;
    opacity: 0.55;
  }
  button.small {
    min-height: 2rem;
    padding: 0.25rem 0.75rem;
    font-size: 0.875rem;
  }
  input,
  textarea,
  select {
    font: inherit;
    color: var(--ap-text);
    background: var(--ap-surface);
    border: 1px solid var(--ap-border-strong);
    border-radius: var(--ap-radius-sm);
    padding: 0.55rem 0.75rem;
    min-width: 0;
  }
  input:focus-visible,
  textarea:focus-visible,
  select:focus-visible {
    outline: 2px solid var(--ap-focus);
    outline-offset: 0;
    border-color: var(--ap-accent);
  }
  a {
    color: var(--ap-link);
  }
  .spinner {
    display: inline-block;
    flex: none;
    width: 0.9em;
    height: 0.9em;
    border: 2px solid currentColor;
    border-right-color: transparent;
    border-radius: 50%;
    animation: ap-spin 0.8s linear infinite;
    vertical-align: -0.1em;
  }
  @keyframes ap-spin {
    to {
      transform: rotate(360deg);
    }
  }
  @media (prefers-reduced-motion: reduce) {
    .spinner {
      animation-duration: 2.4s;
    }
  }
`;

/** Radio and checkbox choices drawn as pills (`.choices` holds `label.choice` with its input). */
export const choiceStyles = css`
  .choices {
    display: flex;
    flex-wrap: wrap;
    gap: 0.4rem;
  }
  .choice {
    display: inline-flex;
    align-items: center;
    gap: 0.4rem;
    min-height: 2.5rem;
    padding: 0.3rem 0.75rem;
    border: 1px solid var(--ap-border-strong);
    border-radius: var(--ap-radius-sm);
    background: var(--ap-surface);
    cursor: pointer;
    font-size: 0.9rem;
  }
  .choice:has(input:checked) {
    border-color: var(--ap-accent);
    background: var(--ap-user-bg);
  }
  .choice:has(input:focus-visible) {
    outline: 2px solid var(--ap-focus);
    outline-offset: 2px;
  }
  .choice input {
    margin: 0;
    accent-color: var(--ap-accent);
  }
`;
