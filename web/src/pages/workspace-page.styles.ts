import { css } from 'lit';

export const workspacePageStyles = css`
  :host {
    display: flex;
    flex-direction: column;
    flex: 1;
    min-height: 0;
  }
  .bar {
    grid-area: bar;
    border-bottom: 1px solid var(--ap-border);
    background: var(--ap-surface);
  }
  .inner {
    max-width: 48rem;
    margin: 0 auto;
    padding: 0 1rem;
  }
  .bar .inner {
    display: flex;
    align-items: center;
    gap: 0.75rem;
    min-height: 3rem;
  }
  .back {
    flex: none;
    font-size: 0.875rem;
    text-decoration: none;
    padding: 0.35rem 0;
  }
  .back:hover {
    text-decoration: underline;
  }
  h1 {
    flex: 1;
    min-width: 0;
    margin: 0;
    font-size: 1rem;
    font-weight: 600;
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
  }
  /* The conversation above the message box; in an agent-create session, the draft beside them. */
  .body {
    flex: 1;
    min-height: 0;
    display: grid;
    grid-template-columns: minmax(0, 1fr);
    grid-template-rows: auto minmax(0, 1fr) auto;
    grid-template-areas: 'bar' 'chat' 'dock';
  }
  .body.with-preview {
    grid-template-columns: minmax(0, 1fr) minmax(18rem, 24rem);
    grid-template-areas: 'bar side' 'chat side' 'dock side';
  }
  .side {
    grid-area: side;
    min-height: 0;
    overflow-y: auto;
    overscroll-behavior: contain;
    border-left: 1px solid var(--ap-border);
    background: var(--ap-surface);
  }
  .scroller {
    grid-area: chat;
    min-height: 0;
    overflow-y: auto;
    overflow-x: hidden;
    overscroll-behavior: contain;
  }
  .conversation {
    padding-top: 1.25rem;
    padding-bottom: 1.25rem;
    display: grid;
    gap: 1.75rem;
  }
  .empty {
    padding: 2rem 0;
    color: var(--ap-muted);
    line-height: 1.65;
    word-break: keep-all;
    overflow-wrap: anywhere;
  }
  .empty h2 {
    color: var(--ap-text);
    font-size: 1.25rem;
    margin: 0 0 0.5rem;
  }
  .loading {
    display: flex;
    align-items: center;
    gap: 0.5rem;
    color: var(--ap-muted);
    padding: 2rem 0;
  }
  .dock {
    grid-area: dock;
    background: linear-gradient(to bottom, transparent, var(--ap-bg) 0.75rem);
    padding-bottom: max(0.75rem, env(safe-area-inset-bottom));
  }
  .dock .inner {
    display: grid;
    gap: 0.4rem;
  }
  @media (max-width: 60rem) {
    .body.with-preview {
      grid-template-columns: minmax(0, 1fr);
      grid-template-rows: auto minmax(0, 1fr) auto auto;
      grid-template-areas: 'bar' 'chat' 'side' 'dock';
    }
    .side {
      border-left: none;
      border-top: 1px solid var(--ap-border);
      max-height: 45vh;
    }
  }
  @media (max-width: 30rem) {
    .inner {
      padding: 0 0.75rem;
    }
    .back span {
      display: none;
    }
  }
`;
