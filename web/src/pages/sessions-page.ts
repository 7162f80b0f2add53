import type { Session, SessionListResponse } from '@agent-platform/core/protocol';
import { Task, TaskStatus } from '@lit/task';
import { html, LitElement, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { type ApiClient, asApiError } from '../api/client.js';
import '../components/agent-new-button.js';
import '../components/error-banner.js';
import { NavigateEvent } from '../components/events.js';
import '../components/session-list.js';
import { sharedStyles } from '../components/shared.styles.js';
import { LocaleController } from '../controllers/locale-controller.js';
import { pathFor } from '../controllers/router.js';
import { errorMessage } from '../i18n/index.js';
import { pageStyles } from './page.styles.js';
import { sessionsPageStyles } from './sessions-page.styles.js';

const pageSize = 30;

/**
 * The session list with a form to start a new one. Children (the first-run card) show above it.
 *
 * @slot - shown at the top of the page.
 * @fires ap-navigate - to the new session's page.
 */
@customElement('ap-sessions-page')
export class SessionsPage extends LitElement {
  static override styles = [sharedStyles, pageStyles, sessionsPageStyles];

  @property({ attribute: false }) api?: ApiClient;

  @state() private newTitle = '';
  /** Pages loaded with "show older", after the first. */
  @state() private older: readonly Session[] = [];
  @state() private nextBefore: string | null = null;

  private readonly i18n = new LocaleController(this);

  private readonly firstPage = new Task(this, {
    args: () => [this.api] as const,
    task: async ([api], { signal }): Promise<SessionListResponse | null> =>
      api ? api.listSessions({ limit: pageSize }, signal) : null,
    onComplete: (page) => {
      this.older = [];
      this.nextBefore = page?.nextBefore ?? null;
    },
  });

  private readonly olderPage = new Task(this, {
    autoRun: false,
    args: () => [this.api, this.nextBefore] as const,
    task: async ([api, before], { signal }) => {
      if (!api || before === null) return null;
      return api.listSessions({ limit: pageSize, before }, signal);
    },
    onComplete: (page) => {
      if (!page) return;
      const known = new Set([...(this.firstPage.value?.sessions ?? []), ...this.older].map((s) => s.id));
      this.older = [...this.older, ...page.sessions.filter((s) => !known.has(s.id))];
      this.nextBefore = page.nextBefore;
    },
  });

  private readonly create = new Task(this, {
    autoRun: false,
    args: () => [this.api, this.newTitle.trim()] as const,
    task: async ([api, title], { signal }) => {
      if (!api) throw new Error('no API client');
      return api.createSession(title ? { title, context: 'workspace' } : { context: 'workspace' }, signal);
    },
    onComplete: ({ session }) => {
      this.dispatchEvent(new NavigateEvent(pathFor({ name: 'workspace', sessionId: session.id })));
    },
  });

  override render() {
    const t = this.i18n.t;
    const creating = this.create.status === TaskStatus.PENDING;
    return html`<div class="page">
      <slot></slot>
      <h1>${t.sessions.title}</h1>
      <p class="lead">${t.sessions.intro}</p>
      <form @submit=${this.onCreate}>
        <div class="field">
          <label for="title">${t.sessions.newTitleLabel}</label>
          <input
            id="title"
            data-testid="new-session-title"
            maxlength="200"
            placeholder=${t.sessions.newTitlePlaceholder}
            .value=${this.newTitle}
            @input=${(e: InputEvent) => {
              this.newTitle = (e.target as HTMLInputElement).value;
            }}
          />
        </div>
        <button class="primary" type="submit" data-testid="new-session" ?disabled=${creating}>
          ${creating ? html`<span class="spinner" aria-hidden="true"></span>${t.sessions.creating}` : t.sessions.newSession}
        </button>
      </form>
      ${
        this.create.status === TaskStatus.ERROR
          ? this.renderError(t.errors.createFailed, this.create.error, () => this.create.run())
          : nothing
      }
      <div class="agent-cta">
        <p>${t.agents.sessionsCta}</p>
        <ap-agent-new-button .api=${this.api}></ap-agent-new-button>
      </div>
      ${this.firstPage.render({
        initial: () => this.renderLoading(),
        pending: () => (this.firstPage.value ? this.renderList(this.firstPage.value.sessions) : this.renderLoading()),
        complete: (page) => (page ? this.renderList(page.sessions) : nothing),
        error: (e) => this.renderError(t.sessions.loadFailed, e, () => this.firstPage.run()),
      })}
    </div>`;
  }

  private renderLoading() {
    return html`<div class="loading" role="status">
      <span class="spinner" aria-hidden="true"></span>${this.i18n.t.sessions.loading}
    </div>`;
  }

  private renderList(first: readonly Session[]) {
    const t = this.i18n.t.sessions;
    const sessions = [...first, ...this.older];
    if (sessions.length === 0) return html`<p class="empty">${t.empty}</p>`;
    const loadingMore = this.olderPage.status === TaskStatus.PENDING;
    return html`<ap-session-list .sessions=${sessions} .now=${Date.now()}></ap-session-list>
      ${
        this.olderPage.status === TaskStatus.ERROR
          ? this.renderError(t.loadFailed, this.olderPage.error, () => this.olderPage.run())
          : nothing
      }
      ${
        this.nextBefore !== null
          ? html`<div class="more">
              <button type="button" ?disabled=${loadingMore} @click=${() => this.olderPage.run()}>
                ${loadingMore ? html`<span class="spinner" aria-hidden="true"></span>${t.loading}` : t.loadMore}
              </button>
            </div>`
          : nothing
      }`;
  }

  private renderError(heading: string, error: unknown, retry: () => unknown) {
    const e = asApiError(error);
    const t = this.i18n.t;
    return html`<ap-error-banner .heading=${heading} .message=${errorMessage(t, e)} .code=${e.code}>
      <button class="small" type="button" @click=${retry}>${t.sessions.tryAgain}</button>
    </ap-error-banner>`;
  }

  private onCreate(e: SubmitEvent): void {
    e.preventDefault();
    void this.create.run();
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ap-sessions-page': SessionsPage;
  }
}
