import { css } from 'lit';

export const appRootStyles = css`
  :host {
    display: flex;
    flex-direction: column;
    height: 100vh;
    height: 100dvh;
    overflow: hidden;
  }
  header {
    flex: none;
    display: flex;
    align-items: center;
    gap: 0.75rem;
    padding: 0 1rem;
    min-height: 3.25rem;
    background: var(--ap-surface);
    border-bottom: 1px solid var(--ap-border);
  }
  .brand {
    display: inline-flex;
    align-items: center;
    gap: 0.5rem;
    font-weight: 700;
    color: var(--ap-text);
    text-decoration: none;
    white-space: nowrap;
  }
  .logo {
    display: inline-grid;
    place-items: center;
    width: 1.75rem;
    height: 1.75rem;
    border-radius: 8px;
    background: var(--ap-accent);
    color: var(--ap-on-accent);
    font-size: 0.9rem;
  }
  .spacer {
    flex: 1;
  }
  nav {
    display: flex;
    align-items: stretch;
    align-self: stretch;
    gap: 0.25rem;
    margin-left: 0.5rem;
    min-width: 0;
  }
  nav a {
    display: inline-flex;
    align-items: center;
    padding: 0 0.6rem;
    border-bottom: 2px solid transparent;
    color: var(--ap-text-2);
    font-size: 0.925rem;
    font-weight: 500;
    text-decoration: none;
    white-space: nowrap;
  }
  nav a:hover {
    color: var(--ap-text);
    background: var(--ap-hover);
  }
  nav a[aria-current='page'] {
    color: var(--ap-accent-text);
    border-bottom-color: var(--ap-accent);
    font-weight: 600;
  }
  nav a:focus-visible {
    outline-offset: -2px;
  }
  .user {
    display: inline-flex;
    align-items: center;
    gap: 0.5rem;
    min-width: 0;
    font-size: 0.875rem;
    color: var(--ap-muted);
  }
  .user-name {
    max-width: 12rem;
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
  }
  .avatar {
    flex: none;
    width: 1.75rem;
    height: 1.75rem;
    border-radius: 50%;
    object-fit: cover;
    background: var(--ap-hover);
  }
  main {
    flex: 1;
    min-height: 0;
    display: flex;
    flex-direction: column;
  }
  .page {
    flex: 1;
    overflow-y: auto;
    max-width: 44rem;
    width: 100%;
    margin: 0 auto;
    padding: 2rem 1rem;
  }
  @media (max-width: 48rem) {
    .brand .name,
    .user-name {
      display: none;
    }
  }
  @media (max-width: 40rem) {
    /* The sections get a row of their own under the brand and the person's controls. */
    header {
      flex-wrap: wrap;
      gap: 0.5rem;
      padding: 0.4rem 0.75rem 0;
    }
    nav {
      order: 10;
      flex: 1 0 100%;
      margin: 0 -0.75rem;
      gap: 0;
      border-top: 1px solid var(--ap-border);
    }
    nav a {
      flex: 1;
      justify-content: center;
      min-height: 2.5rem;
    }
  }
`;
