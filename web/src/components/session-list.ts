import type { Session } from '@agent-platform/core/protocol';
import { html, LitElement, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { repeat } from 'lit/directives/repeat.js';
import { LocaleController } from '../controllers/locale-controller.js';
import { pathFor } from '../controllers/router.js';
import { formatDateTime, formatRelativeTime } from '../i18n/format.js';
import { sessionListStyles } from './session-list.styles.js';
import { sharedStyles } from './shared.styles.js';

/** Sessions as links, newest first, each with its title and last activity. */
@customElement('ap-session-list')
export class SessionList extends LitElement {
  static override styles = [sharedStyles, sessionListStyles];

  @property({ attribute: false }) sessions: readonly Session[] = [];

  /** "Now" for relative times, in ms since the epoch. */
  @property({ type: Number }) now = Date.now();

  private readonly i18n = new LocaleController(this);

  override render() {
    const t = this.i18n.t.sessions;
    const locale = this.i18n.locale;
    return html`<ul aria-label=${t.listLabel}>
      ${repeat(
        this.sessions,
        (s) => s.id,
        (s) => html`<li>
          <a href=${pathFor({ name: 'workspace', sessionId: s.id })} data-testid="session-item" data-session-id=${s.id}>
            <span class="title ${s.title ? '' : 'untitled'}">${s.title || t.untitled}</span>
            ${s.context === 'agent-create' ? html`<span class="tag" data-testid="session-agent-tag">${t.agentDesignTag}</span>` : nothing}
            <span class="meta" title=${formatDateTime(locale, s.updatedAt)}
              >${t.lastActivity(formatRelativeTime(locale, s.updatedAt, this.now))}</span
            >
          </a>
        </li>`,
      )}
    </ul>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ap-session-list': SessionList;
  }
}
