import { css } from 'lit';

export const onboardingCardStyles = css`
  :host {
    display: block;
    margin-bottom: 1.5rem;
  }
  .card {
    background: var(--ap-surface);
    border: 1px solid var(--ap-border);
    border-radius: var(--ap-radius);
    padding: 1.25rem;
    box-shadow: var(--ap-shadow);
  }
  h2 {
    font-size: 1.15rem;
    line-height: 1.35;
    margin: 0 0 0.35rem;
  }
  .intro {
    color: var(--ap-muted);
    margin: 0 0 1rem;
    line-height: 1.6;
    word-break: keep-all;
    overflow-wrap: anywhere;
  }
  form {
    display: grid;
    gap: 1rem;
  }
  .field {
    display: grid;
    gap: 0.3rem;
  }
  label[for],
  legend {
    font-size: 0.9rem;
    font-weight: 600;
  }
  textarea {
    resize: vertical;
    width: 100%;
    min-height: 3.5rem;
  }
  .hint {
    font-size: 0.8rem;
    color: var(--ap-muted);
    word-break: keep-all;
  }
  fieldset {
    border: 0;
    margin: 0;
    padding: 0;
    min-width: 0;
  }
  legend {
    padding: 0;
    margin-bottom: 0.4rem;
  }
  .actions {
    display: flex;
    justify-content: flex-end;
    gap: 0.5rem;
    flex-wrap: wrap;
  }
  @media (max-width: 30rem) {
    .card {
      padding: 1rem;
    }
    .choice {
      flex: 1 1 auto;
    }
    .actions button {
      flex: 1 1 8rem;
    }
  }
`;
