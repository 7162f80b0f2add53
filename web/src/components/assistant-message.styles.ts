import { css } from 'lit';

export const assistantMessageStyles = css`
  :host {
    display: block;
    min-width: 0;
  }
  /* A caret at the end of the text while it streams. */
  .md.streaming > :last-child::after,
  .md.streaming:empty::after {
    content: '';
    display: inline-block;
    width: 0.45em;
    height: 1.05em;
    margin-left: 3px;
    vertical-align: text-bottom;
    background: var(--ap-accent);
    border-radius: 1px;
    animation: ap-blink 1s steps(2, start) infinite;
  }
  @keyframes ap-blink {
    to {
      visibility: hidden;
    }
  }
  @media (prefers-reduced-motion: reduce) {
    .md.streaming > :last-child::after {
      animation: none;
    }
  }
`;
