import { css } from 'lit';

export const statusLineStyles = css`
  :host {
    display: block;
    min-width: 0;
  }
  .status {
    display: flex;
    align-items: center;
    gap: 0.5rem;
    font-size: 0.85rem;
    color: var(--ap-muted);
    min-height: 1.5rem;
    overflow: hidden;
  }
  .text {
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
  }
  .status.busy {
    color: var(--ap-accent-text);
  }
  .dot {
    flex: none;
    width: 0.5rem;
    height: 0.5rem;
    margin: 0 0.2rem;
    border-radius: 50%;
    background: var(--ap-success);
  }
  .sandbox {
    display: flex;
    align-items: center;
    gap: 0.5rem;
    min-width: 0;
  }
  .sandbox[hidden] {
    display: none;
  }
  .percent {
    flex: none;
    font-variant-numeric: tabular-nums;
  }
  .bar {
    flex: none;
    position: relative;
    width: 4.5rem;
    height: 0.375rem;
    border-radius: 999px;
    background: var(--ap-border);
    overflow: hidden;
  }
  .fill {
    display: block;
    height: 100%;
    width: 0;
    border-radius: inherit;
    background: var(--ap-accent);
    transition: width 0.3s ease-out;
  }
  .bar.indeterminate .fill {
    position: absolute;
    width: 40%;
    animation: ap-slide 1.2s ease-in-out infinite;
  }
  @keyframes ap-slide {
    from {
      left: -40%;
    }
    to {
      left: 100%;
    }
  }
  /* The note may give way first on a narrow screen: the activity beside it matters more. */
  .note {
    flex: 0 100 auto;
    color: var(--ap-success);
    gap: 0.3rem;
  }
  @media (prefers-reduced-motion: reduce) {
    .fill {
      transition: none;
    }
    .bar.indeterminate .fill {
      animation-duration: 3.6s;
    }
  }
`;
