import { css } from 'lit';

export const connIndicatorStyles = css`
  :host {
    display: inline-flex;
  }
  .conn {
    display: inline-flex;
    align-items: center;
    gap: 0.4rem;
    font-size: 0.8rem;
    color: var(--ap-muted);
    white-space: nowrap;
  }
  .dot {
    width: 0.55rem;
    height: 0.55rem;
    border-radius: 50%;
    background: var(--ap-warn-dot);
  }
  .conn[data-state='connected'] .dot {
    background: var(--ap-success);
  }
  .conn[data-state='reconnecting'] .dot {
    animation: ap-pulse 1.2s ease-in-out infinite;
  }
  @keyframes ap-pulse {
    50% {
      opacity: 0.3;
    }
  }
  @media (max-width: 30rem) {
    .label.when-connected {
      display: none;
    }
  }
`;
