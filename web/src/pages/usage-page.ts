import type { UsageResponse } from '@agent-platform/core/protocol';
import { Task } from '@lit/task';
import { html, LitElement, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { type ApiClient, asApiError } from '../api/client.js';
import '../components/error-banner.js';
import { choiceStyles, sharedStyles } from '../components/shared.styles.js';
import '../components/usage-chart.js';
import { budgetShare, budgetWarnShare } from '../components/usage-scale.js';
import { LocaleController } from '../controllers/locale-controller.js';
import { pathFor } from '../controllers/router.js';
import { formatCostUsd, formatInteger, formatPercent } from '../i18n/format.js';
import { errorMessage } from '../i18n/index.js';
import { pageStyles } from './page.styles.js';
import { usagePageStyles } from './usage-page.styles.js';

/** The periods the page offers, in days. */
export const usageRanges = [7, 30, 90] as const;
export type UsageRange = (typeof usageRanges)[number];

/**
 * What model use cost: per day over a period (a chart, with its figures as a table), this month
 * against the monthly budget, and per agent.
 */
@customElement('ap-usage-page')
export class UsagePage extends LitElement {
  static override styles = [sharedStyles, choiceStyles, pageStyles, usagePageStyles];

  @property({ attribute: false }) api?: ApiClient;

  @state() private days: UsageRange = 30;

  private readonly i18n = new LocaleController(this);

  private readonly usage = new Task(this, {
    args: () => [this.api, this.days] as const,
    task: async ([api, days], { signal }): Promise<UsageResponse | null> => (api ? api.usage(days, signal) : null),
  });

  override render() {
    const t = this.i18n.t.usage;
    return html`<div class="page wide">
      <h1>${t.title}</h1>
      <p class="lead">${t.intro}</p>
      <fieldset class="range">
        <legend class="visually-hidden">${t.range}</legend>
        ${usageRanges.map(
          (d) => html`<label class="choice">
            <input
              type="radio"
              name="range"
              value=${d}
              data-testid=${`usage-range-${d}`}
              .checked=${this.days === d}
              @change=${() => {
                this.days = d;
              }}
            />
            <span>${t.lastDays(d)}</span>
          </label>`,
        )}
      </fieldset>
      ${this.usage.render({
        initial: () => this.renderLoading(),
        pending: () => (this.usage.value ? this.renderUsage(this.usage.value, true) : this.renderLoading()),
        complete: (usage) => (usage ? this.renderUsage(usage, false) : nothing),
        error: (e) => this.renderError(e),
      })}
    </div>`;
  }

  private renderLoading() {
    return html`<div class="loading" role="status">
      <span class="spinner" aria-hidden="true"></span>${this.i18n.t.usage.loading}
    </div>`;
  }

  private renderError(error: unknown) {
    const t = this.i18n.t;
    const e = asApiError(error);
    return html`<ap-error-banner .heading=${t.usage.loadFailed} .message=${errorMessage(t, e)} .code=${e.code}>
      <button class="small" type="button" @click=${() => this.usage.run()}>${t.agents.tryAgain}</button>
    </ap-error-banner>`;
  }

  private renderUsage(usage: UsageResponse, refreshing: boolean) {
    const t = this.i18n.t.usage;
    return html`<div class=${refreshing ? 'refreshing' : ''} aria-busy=${refreshing ? 'true' : 'false'}>
      ${this.renderBudget(usage)}
      <section class="card" aria-labelledby="chart-title">
        <h2 id="chart-title">${t.chartTitle}</h2>
        <ap-usage-chart .usage=${usage}></ap-usage-chart>
      </section>
      ${this.renderAgents(usage)}
    </div>`;
  }

  private renderBudget(usage: UsageResponse) {
    const t = this.i18n.t.usage;
    const locale = this.i18n.locale;
    const spent = formatCostUsd(locale, usage.monthCostUsd);
    const share = budgetShare(usage.monthCostUsd, usage.monthlyBudgetUsd);
    if (share === null || usage.monthlyBudgetUsd === null) {
      return html`<section class="card month" aria-labelledby="month-title" data-testid="usage-month">
        <h2 id="month-title">${t.monthTitle}</h2>
        <p class="big">${spent}</p>
        <p class="hint" data-testid="usage-no-budget">${t.noBudget}</p>
      </section>`;
    }
    const level = share >= 1 ? 'over' : share >= budgetWarnShare ? 'warn' : 'ok';
    const shown = Math.min(1, share);
    const budget = formatCostUsd(locale, usage.monthlyBudgetUsd);
    const percent = Number.isFinite(share) ? formatPercent(locale, share) : '100%+';
    return html`<section class="card month" aria-labelledby="month-title" data-testid="usage-month" data-level=${level}>
      <h2 id="month-title">${t.monthTitle}</h2>
      <p class="big">${t.spentOfBudget(spent, budget)}</p>
      <div
        class="bar ${level}"
        role="progressbar"
        aria-labelledby="month-title"
        aria-valuemin="0"
        aria-valuemax="100"
        aria-valuenow=${Math.round(shown * 100)}
        aria-valuetext=${t.budgetValue(percent)}
        data-testid="usage-budget-bar"
      >
        <span style="width: ${shown * 100}%"></span>
      </div>
      ${
        level === 'ok'
          ? html`<p class="hint">${t.budgetValue(percent)}</p>`
          : html`<p class="notice ${level}" role="status">${level === 'over' ? t.budgetOver : t.budgetWarn(percent)}</p>`
      }
    </section>`;
  }

  private renderAgents(usage: UsageResponse) {
    const t = this.i18n.t.usage;
    const locale = this.i18n.locale;
    const rangeTotal = usage.days.reduce((s, d) => s + d.costUsd, 0);
    return html`<section class="card" aria-labelledby="agents-title">
      <h2 id="agents-title">${t.agentsTitle}</h2>
      ${
        usage.agents.length === 0
          ? html`<p class="hint" data-testid="usage-agents-empty">${t.agentsEmpty}</p>`
          : html`<div class="scroll" role="region" aria-labelledby="agents-title" tabindex="0">
              <table data-testid="usage-agents">
                <thead>
                  <tr>
                    <th scope="col">${t.agent}</th>
                    <th scope="col" class="num">${t.runs}</th>
                    <th scope="col" class="num">${t.inputTokens}</th>
                    <th scope="col" class="num">${t.outputTokens}</th>
                    <th scope="col" class="num">${t.cost}</th>
                    <th scope="col">${t.share}</th>
                  </tr>
                </thead>
                <tbody>
                  ${usage.agents.map((a) => {
                    const share = rangeTotal > 0 ? a.costUsd / rangeTotal : 0;
                    return html`<tr data-testid="usage-agent-row" data-agent-id=${a.agentId}>
                      <th scope="row">
                        ${
                          a.deleted
                            ? html`<span class="deleted-name" title=${a.agentId}>${t.deletedAgent(a.agentId.slice(0, 8))}</span>`
                            : html`<a href=${pathFor({ name: 'agent', agentId: a.agentId })}>${a.name}</a>`
                        }
                      </th>
                      <td class="num">${formatInteger(locale, a.runs)}</td>
                      <td class="num">${formatInteger(locale, a.inputTokens)}</td>
                      <td class="num">${formatInteger(locale, a.outputTokens)}</td>
                      <td class="num">${formatCostUsd(locale, a.costUsd)}</td>
                      <td>
                        <span class="share">
                          <span class="share-bar" aria-hidden="true"><span style="width: ${Math.min(1, share) * 100}%"></span></span>
                          ${formatPercent(locale, share)}
                        </span>
                      </td>
                    </tr>`;
                  })}
                </tbody>
              </table>
            </div>
            <p class="hint">${t.shareNote}</p>`
      }
    </section>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ap-usage-page': UsagePage;
  }
}
