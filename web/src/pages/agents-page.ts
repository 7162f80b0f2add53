import type { AgentListResponse, AgentSummary } from '@agent-platform/core/protocol';
import { Task, TaskStatus } from '@lit/task';
import { html, LitElement, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { repeat } from 'lit/directives/repeat.js';
import { type ApiClient, asApiError } from '../api/client.js';
import { type AgentAction, AgentActionsController } from '../components/agent-actions.js';
import type { AgentActionEvent } from '../components/agent-card.js';
import '../components/agent-card.js';
import type { AgentDeleteConfirmEvent } from '../components/agent-delete-dialog.js';
import '../components/agent-delete-dialog.js';
import '../components/agent-new-button.js';
import { PollController } from '../components/agent-poll.js';
import { totalMonthCostUsd } from '../components/agent-text.js';
import '../components/error-banner.js';
import { NavigateEvent } from '../components/events.js';
import { isActiveRun } from '../components/run-status-text.js';
import { sharedStyles } from '../components/shared.styles.js';
import { LocaleController } from '../controllers/locale-controller.js';
import { pathFor } from '../controllers/router.js';
import { formatCostUsd } from '../i18n/format.js';
import { errorMessage, type Messages } from '../i18n/index.js';
import { agentsPageStyles } from './agents-page.styles.js';
import { pageStyles } from './page.styles.js';

/** How often the list is asked again while a last run is queued or running. */
const activePollMs = 5_000;
/** How often otherwise (next-run times move on, scheduled runs start). */
const idlePollMs = 60_000;

/**
 * The dashboard: every agent with its schedule, next and last run and this month's cost, the
 * buttons to run, pause, resume, edit and delete one, and this month's total.
 *
 * @fires ap-navigate - to a new run's page, or to a new agent-design conversation.
 */
@customElement('ap-agents-page')
export class AgentsPage extends LitElement {
  static override styles = [sharedStyles, pageStyles, agentsPageStyles];

  @property({ attribute: false }) api?: ApiClient;

  /** The list as it is now: loaded, then changed by the buttons and refreshes. */
  @state() private agents: readonly AgentSummary[] | null = null;
  /** The agent whose deletion is being confirmed. */
  @state() private deleting: AgentSummary | null = null;
  @state() private now = Date.now();

  private readonly i18n = new LocaleController(this);

  private readonly list = new Task(this, {
    args: () => [this.api] as const,
    task: async ([api], { signal }): Promise<AgentListResponse | null> => (api ? api.listAgents(signal) : null),
    onComplete: (answer) => {
      this.now = Date.now();
      if (answer) this.agents = answer.agents;
    },
  });

  private readonly actions = new AgentActionsController(this, {
    api: () => this.api,
    onChanged: (summary) => {
      this.agents = (this.agents ?? []).map((s) => (s.agent.id === summary.agent.id ? summary : s));
    },
    onDeleted: (agentId) => {
      this.agents = (this.agents ?? []).filter((s) => s.agent.id !== agentId);
      this.deleting = null;
    },
    onRunStarted: (run) => this.dispatchEvent(new NavigateEvent(pathFor({ name: 'run', runId: run.id }))),
  });

  constructor() {
    super();
    new PollController(this, {
      intervalMs: activePollMs,
      active: () => this.hasActiveRun(),
      tick: () => this.list.run(),
    });
    new PollController(this, {
      intervalMs: idlePollMs,
      active: () => !this.hasActiveRun(),
      tick: () => this.list.run(),
    });
  }

  override render() {
    const t = this.i18n.t;
    return html`<div class="page wide">
      <div class="title-row">
        <h1>${t.agents.title}</h1>
        ${this.agents?.length ? html`<ap-agent-new-button primary .api=${this.api}></ap-agent-new-button>` : nothing}
      </div>
      <p class="lead">${t.agents.intro}</p>
      ${this.renderFailure(t)}
      ${
        this.agents
          ? this.renderAgents(this.agents)
          : this.list.render({
              initial: () => this.renderLoading(),
              pending: () => this.renderLoading(),
              complete: () => nothing,
              error: (e) => this.renderLoadError(e),
            })
      }
      ${
        // A refresh that failed while the list is shown: say so, keep the list.
        this.agents && this.list.status === TaskStatus.ERROR ? this.renderLoadError(this.list.error) : nothing
      }
      <ap-agent-delete-dialog
        .agent=${this.deleting?.agent ?? null}
        ?deleting=${this.deleting !== null && this.actions.busy.get(this.deleting.agent.id) === 'delete'}
        .error=${this.deleting && this.actions.failure?.agentId === this.deleting.agent.id ? this.actions.failure.error : null}
        @ap-agent-delete-confirm=${(e: AgentDeleteConfirmEvent) => void this.actions.remove(e.agentId)}
        @ap-agent-delete-cancel=${() => {
          this.deleting = null;
          this.actions.dismiss();
        }}
      ></ap-agent-delete-dialog>
    </div>`;
  }

  private renderLoading() {
    return html`<div class="loading" role="status">
      <span class="spinner" aria-hidden="true"></span>${this.i18n.t.agents.loading}
    </div>`;
  }

  private renderLoadError(error: unknown) {
    const t = this.i18n.t;
    const e = asApiError(error);
    return html`<ap-error-banner .heading=${t.agents.loadFailed} .message=${errorMessage(t, e)} .code=${e.code}>
      <button class="small" type="button" @click=${() => this.list.run()}>${t.agents.tryAgain}</button>
    </ap-error-banner>`;
  }

  /** A button's request that failed (deleting shows its failure in the dialog instead). */
  private renderFailure(t: Messages) {
    const failure = this.actions.failure;
    if (!failure || failure.action === 'delete') return nothing;
    const name = this.agents?.find((s) => s.agent.id === failure.agentId)?.agent.name ?? '';
    const heading: Record<Exclude<AgentAction, 'delete'>, string> = {
      run: t.agents.runFailed(name),
      pause: t.agents.pauseFailed(name),
      resume: t.agents.resumeFailed(name),
    };
    return html`<ap-error-banner
      dismissible
      testid="agent-action-error"
      .heading=${heading[failure.action]}
      .message=${errorMessage(t, failure.error)}
      .code=${failure.error.code}
      @ap-dismiss=${() => this.actions.dismiss()}
    ></ap-error-banner>`;
  }

  private renderAgents(agents: readonly AgentSummary[]) {
    const t = this.i18n.t;
    if (agents.length === 0) {
      return html`<section class="empty" data-testid="agents-empty" aria-labelledby="empty-title">
        <h2 id="empty-title">${t.agents.emptyTitle}</h2>
        <p>${t.agents.emptyBody}</p>
        <ol>
          ${t.agents.emptySteps.map((step) => html`<li>${step}</li>`)}
        </ol>
        <ap-agent-new-button primary .api=${this.api}></ap-agent-new-button>
      </section>`;
    }
    return html`<ul class="agents" aria-label=${t.agents.listLabel} data-testid="agent-list">
        ${repeat(
          agents,
          (s) => s.agent.id,
          (s) => html`<li>
            <ap-agent-card
              .summary=${s}
              .busy=${this.actions.busy.get(s.agent.id) ?? null}
              .now=${this.now}
              @ap-agent-action=${this.onAction}
            ></ap-agent-card>
          </li>`,
        )}
      </ul>
      <div class="total" data-testid="agents-month-total">
        <span>${t.agents.monthTotal(agents.length)}</span>
        <strong>${formatCostUsd(this.i18n.locale, totalMonthCostUsd(agents))}</strong>
      </div>
      <p class="note">${t.agents.monthTotalNote} <a href=${pathFor({ name: 'usage' })}>${t.agents.seeUsage}</a></p>`;
  }

  private hasActiveRun(): boolean {
    return (this.agents ?? []).some((s) => s.lastRun !== null && isActiveRun(s.lastRun.status));
  }

  private readonly onAction = (e: AgentActionEvent): void => {
    const summary = this.agents?.find((s) => s.agent.id === e.agentId);
    if (!summary) return;
    switch (e.action) {
      case 'run':
        void this.actions.runNow(e.agentId);
        break;
      case 'pause':
        void this.actions.setStatus(e.agentId, 'paused');
        break;
      case 'resume':
        void this.actions.setStatus(e.agentId, 'active');
        break;
      case 'delete':
        this.actions.dismiss();
        this.deleting = summary;
        break;
    }
  };
}

declare global {
  interface HTMLElementTagNameMap {
    'ap-agents-page': AgentsPage;
  }
}
