import type { AgentRun } from '@agent-platform/core/protocol';
import { html, LitElement, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { repeat } from 'lit/directives/repeat.js';
import { LocaleController } from '../controllers/locale-controller.js';
import { pathFor } from '../controllers/router.js';
import { formatCostUsd, formatDateTime, formatDurationMs, formatRelativeTime } from '../i18n/format.js';
import { agentRunTableStyles } from './agent-run-table.styles.js';
import './run-status-badge.js';
import { runDurationMs, runInfraNote, runReasonText } from './run-status-text.js';
import { sharedStyles } from './shared.styles.js';

/** An agent's runs as a table: status, what started it, when, how long, cost, why it ended so. */
@customElement('ap-agent-run-table')
export class AgentRunTable extends LitElement {
  static override styles = [sharedStyles, agentRunTableStyles];

  @property({ attribute: false }) runs: readonly AgentRun[] = [];
  /** "Now" for relative times and running durations, in ms since the epoch. */
  @property({ type: Number }) now = Date.now();

  private readonly i18n = new LocaleController(this);

  override render() {
    const t = this.i18n.t;
    const c = t.agent.runs.columns;
    const locale = this.i18n.locale;
    return html`<div class="scroll" role="region" aria-labelledby="runs-caption" tabindex="0">
      <table data-testid="agent-runs">
        <caption id="runs-caption" class="visually-hidden">${t.agent.runs.tableLabel}</caption>
        <thead>
          <tr>
            <th scope="col">${c.status}</th>
            <th scope="col">${c.trigger}</th>
            <th scope="col">${c.queued}</th>
            <th scope="col" class="num">${c.duration}</th>
            <th scope="col" class="num">${c.cost}</th>
            <th scope="col">${c.reason}</th>
            <th scope="col"><span class="visually-hidden">${c.open}</span></th>
          </tr>
        </thead>
        <tbody>
          ${repeat(
            this.runs,
            (r) => r.id,
            (r) => {
              const duration = runDurationMs(r, this.now);
              const reason = runReasonText(t, r.reason);
              const infraNote = runInfraNote(t, r);
              return html`<tr data-testid="agent-run-row" data-run-id=${r.id} data-status=${r.status}>
                <td><ap-run-status-badge .status=${r.status}></ap-run-status-badge></td>
                <td>
                  ${t.runs.trigger[r.trigger]}${r.attempt > 1 ? html` <span class="muted">(${t.runs.attempt(r.attempt)})</span>` : nothing}
                </td>
                <td>
                  <time datetime=${new Date(r.queuedAt).toISOString()} title=${formatRelativeTime(locale, r.queuedAt, this.now)}
                    >${formatDateTime(locale, r.queuedAt)}</time
                  >
                </td>
                <td class="num">${duration === null ? html`<span class="muted">—</span>` : formatDurationMs(locale, duration)}</td>
                <td class="num">${formatCostUsd(locale, r.costUsd)}</td>
                <td class="reason">
                  ${reason ?? html`<span class="muted">—</span>`}${infraNote ? html`<span class="note">${infraNote}</span>` : nothing}
                </td>
                <td>
                  <a href=${pathFor({ name: 'run', runId: r.id })} data-testid="agent-run-link"
                    >${t.agent.runs.open}<span class="visually-hidden"> (${formatDateTime(locale, r.queuedAt)})</span></a
                  >
                </td>
              </tr>`;
            },
          )}
        </tbody>
      </table>
    </div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ap-agent-run-table': AgentRunTable;
  }
}
