import { css } from 'lit';

/** Rendered markdown: readable prose, tables that scroll, code blocks that wrap or scroll. */
export const markdownStyles = css`
  .md {
    line-height: 1.7;
    overflow-wrap: anywhere;
    word-break: keep-all;
  }
  .md > :first-child {
    margin-top: 0;
  }
  .md > :last-child {
    margin-bottom: 0;
  }
  .md p,
  .md ul,
  .md ol,
  .md pre,
  .md blockquote,
  .md table {
    margin: 0 0 0.85em;
  }
  .md h1,
  .md h2,
  .md h3,
  .md h4 {
    line-height: 1.35;
    margin: 1.2em 0 0.5em;
  }
  .md h1 {
    font-size: 1.35rem;
  }
  .md h2 {
    font-size: 1.2rem;
  }
  .md h3,
  .md h4 {
    font-size: 1.05rem;
  }
  .md ul,
  .md ol {
    padding-left: 1.4em;
  }
  .md li + li {
    margin-top: 0.25em;
  }
  .md code {
    font-family: var(--ap-mono);
    font-size: 0.9em;
    background: var(--ap-code-bg);
    border-radius: 4px;
    padding: 0.1em 0.35em;
    word-break: break-word;
  }
  .md pre {
    font-family: var(--ap-mono);
    font-size: 0.875rem;
    line-height: 1.55;
    background: var(--ap-code-bg);
    border: 1px solid var(--ap-border);
    border-radius: var(--ap-radius-sm);
    padding: 0.75rem 0.9rem;
    overflow-x: auto;
    max-width: 100%;
  }
  .md pre code {
    background: none;
    padding: 0;
    font-size: inherit;
    word-break: normal;
    white-space: pre;
  }
  .md blockquote {
    border-left: 3px solid var(--ap-border-strong);
    padding-left: 0.9em;
    color: var(--ap-muted);
  }
  .md table {
    display: block;
    overflow-x: auto;
    border-collapse: collapse;
    max-width: 100%;
  }
  .md th,
  .md td {
    border: 1px solid var(--ap-border);
    padding: 0.35em 0.65em;
    text-align: left;
  }
  .md th {
    background: var(--ap-code-bg);
  }
  .md img {
    max-width: 100%;
    height: auto;
  }
  .md hr {
    border: 0;
    border-top: 1px solid var(--ap-border);
    margin: 1.2em 0;
  }
  .md a {
    color: var(--ap-link);
  }
`;
