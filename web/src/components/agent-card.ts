import type { AgentSummary } from '@agent-platform/core/protocol';
import { html, LitElement, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { LocaleController } from '../controllers/locale-controller.js';
import { pathFor } from '../controllers/router.js';
import { formatCostUsd, formatDateTime, formatRelativeTime } from '../i18n/format.js';
import type { AgentAction } from './agent-actions.js';
import { agentCardStyles } from './agent-card.styles.js';
import './agent-status-badge.js';
import { noNextRunText, scheduleWords } from './agent-text.js';
import './run-status-badge.js';
import { sharedStyles } from './shared.styles.js';

/** A button of an agent was pressed (Run now, Pause, Resume, Delete). */
export class AgentActionEvent extends Event {
  static readonly eventName = 'ap-agent-action';
  constructor(
    readonly agentId: string,
    readonly action: AgentAction,
  ) {
    super(AgentActionEvent.eventName, { bubbles: true, composed: true });
  }
}

/**
 * One agent on the dashboard: name, status, schedule in words, next and last run, this month's
 * cost, and its buttons. A view: the page does what the buttons ask.
 *
 * @fires ap-agent-action - Run now, Pause, Resume or Delete was pressed.
 */
@customElement('ap-agent-card')
export class AgentCard extends LitElement {
  static override styles = [sharedStyles, agentCardStyles];

  @property({ attribute: false }) summary?: AgentSummary;
  /** The action under way for this agent; its buttons wait meanwhile. */
  @property() busy: AgentAction | null = null;
  /** "Now" for relative times, in ms since the epoch. */
  @property({ type: Number }) now = Date.now();

  private readonly i18n = new LocaleController(this);

  override render() {
    const s = this.summary;
    if (!s) return nothing;
    const t = this.i18n.t;
    const a = t.agents;
    const locale = this.i18n.locale;
    const agent = s.agent;
    const href = pathFor({ name: 'agent', agentId: agent.id });
    const headingId = `agent-${agent.id}`;
    return html`<article class="card" aria-labelledby=${headingId} data-testid="agent-card" data-agent-id=${agent.id}>
      <div class="head">
        <h2 id=${headingId}><a href=${href} data-testid="agent-name">${agent.name}</a></h2>
        <ap-agent-status-badge .status=${agent.status}></ap-agent-status-badge>
      </div>
      ${agent.description ? html`<p class="description">${agent.description}</p>` : nothing}
      <dl class="facts">
        <div>
          <dt>${a.schedule}</dt>
          <dd data-testid="agent-schedule">${scheduleWords(t, locale, s)}</dd>
        </div>
        <div>
          <dt>${a.nextRun}</dt>
          <dd data-testid="agent-next-run">
            ${
              s.nextRunAt === null
                ? html`<span class="muted">${noNextRunText(t, s)}</span>`
                : html`${formatRelativeTime(locale, s.nextRunAt, this.now)}
                    <span class="muted">· <time datetime=${new Date(s.nextRunAt).toISOString()}>${formatDateTime(locale, s.nextRunAt)}</time></span>`
            }
          </dd>
        </div>
        <div>
          <dt>${a.lastRun}</dt>
          <dd data-testid="agent-last-run">
            ${
              s.lastRun
                ? html`<ap-run-status-badge .status=${s.lastRun.status}></ap-run-status-badge>
                    <span title=${formatDateTime(locale, s.lastRun.queuedAt)}
                      >${formatRelativeTime(locale, s.lastRun.queuedAt, this.now)}</span
                    >
                    · <a href=${pathFor({ name: 'run', runId: s.lastRun.id })} data-testid="agent-last-run-link"
                      >${a.viewRun}</a
                    >`
                : html`<span class="muted">${a.neverRun}</span>`
            }
          </dd>
        </div>
        <div>
          <dt>${a.monthCost}</dt>
          <dd data-testid="agent-month-cost">${formatCostUsd(locale, s.monthCostUsd)}</dd>
        </div>
      </dl>
      ${this.renderActions(href)}
    </article>`;
  }

  private renderActions(href: string) {
    const a = this.i18n.t.agents;
    const s = this.summary!;
    const busy = this.busy;
    const paused = s.agent.status === 'paused';
    const spin = html`<span class="spinner" aria-hidden="true"></span>`;
    return html`<div class="actions">
      <button
        class="small primary"
        type="button"
        data-testid="agent-run-now"
        ?disabled=${busy !== null}
        @click=${() => this.act('run')}
      >
        ${busy === 'run' ? html`${spin}${a.starting}` : a.runNow}
      </button>
      <button
        class="small"
        type="button"
        data-testid=${paused ? 'agent-resume' : 'agent-pause'}
        ?disabled=${busy !== null}
        @click=${() => this.act(paused ? 'resume' : 'pause')}
      >
        ${busy === 'pause' ? html`${spin}${a.pausing}` : busy === 'resume' ? html`${spin}${a.resuming}` : paused ? a.resume : a.pause}
      </button>
      <a class="button small" href=${`${href}#settings`} data-testid="agent-edit">${a.edit}</a>
      <button
        class="small quiet"
        type="button"
        data-testid="agent-delete"
        ?disabled=${busy !== null}
        @click=${() => this.act('delete')}
      >
        ${a.delete}
      </button>
    </div>`;
  }

  private act(action: AgentAction): void {
    if (this.summary) this.dispatchEvent(new AgentActionEvent(this.summary.agent.id, action));
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ap-agent-card': AgentCard;
  }
  interface HTMLElementEventMap {
    'ap-agent-action': AgentActionEvent;
  }
}
