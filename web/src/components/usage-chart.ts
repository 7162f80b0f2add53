import type { UsageResponse } from '@agent-platform/core/protocol';
import { html, LitElement, nothing, svg } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { LocaleController } from '../controllers/locale-controller.js';
import { formatCostUsd, formatDay, formatInteger } from '../i18n/format.js';
import { sharedStyles } from './shared.styles.js';
import { usageChartStyles } from './usage-chart.styles.js';
import { axisTicks, niceCeiling, peakDay, stackUsage, type UsageSeries } from './usage-scale.js';

/** Colours of the agents' parts, in order of cost; the rest of the agents and the chats have their own. */
const agentColours = ['#2b55c9', '#1a7f37', '#c2410c', '#7c3aed', '#0e7490'];
const otherColour = '#64748b';
const chatColour = '#b8c2d1';

/** Units of the drawing: each day is `slot` wide, bars `slot - gap`, the plot 100 high. */
const slot = 10;
const gap = 2;
const plotHeight = 100;

/**
 * Cost per day as stacked bars (each costly agent, the other agents, chats), drawn as inline SVG.
 * For screen readers the drawing is one image with a summary, and the figures are in a table.
 */
@customElement('ap-usage-chart')
export class UsageChart extends LitElement {
  static override styles = [sharedStyles, usageChartStyles];

  @property({ attribute: false }) usage?: UsageResponse;

  private readonly i18n = new LocaleController(this);

  override render() {
    const usage = this.usage;
    if (!usage) return nothing;
    const t = this.i18n.t.usage;
    const locale = this.i18n.locale;
    const { series, days } = stackUsage(usage);
    const top = niceCeiling(Math.max(0, ...days.map((d) => d.total)));
    const ticks = axisTicks(top);
    const total = usage.days.reduce((s, d) => s + d.costUsd, 0);
    const peak = peakDay(usage.days);
    const summary =
      peak === null
        ? t.chartEmpty(usage.days.length)
        : t.chartSummary(
            usage.days.length,
            formatCostUsd(locale, total),
            formatCostUsd(locale, peak.costUsd),
            formatDay(locale, peak.day),
          );
    if (peak === null) return html`<p class="empty" data-testid="usage-chart-empty">${summary}</p>`;
    const width = Math.max(1, days.length) * slot;
    // A label under about every seventh bar, and the last one unless it would crowd the one before.
    const every = Math.max(1, Math.ceil(days.length / 7));
    const last = days.length - 1;
    const labelled = (i: number) => i % every === 0 || (i === last && last % every >= every / 2);
    return html`<figure>
      <div class="chart" role="img" aria-label=${summary} data-testid="usage-chart">
        <div class="y-axis" aria-hidden="true">
          ${ticks.map((v) => html`<span style="bottom: ${(v / top) * 100}%">${formatCostUsd(locale, v)}</span>`)}
        </div>
        <div class="plot">
          <svg viewBox="0 0 ${width} ${plotHeight}" preserveAspectRatio="none" aria-hidden="true" focusable="false">
            ${ticks.map((v) => {
              const y = plotHeight - (v / top) * plotHeight;
              return svg`<line class="grid" x1="0" x2=${width} y1=${y} y2=${y} vector-effect="non-scaling-stroke"></line>`;
            })}
            ${days.map((d, i) => {
              let base = plotHeight;
              return svg`<g>
                <title>${formatDay(locale, d.day)}: ${formatCostUsd(locale, d.total)}</title>
                ${d.parts.map((part, k) => {
                  if (part <= 0) return nothing;
                  // A part too small to see still gets a sliver: something was spent that day.
                  const h = Math.max(0.8, (part / top) * plotHeight);
                  base -= h;
                  return svg`<rect x=${i * slot + gap / 2} y=${base} width=${slot - gap} height=${h} fill=${colourOf(series, k)}></rect>`;
                })}
              </g>`;
            })}
          </svg>
          <div class="x-axis" aria-hidden="true">
            ${days.map((d, i) =>
              labelled(i)
                ? html`<span class=${i === last ? 'end' : ''} style="left: ${((i + 0.5) / days.length) * 100}%"
                    >${formatDay(locale, d.day)}</span
                  >`
                : nothing,
            )}
          </div>
        </div>
      </div>
      <figcaption>
        <ul class="legend" aria-label=${t.legend}>
          ${series.map(
            (s, k) => html`<li>
              <span class="swatch" style="background: ${colourOf(series, k)}" aria-hidden="true"></span>${this.seriesName(s)}
            </li>`,
          )}
        </ul>
      </figcaption>
      <table class="visually-hidden" data-testid="usage-chart-table">
        <caption>${t.tableCaption}</caption>
        <thead>
          <tr>
            <th scope="col">${t.day}</th>
            <th scope="col">${t.cost}</th>
            <th scope="col">${t.inputTokens}</th>
            <th scope="col">${t.outputTokens}</th>
          </tr>
        </thead>
        <tbody>
          ${usage.days.map(
            (d) => html`<tr>
              <th scope="row">${formatDay(locale, d.day)}</th>
              <td>${formatCostUsd(locale, d.costUsd)}</td>
              <td>${formatInteger(locale, d.inputTokens)}</td>
              <td>${formatInteger(locale, d.outputTokens)}</td>
            </tr>`,
          )}
        </tbody>
      </table>
    </figure>`;
  }

  private seriesName(s: UsageSeries): string {
    const t = this.i18n.t.usage;
    if (s.kind === 'chat') return t.chats;
    if (s.kind === 'other') return t.otherAgents;
    return s.deleted ? t.deletedAgent(s.key.slice(0, 8)) : s.name;
  }
}

function colourOf(series: readonly UsageSeries[], index: number): string {
  const s = series[index];
  if (!s || s.kind === 'chat') return chatColour;
  if (s.kind === 'other') return otherColour;
  return agentColours[index % agentColours.length] ?? otherColour;
}

declare global {
  interface HTMLElementTagNameMap {
    'ap-usage-chart': UsageChart;
  }
}
