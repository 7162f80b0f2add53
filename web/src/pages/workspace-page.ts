import { html, LitElement, nothing } from 'lit';
import { customElement, property, query, state } from 'lit/decorators.js';
import { repeat } from 'lit/directives/repeat.js';
import type { ApiClient, ApiError } from '../api/client.js';
import type { RunnerEndpoint } from '../api/runner-endpoint.js';
import '../components/agent-preview.js';
import '../components/chat-turn.js';
import '../components/composer.js';
import type { Composer } from '../components/composer.js';
import '../components/conn-indicator.js';
import '../components/error-banner.js';
import type { DraftChangeEvent, RetryMessageEvent, SendMessageEvent } from '../components/events.js';
import { sandboxFailureHeading, sandboxFailureMessage } from '../components/sandbox-text.js';
import { sharedStyles } from '../components/shared.styles.js';
import '../components/status-line.js';
import { ConversationController } from '../controllers/conversation-controller.js';
import { LocaleController } from '../controllers/locale-controller.js';
import { StickToBottomController } from '../controllers/stick-to-bottom.js';
import { errorMessage } from '../i18n/index.js';
import { workspacePageStyles } from './workspace-page.styles.js';

/**
 * The workspace: one session's conversation, restored on load and followed live, with the
 * message box. The conversation controller does the I/O; this page renders what it holds.
 * In an agent-create session, the agent's latest draft shows beside the conversation (below it
 * on narrow screens), from the conversation's `agent.proposal` and `agent.saved` events.
 */
@customElement('ap-workspace-page')
export class WorkspacePage extends LitElement {
  static override styles = [sharedStyles, workspacePageStyles];

  @property({ attribute: false }) api?: ApiClient;

  /** Where the runner's WebSocket is (from /api/me); without it, `/ws` on this origin. */
  @property({ attribute: false }) runner?: RunnerEndpoint;

  @property() sessionId = '';

  /** The message box's text (kept here so a failed send can give it back). */
  @state() private draft = '';
  @state() private sendError: ApiError | null = null;
  @state() private retryError: ApiError | null = null;
  @state() private retrying: ReadonlySet<string> = new Set();

  @query('.scroller') private scroller?: HTMLElement;
  @query('.conversation') private content?: HTMLElement;
  @query('ap-composer') private composer?: Composer;

  /** The last failed send: the same words sent again reuse its id, so the server stores them once. */
  private unsent: { text: string; clientMessageId: string } | null = null;
  private focusedFor: string | null = null;

  private readonly i18n = new LocaleController(this);
  private readonly conversation = new ConversationController(this, {
    api: () => this.api,
    sessionId: () => this.sessionId || undefined,
    runner: () => this.runner,
  });
  private readonly pinned = new StickToBottomController(
    this,
    () => this.scroller,
    () => this.content,
  );

  override render() {
    const t = this.i18n.t;
    const c = this.conversation;
    const ready = c.loadState === 'ready';
    // A new session gets its title from its first message on the server; show the same meanwhile.
    const firstText = c.view.turns[0]?.text?.trim().split('\n')[0]?.slice(0, 80);
    const title = c.session ? c.session.title || firstText || t.sessions.untitled : '';
    const agentCreate = ready && c.session?.context === 'agent-create';
    return html`
      <div class="body ${agentCreate ? 'with-preview' : ''}">
        <div class="bar">
          <div class="inner">
            <a class="back" href="/" aria-label=${t.workspace.back}>← <span>${t.workspace.back}</span></a>
            <h1 title=${title}>${title}</h1>
            ${ready ? html`<ap-conn-indicator .state=${c.connection}></ap-conn-indicator>` : nothing}
          </div>
        </div>
        <section class="scroller" aria-label=${t.workspace.conversationLabel} @scroll=${this.pinned.onScroll}>
          <div class="conversation inner">${this.renderBody(agentCreate)}</div>
        </section>
        ${
          agentCreate
            ? html`<aside class="side" aria-label=${t.preview.label}>
                <ap-agent-preview
                  .api=${this.api}
                  .proposal=${c.view.proposal}
                  .saved=${c.view.saved}
                ></ap-agent-preview>
              </aside>`
            : nothing
        }
        <div class="dock">
          <div class="inner">
            ${ready ? html`<ap-status-line .activity=${c.view.activity} .sandbox=${c.view.sandbox}></ap-status-line>` : nothing}
            ${this.renderBanner(this.sendError, t.errors.sendFailed, () => {
              this.sendError = null;
            })}
            ${this.renderBanner(this.retryError, t.errors.retryFailed, () => {
              this.retryError = null;
            })}
            <ap-composer
              .value=${this.draft}
              ?disabled=${!ready}
              @ap-draft-change=${this.onDraftChange}
              @ap-send=${this.onSend}
            ></ap-composer>
          </div>
        </div>
      </div>
    `;
  }

  protected override updated(): void {
    // Put the cursor in the message box once per session, where there is a keyboard to type on.
    if (
      this.conversation.loadState === 'ready' &&
      this.focusedFor !== this.sessionId &&
      matchMedia('(hover: hover) and (pointer: fine)').matches
    ) {
      this.focusedFor = this.sessionId;
      this.composer?.focus();
    }
  }

  private renderBody(agentCreate: boolean) {
    const t = this.i18n.t;
    const c = this.conversation;
    if (c.loadState === 'loading') {
      return html`<div class="loading" role="status">
        <span class="spinner" aria-hidden="true"></span>${t.workspace.loading}
      </div>`;
    }
    if (c.loadState === 'error') {
      const error = c.loadError;
      const notFound = error?.code === 'SESSION_NOT_FOUND' || error?.status === 404;
      return html`<ap-error-banner
        .heading=${notFound ? t.workspace.notFound : t.workspace.loadFailed}
        .message=${notFound || !error ? '' : errorMessage(t, error)}
        .code=${error?.code ?? ''}
      >
        ${notFound ? nothing : html`<button class="small" type="button" @click=${() => c.reload()}>${t.sessions.tryAgain}</button>`}
        <a class="button small" href="/">${t.app.backToSessions}</a>
      </ap-error-banner>`;
    }
    const view = c.view;
    return html`
      ${
        view.turns.length === 0
          ? html`<div class="empty">
              <h2>${agentCreate ? t.preview.chatEmptyTitle : t.workspace.emptyTitle}</h2>
              <p>${agentCreate ? t.preview.chatEmptyBody : t.workspace.emptyBody}</p>
            </div>`
          : repeat(
              view.turns,
              (turn) => turn.key,
              (turn) =>
                html`<ap-chat-turn
                  .turn=${turn}
                  ?retrying=${turn.messageId !== null && this.retrying.has(turn.messageId)}
                  @ap-retry=${this.onRetry}
                ></ap-chat-turn>`,
            )
      }
      ${
        view.sandboxFailure
          ? html`<ap-error-banner
              testid="sandbox-failed"
              data-reason=${view.sandboxFailure.reason ?? ''}
              .heading=${sandboxFailureHeading(t.sandbox, view.sandboxFailure)}
              .message=${sandboxFailureMessage(t.sandbox, view.sandboxFailure)}
            ></ap-error-banner>`
          : nothing
      }
      ${
        view.sessionError
          ? html`<ap-error-banner
              .heading=${t.errors.codes[view.sessionError.code] ?? t.errors.title}
              .message=${view.sessionError.message}
              .code=${view.sessionError.code}
            ></ap-error-banner>`
          : nothing
      }
      ${
        c.notice
          ? html`<ap-error-banner
              dismissible
              .heading=${t.errors.codes[c.notice.code] ?? t.errors.title}
              .message=${c.notice.message}
              .code=${c.notice.code}
              @ap-dismiss=${() => c.dismissNotice()}
            ></ap-error-banner>`
          : nothing
      }
    `;
  }

  private renderBanner(error: ApiError | null, heading: string, dismiss: () => void) {
    if (!error) return nothing;
    return html`<ap-error-banner
      dismissible
      .heading=${heading}
      .message=${errorMessage(this.i18n.t, error)}
      .code=${error.code}
      @ap-dismiss=${dismiss}
    ></ap-error-banner>`;
  }

  private onDraftChange(e: DraftChangeEvent): void {
    this.draft = e.value;
  }

  private async onSend(e: SendMessageEvent): Promise<void> {
    const text = e.text;
    const reuse = this.unsent?.text === text ? this.unsent.clientMessageId : undefined;
    this.unsent = null;
    this.draft = '';
    this.sendError = null;
    this.pinned.stick();
    const result = await this.conversation.send(text, reuse);
    if (result.ok) return;
    this.sendError = result.error;
    if (result.dropped) {
      // Nothing is lost: the words go back into the box, before anything typed since.
      const typedSince = this.draft;
      this.draft = typedSince ? `${text}\n\n${typedSince}` : text;
      this.unsent = typedSince ? null : { text, clientMessageId: result.clientMessageId };
    }
  }

  private async onRetry(e: RetryMessageEvent): Promise<void> {
    const id = e.messageId;
    if (this.retrying.has(id)) return;
    this.retryError = null;
    this.retrying = new Set([...this.retrying, id]);
    const error = await this.conversation.retry(id);
    const next = new Set(this.retrying);
    next.delete(id);
    this.retrying = next;
    this.retryError = error;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ap-workspace-page': WorkspacePage;
  }
}
