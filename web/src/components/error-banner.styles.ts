import { css } from 'lit';

export const errorBannerStyles = css`
  :host {
    display: block;
  }
  .banner {
    display: flex;
    align-items: flex-start;
    gap: 0.6rem;
    padding: 0.7rem 0.85rem;
    border: 1px solid var(--ap-danger-border);
    background: var(--ap-danger-bg);
    color: var(--ap-danger-text);
    border-radius: var(--ap-radius-sm);
    font-size: 0.925rem;
    line-height: 1.5;
  }
  .text {
    flex: 1;
    min-width: 0;
    overflow-wrap: anywhere;
  }
  .heading {
    font-weight: 600;
  }
  .detail {
    margin-top: 0.15rem;
  }
  .code {
    font-family: var(--ap-mono);
    font-size: 0.8rem;
    opacity: 0.85;
  }
  .actions {
    display: flex;
    gap: 0.4rem;
    flex-wrap: wrap;
    margin-top: 0.5rem;
  }
  .actions:not(:has(*)) {
    display: none;
  }
  .close {
    flex: none;
    min-height: 2rem;
    width: 2rem;
    padding: 0;
    border: 0;
    background: transparent;
    color: inherit;
    font-size: 1.1rem;
  }
`;
