import { css } from 'lit';

export const modelBannerStyles = css`
  :host {
    display: block;
  }
  .banner {
    padding: 0.7rem 1rem;
    background: var(--ap-warn-bg);
    border-bottom: 1px solid var(--ap-warn-border);
    color: var(--ap-warn-text);
    font-size: 0.9rem;
    line-height: 1.55;
  }
  .inner {
    max-width: 60rem;
    margin: 0 auto;
  }
  strong {
    display: block;
    margin-bottom: 0.15rem;
  }
  p {
    margin: 0;
    overflow-wrap: anywhere;
    word-break: keep-all;
  }
  code {
    display: block;
    margin-top: 0.4rem;
    font-family: var(--ap-mono);
    font-size: 0.8rem;
    background: var(--ap-surface);
    border: 1px solid var(--ap-warn-border);
    border-radius: 6px;
    padding: 0.35rem 0.6rem;
    overflow-x: auto;
    white-space: pre;
  }
`;
