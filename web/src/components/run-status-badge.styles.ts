import { css } from 'lit';

/** A small rounded label with a coloured dot: run statuses, an agent's Active / Paused. */
export const badgeStyles = css`
  :host {
    display: inline-flex;
    vertical-align: middle;
  }
  .badge {
    display: inline-flex;
    align-items: center;
    gap: 0.35em;
    padding: 0.1rem 0.55rem;
    border-radius: 999px;
    border: 1px solid var(--ap-border);
    background: var(--ap-surface-2);
    color: var(--ap-text-2);
    font-size: 0.8rem;
    font-weight: 600;
    line-height: 1.5;
    white-space: nowrap;
  }
  .dot {
    width: 0.5rem;
    height: 0.5rem;
    border-radius: 50%;
    background: var(--ap-muted);
    flex: none;
  }
  .good {
    color: var(--ap-success);
    border-color: color-mix(in srgb, var(--ap-success) 35%, transparent);
    background: color-mix(in srgb, var(--ap-success) 8%, var(--ap-surface));
  }
  .good .dot {
    background: var(--ap-success);
  }
  .bad {
    color: var(--ap-danger-text);
    border-color: var(--ap-danger-border);
    background: var(--ap-danger-bg);
  }
  .bad .dot {
    background: var(--ap-danger);
  }
  .warn {
    color: var(--ap-warn-text);
    border-color: var(--ap-warn-border);
    background: var(--ap-warn-bg);
  }
  .warn .dot {
    background: var(--ap-warn-dot);
  }
  .busy {
    color: var(--ap-accent-text);
    border-color: var(--ap-user-border);
    background: var(--ap-user-bg);
  }
  .busy .dot {
    background: var(--ap-accent);
    animation: ap-pulse 1.2s ease-in-out infinite;
  }
  @keyframes ap-pulse {
    50% {
      opacity: 0.3;
    }
  }
  @media (prefers-reduced-motion: reduce) {
    .busy .dot {
      animation: none;
    }
  }
`;
