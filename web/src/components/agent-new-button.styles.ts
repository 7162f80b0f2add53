import { css } from 'lit';

export const agentNewButtonStyles = css`
  :host {
    display: inline-grid;
    gap: 0.5rem;
    justify-items: start;
  }
  ap-error-banner {
    max-width: 28rem;
  }
`;
