import { css } from 'lit';

export const usageChartStyles = css`
  :host {
    display: block;
  }
  figure {
    margin: 0;
  }
  .chart {
    display: grid;
    grid-template-columns: auto 1fr;
    gap: 0.5rem;
  }
  .y-axis {
    position: relative;
    height: 12rem;
    min-width: 3.25rem;
    font-size: 0.7rem;
    color: var(--ap-muted);
    font-variant-numeric: tabular-nums;
  }
  .y-axis span {
    position: absolute;
    right: 0;
    transform: translateY(50%);
    white-space: nowrap;
  }
  .plot {
    min-width: 0;
  }
  svg {
    display: block;
    width: 100%;
    height: 12rem;
    overflow: visible;
  }
  .grid {
    stroke: var(--ap-border);
    stroke-width: 1;
  }
  rect:hover {
    opacity: 0.8;
  }
  .x-axis {
    position: relative;
    height: 1.4rem;
    margin-top: 0.3rem;
    font-size: 0.7rem;
    color: var(--ap-muted);
  }
  .x-axis span {
    position: absolute;
    top: 0;
    transform: translateX(-50%);
    white-space: nowrap;
  }
  .x-axis span.end {
    transform: translateX(-75%);
  }
  .empty {
    margin: 0;
    padding: 1.5rem;
    text-align: center;
    color: var(--ap-muted);
    border: 1px dashed var(--ap-border-strong);
    border-radius: var(--ap-radius-sm);
  }
  .legend {
    list-style: none;
    margin: 0.5rem 0 0;
    padding: 0;
    display: flex;
    flex-wrap: wrap;
    gap: 0.35rem 1rem;
    font-size: 0.825rem;
    color: var(--ap-text-2);
  }
  .legend li {
    display: inline-flex;
    align-items: center;
    gap: 0.35rem;
    min-width: 0;
    overflow-wrap: anywhere;
  }
  .swatch {
    flex: none;
    width: 0.75rem;
    height: 0.75rem;
    border-radius: 3px;
  }
`;
