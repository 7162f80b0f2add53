import { css } from 'lit';

export const sessionsPageStyles = css`
  form {
    display: flex;
    flex-wrap: wrap;
    align-items: flex-end;
    gap: 0.5rem;
    margin-bottom: 1.5rem;
  }
  .field {
    flex: 1 1 14rem;
    display: grid;
    gap: 0.3rem;
    min-width: 0;
  }
  label {
    font-size: 0.875rem;
    font-weight: 600;
  }
  form button {
    flex: 0 0 auto;
  }
  ap-error-banner {
    margin-bottom: 1rem;
  }
  .agent-cta {
    display: flex;
    align-items: center;
    justify-content: space-between;
    flex-wrap: wrap;
    gap: 0.5rem 1rem;
    margin-bottom: 1.5rem;
    padding: 0.75rem 1rem;
    border: 1px solid var(--ap-user-border);
    border-radius: var(--ap-radius);
    background: var(--ap-user-bg);
  }
  .agent-cta p {
    flex: 1 1 16rem;
    margin: 0;
    font-size: 0.925rem;
    line-height: 1.5;
    color: var(--ap-text-2);
    word-break: keep-all;
  }
  .empty {
    padding: 1.5rem;
    text-align: center;
    color: var(--ap-muted);
    border: 1px dashed var(--ap-border-strong);
    border-radius: var(--ap-radius);
    line-height: 1.6;
    word-break: keep-all;
  }
  .more {
    display: flex;
    justify-content: center;
    margin-top: 1rem;
  }
  @media (max-width: 30rem) {
    form button {
      flex: 1 1 100%;
    }
  }
`;
