import { css } from 'lit';

/** The frame of the scrolling pages (sign-in, sessions): a centred column with room at the edges. */
export const pageStyles = css`
  :host {
    display: block;
    flex: 1;
    overflow-y: auto;
  }
  .page {
    max-width: 44rem;
    margin: 0 auto;
    padding: 2rem 1rem 3rem;
  }
  h1 {
    font-size: 1.5rem;
    line-height: 1.3;
    margin: 0 0 0.5rem;
  }
  .lead {
    color: var(--ap-muted);
    margin: 0 0 1.5rem;
    line-height: 1.6;
    word-break: keep-all;
    overflow-wrap: anywhere;
  }
  .card {
    background: var(--ap-surface);
    border: 1px solid var(--ap-border);
    border-radius: var(--ap-radius);
    padding: 1.25rem;
    box-shadow: var(--ap-shadow);
  }
  .loading {
    display: flex;
    align-items: center;
    gap: 0.5rem;
    color: var(--ap-muted);
    padding: 1rem 0;
  }
  @media (max-width: 30rem) {
    .page {
      padding: 1.25rem 0.75rem 2rem;
    }
    .card {
      padding: 1rem;
    }
  }
`;
