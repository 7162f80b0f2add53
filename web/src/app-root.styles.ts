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
  @media (max-width: 30rem) {
    header {
      gap: 0.5rem;
      padding: 0 0.75rem;
    }
    .brand .name,
    .user-name {
      display: none;
    }
  }
`;
