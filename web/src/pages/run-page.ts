import {
  type AgentRun,
  agentFolder,
  isTerminalRunStatus,
  type RunResponse,
  type RunStatus,
  type SessionEvent,
} from '@agent-platform/core/protocol';
import { Task, TaskStatus } from '@lit/task';
import { html, LitElement, nothing, type PropertyValues } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { unsafeHTML } from 'lit/directives/unsafe-html.js';
import { type ApiClient, type ApiError, asApiError } from '../api/client.js';
import { RunnerEndpoint } from '../api/runner-endpoint.js';
import '../components/conn-indicator.js';
import '../components/error-banner.js';
import { NavigateEvent } from '../components/events.js';
import { renderMarkdown } from '../components/markdown.js';
import { markdownStyles } from '../components/markdown.styles.js';
import '../components/run-events.js';
import '../components/run-files.js';
import '../components/run-status-badge.js';
import { runInfraNote, runReasonText } from '../components/run-status-text.js';
import { sharedStyles } from '../components/shared.styles.js';
import { SessionEventsController } from '../controllers/conversation-controller.js';
import { LocaleController } from '../controllers/locale-controller.js';
import { formatCostUsd, formatDateTime, formatDurationMs, formatInteger } from '../i18n/format.js';
import { errorMessage } from '../i18n/index.js';
import { pageStyles } from './page.styles.js';
import { runPageStyles } from './run-page.styles.js';

/** While a run is queued or running, ask for it again this often, should its end not come over the socket. */
const pollIntervalMs = 15_000;
/** Events come in bursts (a turn's end, then the run's): one reload after a short pause answers them all. */
const reloadDelayMs = 250;
/** After the run's end was seen, the run is read again until it says so too (the record may lag the event). */
const endReloadDelayMs = 1_000;
const endReloadTries = 5;

const canCancel = (status: RunStatus): boolean => status === 'queued' || status === 'running';
const canRetry = (status: RunStatus): boolean =>
  status === 'failed' || status === 'timed_out' || status === 'cancelled';

export const runPath = (runId: string): string => `/runs/${encodeURIComponent(runId)}`;
export const agentPath = (agentId: string): string => `/agents/${encodeURIComponent(agentId)}`;

/**
 * One run of an agent: its status and why, what started it, its times, tokens and cost; while it
 * runs, what it does live (and Cancel); once it ended, what it did (its events replayed), its
 * result, its files, and Retry when it failed.
 *
 * @fires ap-navigate - to the new run's page after Retry.
 */
@customElement('ap-run-page')
export class RunPage extends LitElement {
  static override styles = [sharedStyles, pageStyles, markdownStyles, runPageStyles];

  @property({ attribute: false }) api?: ApiClient;

  /** Where the runner's WebSocket is (from /api/me); without it, asked of the API when needed. */
  @property({ attribute: false }) runner?: RunnerEndpoint;

  @property() runId = '';

  /** The run as last read (kept while it is read again, so the page does not flicker). */
  @state() private data: RunResponse | null = null;
  @state() private actionError: { action: 'cancel' | 'retry'; error: ApiError } | null = null;

  private readonly i18n = new LocaleController(this);
  private ownRunner: RunnerEndpoint | null = null;
  private reloadTimer: ReturnType<typeof setTimeout> | null = null;
  private pollTimer: ReturnType<typeof setTimeout> | null = null;
  /** Reads left after `run.ended` came while the stored run still says it goes on. */
  private endReloadsLeft = 0;

  private readonly load = new Task(this, {
    args: () => [this.api, this.runId] as const,
    task: async ([api, runId], { signal }) => (api && runId ? api.getRun(runId, signal) : null),
    onComplete: (response) => this.show(response),
  });

  private readonly cancel = new Task(this, {
    autoRun: false,
    args: () => [this.api, this.runId] as const,
    task: async ([api, runId], { signal }) => {
      if (!api) throw new Error('no API client');
      return api.cancelRun(runId, signal);
    },
    onComplete: (response) => this.show(response),
    onError: (e) => {
      this.actionError = { action: 'cancel', error: asApiError(e) };
    },
  });

  private readonly retry = new Task(this, {
    autoRun: false,
    args: () => [this.api, this.runId] as const,
    task: async ([api, runId], { signal }) => {
      if (!api) throw new Error('no API client');
      return api.retryRun(runId, signal);
    },
    onComplete: ({ run }) => this.dispatchEvent(new NavigateEvent(runPath(run.id))),
    onError: (e) => {
      this.actionError = { action: 'retry', error: asApiError(e) };
    },
  });

  private readonly events = new SessionEventsController(this, {
    api: () => this.api,
    // A skipped run never ran: there is nothing to follow.
    sessionId: () => {
      const run = this.currentRun();
      return run && run.status !== 'skipped' ? run.sessionId : undefined;
    },
    runner: () => this.runnerEndpoint(),
    onEvent: (event) => this.onRunEvent(event),
  });

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('runId') && this.data && this.data.run.id !== this.runId) {
      // Another run: nothing of the previous one may show.
      this.data = null;
      this.actionError = null;
      this.endReloadsLeft = 0;
      this.clearTimers();
    }
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.clearTimers();
  }

  override connectedCallback(): void {
    super.connectedCallback();
    const run = this.currentRun();
    if (run && !isTerminalRunStatus(run.status)) this.schedulePoll();
  }

  override render() {
    const t = this.i18n.t.run;
    const data = this.data && this.data.run.id === this.runId ? this.data : null;
    if (!data) {
      if (this.load.status === TaskStatus.ERROR) return html`<div class="page">${this.renderLoadError()}</div>`;
      return html`<div class="page">
        <div class="loading" role="status" data-testid="run-loading">
          <span class="spinner" aria-hidden="true"></span>${t.loading}
        </div>
      </div>`;
    }
    const { run, agentName } = data;
    const live = !isTerminalRunStatus(run.status);
    return html`<div class="page" data-testid="run-page" data-run-id=${run.id} data-status=${run.status}>
      ${this.renderHeading(run, agentName)} ${this.renderRefreshError()}
      ${this.renderFacts(run)}
      ${
        run.status === 'skipped'
          ? nothing
          : live
            ? html`${this.renderEvents(live)} ${this.renderFiles(run, live)}`
            : html`${this.renderResult(run)} ${this.renderFiles(run, live)} ${this.renderEvents(live)}`
      }
    </div>`;
  }

  private renderLoadError() {
    const t = this.i18n.t;
    const error = this.load.error ? asApiError(this.load.error) : null;
    const notFound = error?.status === 404;
    return html`<ap-error-banner
      testid="run-load-error"
      .heading=${notFound ? t.run.notFound : t.run.loadFailed}
      .message=${notFound || !error ? '' : errorMessage(t, error)}
      .code=${error?.code ?? ''}
    >
      ${notFound ? nothing : html`<button class="small" type="button" @click=${() => this.load.run()}>${t.run.tryAgain}</button>`}
      <a class="button small" href="/agents">${t.run.allAgents}</a>
    </ap-error-banner>`;
  }

  /** Reading the run again failed: what shows may be out of date. */
  private renderRefreshError() {
    if (this.load.status !== TaskStatus.ERROR) return nothing;
    const t = this.i18n.t;
    const error = asApiError(this.load.error);
    return html`<ap-error-banner
      testid="run-refresh-error"
      .heading=${t.run.refreshFailed}
      .message=${errorMessage(t, error)}
      .code=${error.code}
    >
      <button class="small" type="button" @click=${() => this.load.run()}>${t.run.tryAgain}</button>
    </ap-error-banner>`;
  }

  private renderHeading(run: AgentRun, agentName: string | null) {
    const t = this.i18n.t.run;
    const deleted = run.agentDeleted || agentName === null;
    const name = agentName ?? t.deletedAgent;
    const reason = runReasonText(this.i18n.t, run.reason);
    const infraNote = runInfraNote(this.i18n.t, run);
    const cancelling = this.cancel.status === TaskStatus.PENDING;
    const retrying = this.retry.status === TaskStatus.PENDING;
    const live = !isTerminalRunStatus(run.status);
    return html`
      <nav class="crumbs" aria-label=${t.breadcrumbs}>
        <a href="/agents">${t.allAgents}</a>
        <span aria-hidden="true">›</span>
        ${
          deleted
            ? html`<span data-testid="run-agent-deleted">${name}</span>`
            : html`<a href=${agentPath(run.agentId)} data-testid="run-agent-link">${name}</a>`
        }
      </nav>
      <div class="title-row">
        <h1>${t.title(name)}</h1>
        <ap-run-status-badge .status=${run.status} announce></ap-run-status-badge>
        ${live ? html`<ap-conn-indicator .state=${this.events.connection}></ap-conn-indicator>` : nothing}
      </div>
      ${deleted ? html`<p class="muted">${t.deletedNote}</p>` : nothing}
      ${
        reason
          ? html`<p class="reason ${run.status}" data-testid="run-reason" data-reason=${run.reason ?? ''}
              >${reason}${infraNote ? html`<span class="note">${infraNote}</span>` : nothing}</p
            >`
          : nothing
      }
      ${
        canCancel(run.status) || canRetry(run.status)
          ? html`<div class="actions">
              ${
                canCancel(run.status)
                  ? html`<button
                      type="button"
                      data-testid="run-cancel"
                      ?disabled=${cancelling}
                      @click=${this.onCancel}
                    >
                      ${cancelling ? html`<span class="spinner" aria-hidden="true"></span>${t.cancelling}` : t.cancel}
                    </button>`
                  : nothing
              }
              ${
                canRetry(run.status) && !deleted
                  ? html`<button
                      class="primary"
                      type="button"
                      data-testid="run-retry"
                      ?disabled=${retrying}
                      @click=${this.onRetry}
                    >
                      ${retrying ? html`<span class="spinner" aria-hidden="true"></span>${t.retrying}` : t.retry}
                    </button>`
                  : nothing
              }
            </div>`
          : nothing
      }
      ${
        this.actionError
          ? html`<ap-error-banner
              dismissible
              testid="run-action-error"
              .heading=${this.actionError.action === 'cancel' ? t.cancelFailed : t.retryFailed}
              .message=${errorMessage(this.i18n.t, this.actionError.error)}
              .code=${this.actionError.error.code}
              @ap-dismiss=${() => {
                this.actionError = null;
              }}
            ></ap-error-banner>`
          : nothing
      }
    `;
  }

  private renderFacts(run: AgentRun) {
    const t = this.i18n.t.run;
    const locale = this.i18n.locale;
    const when = (ms: number | null, otherwise: string) => (ms === null ? otherwise : formatDateTime(locale, ms));
    const n = (v: number) => formatInteger(locale, v);
    const never = run.startedAt === null && isTerminalRunStatus(run.status);
    const trigger =
      run.trigger === 'schedule'
        ? run.scheduledFor === null
          ? t.trigger.scheduleUnknown
          : t.trigger.schedule(formatDateTime(locale, run.scheduledFor))
        : run.trigger === 'manual'
          ? t.trigger.manual
          : t.trigger.retry(run.attempt);
    const { tokens } = run;
    const cache = tokens.cacheReadTokens + tokens.cacheCreationTokens > 0;
    return html`<dl class="facts">
      <div>
        <dt>${t.labels.trigger}</dt>
        <dd data-testid="run-trigger" data-trigger=${run.trigger}>${trigger}</dd>
      </div>
      <div>
        <dt>${t.labels.queued}</dt>
        <dd data-testid="run-queued-at">${formatDateTime(locale, run.queuedAt)}</dd>
      </div>
      <div>
        <dt>${t.labels.started}</dt>
        <dd data-testid="run-started-at">${when(run.startedAt, never ? t.neverStarted : t.notYet)}</dd>
      </div>
      <div>
        <dt>${t.labels.ended}</dt>
        <dd data-testid="run-ended-at">${when(run.endedAt, t.notYet)}</dd>
      </div>
      <div>
        <dt>${t.labels.duration}</dt>
        <dd data-testid="run-duration">${run.durationMs === null ? t.notYet : formatDurationMs(locale, run.durationMs)}</dd>
      </div>
      <div>
        <dt>${t.labels.tokens}</dt>
        <dd data-testid="run-tokens">
          ${t.tokens(n(tokens.inputTokens), n(tokens.outputTokens))}
          ${cache ? html`<span class="muted small">${t.cacheTokens(n(tokens.cacheReadTokens), n(tokens.cacheCreationTokens))}</span>` : nothing}
        </dd>
      </div>
      <div>
        <dt>${t.labels.cost}</dt>
        <dd data-testid="run-cost">${formatCostUsd(locale, run.costUsd)}</dd>
      </div>
    </dl>`;
  }

  private renderFiles(run: AgentRun, live: boolean) {
    const t = this.i18n.t.run;
    return html`<section class="section" aria-labelledby="files-heading">
      <h2 id="files-heading">${t.files.title}</h2>
      ${
        live
          ? html`<p class="muted" data-testid="run-files-pending">${t.files.pending}</p>`
          : html`<ap-run-files
              .api=${this.api}
              .runId=${run.id}
              .files=${run.files}
              .folder=${agentFolder(run.agentId)}
            ></ap-run-files>`
      }
    </section>`;
  }

  private renderResult(run: AgentRun) {
    const t = this.i18n.t.run;
    return html`<section class="section" aria-labelledby="result-heading">
      <h2 id="result-heading">${t.resultTitle}</h2>
      ${
        run.result?.trim()
          ? html`<div class="md result" data-testid="run-result">${unsafeHTML(renderMarkdown(run.result))}</div>`
          : html`<p class="muted" data-testid="run-result-empty">${t.noResult}</p>`
      }
    </section>`;
  }

  private renderEvents(live: boolean) {
    const t = this.i18n.t;
    const events = this.events;
    let body: unknown;
    if (events.notice) {
      body = html`<ap-error-banner
        testid="run-events-error"
        .heading=${t.run.eventsFailed}
        .message=${errorMessage(t, events.notice)}
        .code=${events.notice.code}
      ></ap-error-banner>`;
    } else if (!events.replayed && events.view.lastSeq < 0) {
      body = html`<div class="loading" role="status" data-testid="run-events-loading">
        <span class="spinner" aria-hidden="true"></span>${t.run.eventsLoading}
      </div>`;
    } else {
      body = html`<ap-run-events .view=${events.view} ?live=${live}></ap-run-events>`;
    }
    return html`<section class="section" aria-labelledby="events-heading">
      <h2 id="events-heading">${live ? t.run.eventsLiveTitle : t.run.eventsTitle}</h2>
      ${body}
    </section>`;
  }

  private currentRun(): AgentRun | null {
    return this.data && this.data.run.id === this.runId ? this.data.run : null;
  }

  private runnerEndpoint(): RunnerEndpoint | undefined {
    if (this.runner) return this.runner;
    const api = this.api;
    if (!api) return undefined;
    this.ownRunner ??= new RunnerEndpoint(() => api.me());
    return this.ownRunner;
  }

  /** A run read (loaded, reloaded, or as Cancel answered): show it, and keep asking while it goes on. */
  private show(response: RunResponse | null): void {
    if (!response || response.run.id !== this.runId) return;
    this.data = response;
    if (isTerminalRunStatus(response.run.status)) {
      this.endReloadsLeft = 0;
      this.clearTimers();
      return;
    }
    this.schedulePoll();
    if (this.endReloadsLeft > 0) {
      this.endReloadsLeft--;
      this.scheduleReload(endReloadDelayMs);
    }
  }

  private onRunEvent(event: SessionEvent): void {
    const run = this.currentRun();
    if (!run || isTerminalRunStatus(run.status)) return;
    if (event.type === 'run.ended') {
      // Its result, files and cost are stored now.
      this.endReloadsLeft = endReloadTries;
      this.scheduleReload();
    } else if (event.type === 'turn.result' || event.type === 'error') {
      this.scheduleReload();
    } else if (run.status === 'queued' && this.load.status !== TaskStatus.PENDING) {
      // It started: read its start time.
      this.scheduleReload();
    }
  }

  private scheduleReload(delayMs = reloadDelayMs): void {
    if (this.reloadTimer !== null) return;
    this.reloadTimer = setTimeout(() => {
      this.reloadTimer = null;
      void this.load.run();
    }, delayMs);
  }

  private schedulePoll(): void {
    if (this.pollTimer !== null) clearTimeout(this.pollTimer);
    this.pollTimer = setTimeout(() => {
      this.pollTimer = null;
      if (this.isConnected) void this.load.run();
    }, pollIntervalMs);
  }

  private clearTimers(): void {
    if (this.reloadTimer !== null) clearTimeout(this.reloadTimer);
    if (this.pollTimer !== null) clearTimeout(this.pollTimer);
    this.reloadTimer = null;
    this.pollTimer = null;
  }

  private onCancel(): void {
    this.actionError = null;
    void this.cancel.run();
  }

  private onRetry(): void {
    this.actionError = null;
    void this.retry.run();
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ap-run-page': RunPage;
  }
}
