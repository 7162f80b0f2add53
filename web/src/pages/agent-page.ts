import type { AgentResponse, AgentRun, RunStatus, UpdateAgentBody } from '@agent-platform/core/protocol';
import { RunStatus as RunStatuses } from '@agent-platform/core/protocol';
import { nextRuns } from '@agent-platform/core/schedule';
import { Task, TaskStatus } from '@lit/task';
import { html, LitElement, nothing, type PropertyValues } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { type ApiClient, type ApiError, asApiError } from '../api/client.js';
import { AgentActionsController } from '../components/agent-actions.js';
import type { AgentDeleteConfirmEvent } from '../components/agent-delete-dialog.js';
import '../components/agent-delete-dialog.js';
import type { AgentSaveEvent } from '../components/agent-edit-form.js';
import '../components/agent-edit-form.js';
import { PollController } from '../components/agent-poll.js';
import '../components/agent-run-table.js';
import '../components/agent-status-badge.js';
import { noNextRunText, scheduleWords } from '../components/agent-text.js';
import '../components/agent-webhook-secret.js';
import '../components/error-banner.js';
import { NavigateEvent } from '../components/events.js';
import '../components/run-status-badge.js';
import { isActiveRun } from '../components/run-status-text.js';
import { sharedStyles } from '../components/shared.styles.js';
import { LocaleController } from '../controllers/locale-controller.js';
import { pathFor } from '../controllers/router.js';
import { formatCostUsd, formatDateTime, formatRelativeTime } from '../i18n/format.js';
import { errorMessage } from '../i18n/index.js';
import { agentPageStyles } from './agent-page.styles.js';
import { pageStyles } from './page.styles.js';

const pageSize = 20;
/** How often runs are asked again while one is queued or running. */
const activePollMs = 5_000;

/**
 * One agent: what it is and when it runs, its buttons (run now, pause or resume, delete), its run
 * history (filtered by status, paged, followed while a run is under way), its settings form and
 * its instruction versions.
 *
 * @fires ap-navigate - to a new run's page; to the dashboard after deleting.
 */
@customElement('ap-agent-page')
export class AgentPage extends LitElement {
  static override styles = [sharedStyles, pageStyles, agentPageStyles];

  @property({ attribute: false }) api?: ApiClient;
  @property() agentId = '';

  /** The agent as it is now: loaded, then replaced by saves, pauses and refreshes. */
  @state() private data: AgentResponse | null = null;
  /** The webhook secret from the last save, shown until the person says they have it. */
  @state() private secret: string | null = null;
  @state() private revision = 0;
  @state() private saveError: ApiError | null = null;
  @state() private confirmingDelete = false;

  @state() private statusFilter: RunStatus | '' = '';
  @state() private runs: readonly AgentRun[] = [];
  @state() private nextBefore: string | null = null;
  @state() private refreshError: ApiError | null = null;
  @state() private now = Date.now();

  private readonly i18n = new LocaleController(this);
  private scrolledToSettings = false;

  private readonly load = new Task(this, {
    args: () => [this.api, this.agentId] as const,
    task: async ([api, agentId], { signal }) => (api && agentId ? api.getAgent(agentId, signal) : null),
    onComplete: (answer) => {
      if (answer) this.data = answer;
    },
  });

  private readonly save = new Task(this, {
    autoRun: false,
    args: () => [this.api, this.agentId, {} as UpdateAgentBody] as const,
    task: async ([api, agentId, body], { signal }) => {
      if (!api) throw new Error('no API client');
      return api.updateAgent(agentId, body, signal);
    },
    onComplete: (answer) => {
      this.data = answer;
      this.saveError = null;
      this.revision++;
      if (answer.webhookSecret) this.secret = answer.webhookSecret;
    },
    onError: (e) => {
      this.saveError = asApiError(e);
    },
  });

  private readonly firstRuns = new Task(this, {
    args: () => [this.api, this.agentId, this.statusFilter] as const,
    task: async ([api, agentId, status], { signal }) =>
      api && agentId ? api.listRuns(agentId, { status: status || undefined, limit: pageSize }, signal) : null,
    onComplete: (page) => {
      this.now = Date.now();
      this.refreshError = null;
      this.runs = page?.runs ?? [];
      this.nextBefore = page?.nextBefore ?? null;
    },
  });

  private readonly olderRuns = new Task(this, {
    autoRun: false,
    args: () => [this.api, this.agentId, this.statusFilter, this.nextBefore] as const,
    task: async ([api, agentId, status, before], { signal }) => {
      if (!api || before === null) return null;
      return api.listRuns(agentId, { status: status || undefined, limit: pageSize, before }, signal);
    },
    onComplete: (page) => {
      if (!page) return;
      const known = new Set(this.runs.map((r) => r.id));
      this.runs = [...this.runs, ...page.runs.filter((r) => !known.has(r.id))];
      this.nextBefore = page.nextBefore;
    },
  });

  private readonly actions = new AgentActionsController(this, {
    api: () => this.api,
    onChanged: (summary) => {
      if (this.data) this.data = { ...this.data, summary };
    },
    onDeleted: () => {
      this.confirmingDelete = false;
      this.dispatchEvent(new NavigateEvent(pathFor({ name: 'agents' }), true));
    },
    onRunStarted: (run) => this.dispatchEvent(new NavigateEvent(pathFor({ name: 'run', runId: run.id }))),
  });

  constructor() {
    super();
    new PollController(this, {
      intervalMs: activePollMs,
      active: () => this.runs.some((r) => isActiveRun(r.status)) || this.lastRunActive(),
      tick: () => this.refreshRuns(),
    });
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('agentId') && changed.get('agentId') !== undefined) {
      this.data = null;
      this.secret = null;
      this.saveError = null;
      this.runs = [];
      this.nextBefore = null;
      this.statusFilter = '';
      this.scrolledToSettings = false;
    }
  }

  protected override updated(changed: PropertyValues): void {
    // A new webhook secret is shown once: bring it into view (the Save button may be far below)
    // and put the focus in it, which selects it for copying.
    if (changed.has('secret') && this.secret) {
      const box = this.renderRoot.querySelector('ap-agent-webhook-secret');
      box?.scrollIntoView({ block: 'center' });
      void box?.updateComplete.then(() => box.focus());
    }
    // The dashboard's Edit links to #settings: bring the form into view once the runs above it
    // are in (they push it down), after the children have drawn them.
    const runsIn = this.firstRuns.status === TaskStatus.COMPLETE || this.firstRuns.status === TaskStatus.ERROR;
    if (!this.scrolledToSettings && this.data && runsIn && location.hash === '#settings') {
      this.scrolledToSettings = true;
      requestAnimationFrame(() => this.renderRoot.querySelector('#settings')?.scrollIntoView({ block: 'start' }));
    }
  }

  override render() {
    const t = this.i18n.t;
    return html`<div class="page wide">
      <a class="back" href=${pathFor({ name: 'agents' })}>← ${t.agent.back}</a>
      ${
        this.data
          ? this.renderAgent(this.data)
          : this.load.render({
              initial: () => this.renderLoading(),
              pending: () => this.renderLoading(),
              complete: () => nothing,
              error: (e) => this.renderLoadError(e),
            })
      }
    </div>`;
  }

  private renderLoading() {
    return html`<div class="loading" role="status">
      <span class="spinner" aria-hidden="true"></span>${this.i18n.t.agent.loading}
    </div>`;
  }

  private renderLoadError(error: unknown) {
    const t = this.i18n.t;
    const e = asApiError(error);
    const notFound = e.status === 404;
    return html`<ap-error-banner
      testid="agent-load-error"
      .heading=${notFound ? t.agent.notFound : t.agent.loadFailed}
      .message=${notFound ? '' : errorMessage(t, e)}
      .code=${e.code}
    >
      ${notFound ? nothing : html`<button class="small" type="button" @click=${() => this.load.run()}>${t.agents.tryAgain}</button>`}
      <a class="button small" href=${pathFor({ name: 'agents' })}>${t.agent.back}</a>
    </ap-error-banner>`;
  }

  private renderAgent(data: AgentResponse) {
    const t = this.i18n.t;
    const { agent } = data.summary;
    return html`
      ${this.renderHeader(data)}
      ${this.renderActionFailure()}
      <section class="section" aria-labelledby="runs-title">
        <div class="section-head">
          <h2 id="runs-title">${t.agent.runs.title}</h2>
          <label class="filter">
            <span>${t.agent.runs.filter}</span>
            <select
              data-testid="agent-runs-filter"
              .value=${this.statusFilter}
              @change=${(e: Event) => {
                this.statusFilter = (e.target as HTMLSelectElement).value as RunStatus | '';
              }}
            >
              <option value="" ?selected=${this.statusFilter === ''}>${t.agent.runs.all}</option>
              ${RunStatuses.options.map(
                (s) => html`<option value=${s} ?selected=${this.statusFilter === s}>${t.runs.status[s]}</option>`,
              )}
            </select>
          </label>
        </div>
        ${this.renderRuns()}
      </section>
      <section class="section" id="settings" aria-labelledby="settings-title">
        <h2 id="settings-title">${t.agent.form.title}</h2>
        ${
          this.secret
            ? html`<ap-agent-webhook-secret
                .secret=${this.secret}
                @ap-dismiss=${() => {
                  this.secret = null;
                }}
              ></ap-agent-webhook-secret>`
            : nothing
        }
        <div class="card">
          <ap-agent-edit-form
            .agent=${agent}
            .revision=${this.revision}
            ?saving=${this.save.status === TaskStatus.PENDING}
            .error=${this.saveError}
            @ap-agent-save=${this.onSave}
          ></ap-agent-edit-form>
        </div>
      </section>
      ${this.renderVersions(data)}
      <ap-agent-delete-dialog
        .agent=${this.confirmingDelete ? agent : null}
        ?deleting=${this.actions.busy.get(agent.id) === 'delete'}
        .error=${this.actions.failure?.action === 'delete' ? this.actions.failure.error : null}
        @ap-agent-delete-confirm=${(e: AgentDeleteConfirmEvent) => void this.actions.remove(e.agentId)}
        @ap-agent-delete-cancel=${() => {
          this.confirmingDelete = false;
          this.actions.dismiss();
        }}
      ></ap-agent-delete-dialog>
    `;
  }

  private renderHeader(data: AgentResponse) {
    const t = this.i18n.t;
    const a = t.agents;
    const locale = this.i18n.locale;
    const s = data.summary;
    const agent = s.agent;
    const busy = this.actions.busy.get(agent.id) ?? null;
    const paused = agent.status === 'paused';
    const spin = html`<span class="spinner" aria-hidden="true"></span>`;
    const upcoming = this.upcomingRuns(data);
    return html`<header class="card head" data-testid="agent-header">
      <div class="title">
        <h1 data-testid="agent-title">${agent.name}</h1>
        <ap-agent-status-badge .status=${agent.status}></ap-agent-status-badge>
      </div>
      ${agent.description ? html`<p class="lead">${agent.description}</p>` : nothing}
      <dl class="facts">
        <div>
          <dt>${a.schedule}</dt>
          <dd data-testid="agent-schedule">${scheduleWords(t, locale, s)}</dd>
        </div>
        <div>
          <dt>${t.agent.nextRuns}</dt>
          <dd data-testid="agent-next-runs">
            ${
              upcoming.length === 0
                ? html`<span class="muted">${noNextRunText(t, s)}</span>`
                : html`<ol class="upcoming">
                    ${upcoming.map(
                      (at, i) => html`<li>
                        <time datetime=${new Date(at).toISOString()}>${formatDateTime(locale, at)}</time>
                        ${i === 0 ? html`<span class="muted">· ${formatRelativeTime(locale, at, this.now)}</span>` : nothing}
                      </li>`,
                    )}
                  </ol>`
            }
          </dd>
        </div>
        <div>
          <dt>${a.lastRun}</dt>
          <dd>
            ${
              s.lastRun
                ? html`<ap-run-status-badge .status=${s.lastRun.status}></ap-run-status-badge>
                    <span title=${formatDateTime(locale, s.lastRun.queuedAt)}
                      >${formatRelativeTime(locale, s.lastRun.queuedAt, this.now)}</span
                    >
                    · <a href=${pathFor({ name: 'run', runId: s.lastRun.id })}>${a.viewRun}</a>`
                : html`<span class="muted">${a.neverRun}</span>`
            }
          </dd>
        </div>
        <div>
          <dt>${a.monthCost}</dt>
          <dd data-testid="agent-month-cost">${formatCostUsd(locale, s.monthCostUsd)}</dd>
        </div>
        <div class="wide">
          <dt>${t.agent.folder}</dt>
          <dd><code data-testid="agent-folder">${agent.folder}</code></dd>
        </div>
      </dl>
      <div class="actions">
        <button class="primary" type="button" data-testid="agent-run-now" ?disabled=${busy !== null} @click=${() => this.actions.runNow(agent.id)}>
          ${busy === 'run' ? html`${spin}${a.starting}` : a.runNow}
        </button>
        <button
          type="button"
          data-testid=${paused ? 'agent-resume' : 'agent-pause'}
          ?disabled=${busy !== null}
          @click=${() => this.actions.setStatus(agent.id, paused ? 'active' : 'paused')}
        >
          ${busy === 'pause' ? html`${spin}${a.pausing}` : busy === 'resume' ? html`${spin}${a.resuming}` : paused ? a.resume : a.pause}
        </button>
        <button
          class="quiet"
          type="button"
          data-testid="agent-delete"
          ?disabled=${busy !== null}
          @click=${() => {
            this.actions.dismiss();
            this.confirmingDelete = true;
          }}
        >
          ${a.delete}
        </button>
      </div>
    </header>`;
  }

  /** The next three fire times: the server's next one, then the schedule's two after it. */
  private upcomingRuns(data: AgentResponse): number[] {
    const { nextRunAt, agent } = data.summary;
    if (nextRunAt === null) return [];
    if (!agent.schedule) return [nextRunAt];
    try {
      return [nextRunAt, ...nextRuns(agent.schedule, nextRunAt, 2)];
    } catch {
      // The server accepted the schedule; should this browser's cron reading differ, show the one it gave.
      return [nextRunAt];
    }
  }

  private renderActionFailure() {
    const t = this.i18n.t;
    const failure = this.actions.failure;
    if (!failure || failure.action === 'delete' || !this.data) return nothing;
    const name = this.data.summary.agent.name;
    const heading =
      failure.action === 'run'
        ? t.agents.runFailed(name)
        : failure.action === 'pause'
          ? t.agents.pauseFailed(name)
          : t.agents.resumeFailed(name);
    return html`<ap-error-banner
      dismissible
      testid="agent-action-error"
      .heading=${heading}
      .message=${errorMessage(t, failure.error)}
      .code=${failure.error.code}
      @ap-dismiss=${() => this.actions.dismiss()}
    ></ap-error-banner>`;
  }

  private renderRuns() {
    const t = this.i18n.t;
    const r = t.agent.runs;
    const status = this.firstRuns.status;
    if (status === TaskStatus.ERROR) {
      const e = asApiError(this.firstRuns.error);
      return html`<ap-error-banner .heading=${r.loadFailed} .message=${errorMessage(t, e)} .code=${e.code}>
        <button class="small" type="button" @click=${() => this.firstRuns.run()}>${t.agents.tryAgain}</button>
      </ap-error-banner>`;
    }
    if (status === TaskStatus.INITIAL || (status === TaskStatus.PENDING && this.runs.length === 0)) {
      return html`<div class="loading" role="status"><span class="spinner" aria-hidden="true"></span>${r.loading}</div>`;
    }
    if (this.runs.length === 0) {
      return html`<p class="empty" data-testid="agent-runs-empty">${this.statusFilter ? r.emptyFiltered : r.empty}</p>`;
    }
    const loadingMore = this.olderRuns.status === TaskStatus.PENDING;
    return html`<ap-agent-run-table .runs=${this.runs} .now=${this.now}></ap-agent-run-table>
      ${
        this.refreshError
          ? html`<ap-error-banner
              dismissible
              .heading=${r.refreshFailed}
              .message=${errorMessage(t, this.refreshError)}
              .code=${this.refreshError.code}
              @ap-dismiss=${() => {
                this.refreshError = null;
              }}
            ></ap-error-banner>`
          : nothing
      }
      ${this.olderRuns.status === TaskStatus.ERROR ? this.renderOlderError(this.olderRuns.error) : nothing}
      ${
        this.nextBefore !== null
          ? html`<div class="more">
              <button type="button" data-testid="agent-runs-more" ?disabled=${loadingMore} @click=${() => this.olderRuns.run()}>
                ${loadingMore ? html`<span class="spinner" aria-hidden="true"></span>${r.loading}` : r.loadMore}
              </button>
            </div>`
          : nothing
      }`;
  }

  private renderOlderError(error: unknown) {
    const t = this.i18n.t;
    const e = asApiError(error);
    return html`<ap-error-banner .heading=${t.agent.runs.loadFailed} .message=${errorMessage(t, e)} .code=${e.code}>
      <button class="small" type="button" @click=${() => this.olderRuns.run()}>${t.agents.tryAgain}</button>
    </ap-error-banner>`;
  }

  private renderVersions(data: AgentResponse) {
    const t = this.i18n.t;
    const locale = this.i18n.locale;
    const versions = [...data.versions].sort((a, b) => b.version - a.version);
    if (versions.length === 0) return nothing;
    const current = data.summary.agent.version;
    return html`<section class="section" aria-labelledby="versions-title">
      <h2 id="versions-title">${t.agent.versions.title}</h2>
      <ul class="versions" data-testid="agent-versions">
        ${versions.map(
          (v) => html`<li>
            <details>
              <summary>
                <strong>${t.agent.versions.version(v.version)}</strong>
                <span class="muted">· ${formatDateTime(locale, v.createdAt)}</span>
                ${v.version === current ? html`<span class="current">${t.agent.versions.current}</span>` : nothing}
              </summary>
              <pre>${v.instructions}</pre>
            </details>
          </li>`,
        )}
      </ul>
    </section>`;
  }

  /** Asks for the runs shown again (enough to cover them), and for the agent when one ended. */
  private async refreshRuns(): Promise<void> {
    const api = this.api;
    const agentId = this.agentId;
    if (!api || !agentId) return;
    const activeBefore = this.runs.filter((r) => isActiveRun(r.status)).length;
    const limit = Math.min(100, Math.max(pageSize, this.runs.length));
    try {
      const page = await api.listRuns(agentId, { status: this.statusFilter || undefined, limit });
      if (agentId !== this.agentId) return;
      const fresh = new Set(page.runs.map((r) => r.id));
      // Beyond the 100 newest, keep what was loaded with "Show older runs".
      const beyond = this.runs.length > limit ? this.runs.slice(limit).filter((r) => !fresh.has(r.id)) : [];
      this.runs = [...page.runs, ...beyond];
      if (beyond.length === 0) this.nextBefore = page.nextBefore;
      this.refreshError = null;
      this.now = Date.now();
      // A run ended (or one is under way that this filter hides): the header's last run and cost move.
      if (page.runs.filter((r) => isActiveRun(r.status)).length < activeBefore || this.lastRunActive()) {
        void this.load.run();
      }
    } catch (e) {
      this.refreshError = asApiError(e);
    }
  }

  private lastRunActive(): boolean {
    const last = this.data?.summary.lastRun;
    return last !== null && last !== undefined && isActiveRun(last.status);
  }

  private readonly onSave = (e: AgentSaveEvent): void => {
    this.saveError = null;
    void this.save.run([this.api, this.agentId, e.body]);
  };
}

declare global {
  interface HTMLElementTagNameMap {
    'ap-agent-page': AgentPage;
  }
}
