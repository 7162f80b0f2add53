import { css } from 'lit';

export const agentCardStyles = css`
  :host {
    display: block;
  }
  .card {
    background: var(--ap-surface);
    border: 1px solid var(--ap-border);
    border-radius: var(--ap-radius);
    padding: 1rem 1.25rem;
    box-shadow: var(--ap-shadow);
  }
  .head {
    display: flex;
    align-items: center;
    gap: 0.6rem;
    flex-wrap: wrap;
  }
  h2 {
    margin: 0;
    font-size: 1.1rem;
    line-height: 1.35;
    min-width: 0;
    overflow-wrap: anywhere;
  }
  h2 a {
    color: var(--ap-text);
    text-decoration: none;
  }
  h2 a:hover {
    color: var(--ap-link);
    text-decoration: underline;
  }
  .description {
    margin: 0.3rem 0 0;
    color: var(--ap-muted);
    font-size: 0.925rem;
    line-height: 1.5;
    overflow-wrap: anywhere;
  }
  .facts {
    display: grid;
    grid-template-columns: repeat(auto-fit, minmax(9rem, 1fr));
    gap: 0.6rem 1.25rem;
    margin: 0.85rem 0;
  }
  .facts div {
    min-width: 0;
  }
  dt {
    font-size: 0.75rem;
    font-weight: 600;
    text-transform: uppercase;
    letter-spacing: 0.03em;
    color: var(--ap-muted);
  }
  :host(:lang(ko)) dt {
    text-transform: none;
    letter-spacing: normal;
  }
  dd {
    margin: 0.1rem 0 0;
    font-size: 0.925rem;
    line-height: 1.5;
    overflow-wrap: anywhere;
  }
  .muted {
    color: var(--ap-muted);
  }
  .actions {
    display: flex;
    flex-wrap: wrap;
    gap: 0.4rem;
    padding-top: 0.75rem;
    border-top: 1px solid var(--ap-border);
  }
  .button.small {
    min-height: 2rem;
    padding: 0.25rem 0.75rem;
    font-size: 0.875rem;
  }
  button.quiet {
    margin-left: auto;
    color: var(--ap-danger-text);
  }
  @media (max-width: 30rem) {
    .card {
      padding: 0.9rem 1rem;
    }
    button.quiet {
      margin-left: 0;
    }
  }
`;
