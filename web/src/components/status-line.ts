import { html, LitElement } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import type { ActivityView } from '../controllers/conversation.js';
import { LocaleController } from '../controllers/locale-controller.js';
import type { Messages } from '../i18n/index.js';
import { sharedStyles } from './shared.styles.js';
import { statusLineStyles } from './status-line.styles.js';

export function activityText(t: Messages['status'], activity: ActivityView): string {
  switch (activity.kind) {
    case 'sending':
      return t.sending;
    case 'waiting':
      return t.waiting;
    case 'starting':
      return t.starting;
    case 'thinking':
      return t.thinking;
    case 'tool':
      return t.tool(activity.tool || '…');
    case 'idle':
      return t.idle;
    case 'stopped':
      return t.stopped;
  }
}

/** What Claude is doing now, announced politely to screen readers. */
@customElement('ap-status-line')
export class StatusLine extends LitElement {
  static override styles = [sharedStyles, statusLineStyles];

  @property({ attribute: false }) activity: ActivityView = { kind: 'idle' };

  private readonly i18n = new LocaleController(this);

  override render() {
    const busy = this.activity.kind !== 'idle' && this.activity.kind !== 'stopped';
    return html`<div
      class="status ${busy ? 'busy' : ''}"
      role="status"
      aria-live="polite"
      data-testid="status-line"
      data-kind=${this.activity.kind}
    >
      ${busy ? html`<span class="spinner" aria-hidden="true"></span>` : html`<span class="dot" aria-hidden="true"></span>`}
      <span class="text">${activityText(this.i18n.t.status, this.activity)}</span>
    </div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ap-status-line': StatusLine;
  }
}
