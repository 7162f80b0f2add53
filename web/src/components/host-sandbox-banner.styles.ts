import { css } from 'lit';

export const hostSandboxBannerStyles = css`
  :host {
    display: block;
  }
  .banner {
    padding: 0.4rem 1rem;
    background: var(--ap-warn-bg);
    border-bottom: 1px solid var(--ap-warn-border);
    color: var(--ap-warn-text);
    font-size: 0.85rem;
    line-height: 1.45;
  }
  .inner {
    display: flex;
    align-items: baseline;
    gap: 0.5rem;
    max-width: 60rem;
    margin: 0 auto;
  }
  .icon {
    flex: none;
  }
  p {
    margin: 0;
    min-width: 0;
    overflow-wrap: anywhere;
    word-break: keep-all;
  }
  .warning {
    font-weight: 600;
  }
  .hint {
    opacity: 0.9;
  }
  @media (max-width: 30rem) {
    .banner {
      padding: 0.35rem 0.75rem;
      font-size: 0.8rem;
    }
    /* On a phone the warning alone: the how-to is for whoever runs the server. */
    .hint {
      display: none;
    }
  }
`;
