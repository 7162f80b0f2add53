import type { Notification, NotificationListResponse } from '@agent-platform/core/protocol';
import { html, LitElement, nothing } from 'lit';
import { customElement, property, query, state } from 'lit/decorators.js';
import { type ApiClient, type ApiError, asApiError } from '../api/client.js';
import { LocaleController } from '../controllers/locale-controller.js';
import { pathFor } from '../controllers/router.js';
import { formatCostUsd, formatDateTime, formatRelativeTime } from '../i18n/format.js';
import { errorMessage } from '../i18n/index.js';
import { PollController } from './agent-poll.js';
import './error-banner.js';
import { notificationBellStyles } from './notification-bell.styles.js';
import './run-status-badge.js';
import { runReasonText } from './run-status-text.js';
import { sharedStyles } from './shared.styles.js';

/** How often the bell asks for news while the tab is visible. */
const pollMs = 30_000;

/**
 * The header's bell: how many runs ended unseen, and a list of them (each links to its run).
 * Opening the list marks them read; they stay marked "new" until it closes.
 */
@customElement('ap-notification-bell')
export class NotificationBell extends LitElement {
  static override styles = [sharedStyles, notificationBellStyles];

  @property({ attribute: false }) api?: ApiClient;

  @state() private list: NotificationListResponse | null = null;
  @state() private open = false;
  @state() private loading = false;
  @state() private error: ApiError | null = null;
  /** The ones unread when the list was opened: shown as new while it stays open. */
  @state() private fresh: ReadonlySet<string> = new Set();
  @state() private now = Date.now();

  @query('.bell') private button?: HTMLButtonElement;

  private readonly i18n = new LocaleController(this);
  private loadedFor: ApiClient | undefined;

  constructor() {
    super();
    new PollController(this, { intervalMs: pollMs, tick: () => this.refresh() });
  }

  override connectedCallback(): void {
    super.connectedCallback();
    document.addEventListener('click', this.onDocumentClick);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    document.removeEventListener('click', this.onDocumentClick);
  }

  protected override willUpdate(): void {
    if (this.api && this.api !== this.loadedFor) {
      this.loadedFor = this.api;
      void this.refresh();
    }
  }

  override render() {
    const t = this.i18n.t.notifications;
    const unread = this.list?.unread ?? 0;
    return html`<div class="wrap" @keydown=${this.onKeyDown}>
      <button
        class="bell small"
        type="button"
        aria-expanded=${this.open ? 'true' : 'false'}
        aria-controls="notifications"
        aria-label=${unread > 0 ? t.buttonUnread(unread) : t.button}
        data-testid="notifications-bell"
        @click=${this.toggle}
      >
        <svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true" focusable="false">
          <path
            d="M12 22a2.5 2.5 0 0 0 2.45-2h-4.9A2.5 2.5 0 0 0 12 22Zm7-6V11a7 7 0 0 0-5.5-6.84V3.5a1.5 1.5 0 0 0-3 0v.66A7 7 0 0 0 5 11v5l-2 2v1h18v-1l-2-2Z"
            fill="currentColor"
          ></path>
        </svg>
        ${unread > 0 ? html`<span class="count" data-testid="notifications-unread">${unread > 9 ? '9+' : unread}</span>` : nothing}
      </button>
      ${this.open ? this.renderPanel() : nothing}
    </div>`;
  }

  private renderPanel() {
    const t = this.i18n.t;
    const n = t.notifications;
    const items = this.list?.notifications ?? [];
    return html`<section id="notifications" class="panel" aria-labelledby="notifications-title" data-testid="notifications-panel">
      <h2 id="notifications-title">${n.title}</h2>
      ${
        this.error
          ? html`<ap-error-banner .heading=${n.loadFailed} .message=${errorMessage(t, this.error)} .code=${this.error.code}>
              <button class="small" type="button" @click=${() => this.refresh()}>${t.agents.tryAgain}</button>
            </ap-error-banner>`
          : nothing
      }
      ${
        this.list === null && this.loading
          ? html`<div class="loading" role="status"><span class="spinner" aria-hidden="true"></span>${n.loading}</div>`
          : items.length === 0 && !this.error
            ? html`<p class="empty">${n.empty}</p>`
            : html`<ul>
                ${items.map((item) => this.renderItem(item))}
              </ul>`
      }
    </section>`;
  }

  private renderItem(item: Notification) {
    const t = this.i18n.t;
    const locale = this.i18n.locale;
    const reason = item.status === 'succeeded' ? null : runReasonText(t, item.reason);
    const isNew = this.fresh.has(item.id);
    return html`<li class=${isNew ? 'new' : ''}>
      <a href=${pathFor({ name: 'run', runId: item.runId })} data-testid="notification-item" @click=${this.close}>
        <span class="line">
          ${isNew ? html`<span class="visually-hidden">${t.notifications.new}: </span>` : nothing}
          ${t.notifications.finished(item.agentName, t.notifications.outcome[item.status])}
        </span>
        ${reason ? html`<span class="reason">${reason}</span>` : nothing}
        <span class="meta">
          <ap-run-status-badge .status=${item.status}></ap-run-status-badge>
          ${formatCostUsd(locale, item.costUsd)} ·
          <time datetime=${new Date(item.at).toISOString()} title=${formatDateTime(locale, item.at)}
            >${formatRelativeTime(locale, item.at, this.now)}</time
          >
        </span>
      </a>
    </li>`;
  }

  private async refresh(): Promise<void> {
    const api = this.api;
    if (!api || this.loading) return;
    this.loading = true;
    try {
      this.list = await api.notifications();
      this.error = null;
      this.now = Date.now();
      if (this.open) await this.markRead();
    } catch (e) {
      this.error = asApiError(e);
    } finally {
      this.loading = false;
    }
  }

  /** Marks everything listed as read, here and on the server. */
  private async markRead(): Promise<void> {
    const list = this.list;
    const api = this.api;
    if (!api || !list || list.unread === 0) return;
    const unread = list.notifications.filter((n) => n.readAt === null);
    this.fresh = new Set([...this.fresh, ...unread.map((n) => n.id)]);
    const upTo = Math.max(0, ...list.notifications.map((n) => n.at));
    const readAt = Date.now();
    this.list = {
      unread: 0,
      notifications: list.notifications.map((n) => (n.readAt === null ? { ...n, readAt } : n)),
    };
    try {
      await api.markNotificationsRead(upTo);
    } catch (e) {
      // Not marked on the server: the count comes back at the next refresh; say why meanwhile.
      this.error = asApiError(e);
    }
  }

  private readonly toggle = (): void => {
    if (this.open) {
      this.close();
      return;
    }
    this.open = true;
    this.now = Date.now();
    void this.markRead();
    if (this.list === null || this.error) void this.refresh();
  };

  private readonly close = (): void => {
    this.open = false;
    this.fresh = new Set();
  };

  private readonly onKeyDown = (e: KeyboardEvent): void => {
    if (e.key === 'Escape' && this.open) {
      e.stopPropagation();
      this.close();
      this.button?.focus();
    }
  };

  private readonly onDocumentClick = (e: MouseEvent): void => {
    if (this.open && !e.composedPath().includes(this)) this.close();
  };
}

declare global {
  interface HTMLElementTagNameMap {
    'ap-notification-bell': NotificationBell;
  }
}
