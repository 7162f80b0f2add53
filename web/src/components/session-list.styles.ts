import { css } from 'lit';

export const sessionListStyles = css`
  :host {
    display: block;
  }
  ul {
    list-style: none;
    margin: 0;
    padding: 0;
    border: 1px solid var(--ap-border);
    border-radius: var(--ap-radius);
    background: var(--ap-surface);
    overflow: hidden;
  }
  li + li {
    border-top: 1px solid var(--ap-border);
  }
  a {
    display: flex;
    flex-direction: column;
    gap: 0.15rem;
    padding: 0.8rem 1rem;
    color: inherit;
    text-decoration: none;
    min-width: 0;
  }
  a:hover {
    background: var(--ap-hover);
  }
  a:focus-visible {
    outline-offset: -2px;
  }
  .title {
    font-weight: 600;
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
    color: var(--ap-link);
  }
  .tag {
    flex: none;
    padding: 0.05rem 0.45rem;
    border-radius: 999px;
    font-size: 0.75rem;
    background: var(--accent-soft, #e8efff);
    color: var(--accent, #2952cc);
  }
  .title.untitled {
    color: var(--ap-muted);
    font-style: italic;
  }
  .meta {
    font-size: 0.8rem;
    color: var(--ap-muted);
  }
`;
