import { css } from 'lit';

export const notificationBellStyles = css`
  :host {
    display: inline-block;
  }
  .wrap {
    position: relative;
  }
  .bell {
    position: relative;
    width: 2.25rem;
    min-height: 2.25rem;
    padding: 0;
    border-color: transparent;
    background: transparent;
    color: var(--ap-text-2);
  }
  .bell svg {
    flex: none;
    width: 1.25rem;
    height: 1.25rem;
  }
  .bell[aria-expanded='true'] {
    background: var(--ap-hover);
  }
  .count {
    position: absolute;
    top: 0.1rem;
    right: 0.05rem;
    min-width: 1.05rem;
    height: 1.05rem;
    padding: 0 0.25rem;
    border-radius: 999px;
    background: var(--ap-danger);
    color: #fff;
    font-size: 0.65rem;
    font-weight: 700;
    line-height: 1.05rem;
    text-align: center;
  }
  .panel {
    position: absolute;
    right: 0;
    top: calc(100% + 0.4rem);
    z-index: 20;
    width: min(24rem, calc(100vw - 1.5rem));
    max-height: min(28rem, calc(100dvh - 5rem));
    overflow-y: auto;
    background: var(--ap-surface);
    border: 1px solid var(--ap-border);
    border-radius: var(--ap-radius);
    box-shadow: 0 12px 32px rgb(16 24 40 / 16%);
    padding: 0.5rem 0;
  }
  h2 {
    font-size: 0.9rem;
    margin: 0.25rem 1rem 0.5rem;
  }
  ap-error-banner {
    margin: 0 0.75rem 0.5rem;
  }
  ul {
    list-style: none;
    margin: 0;
    padding: 0;
  }
  li + li {
    border-top: 1px solid var(--ap-border);
  }
  a {
    display: grid;
    gap: 0.2rem;
    padding: 0.6rem 1rem;
    color: var(--ap-text);
    text-decoration: none;
    font-size: 0.875rem;
    line-height: 1.45;
  }
  a:hover {
    background: var(--ap-hover);
  }
  a:focus-visible {
    outline-offset: -2px;
  }
  li.new a {
    background: var(--ap-user-bg);
  }
  li.new .line {
    font-weight: 600;
  }
  .line,
  .reason {
    overflow-wrap: anywhere;
  }
  .reason {
    color: var(--ap-text-2);
    font-size: 0.825rem;
  }
  .meta {
    display: flex;
    align-items: center;
    flex-wrap: wrap;
    gap: 0.35rem;
    color: var(--ap-muted);
    font-size: 0.8rem;
  }
  .empty,
  .loading {
    margin: 0;
    padding: 0.5rem 1rem 0.75rem;
    color: var(--ap-muted);
    font-size: 0.875rem;
    line-height: 1.5;
  }
  .loading {
    display: flex;
    align-items: center;
    gap: 0.5rem;
  }
  @media (max-width: 40rem) {
    /* Under the header across the screen: anchored to the bell, it would run off the left edge. */
    .panel {
      position: fixed;
      top: 3rem;
      left: 0.5rem;
      right: 0.5rem;
      width: auto;
    }
  }
`;
