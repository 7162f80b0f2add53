import type { RunStatus } from '@agent-platform/core/protocol';
import { html, LitElement, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { LocaleController } from '../controllers/locale-controller.js';
import { badgeStyles } from './run-status-badge.styles.js';

const tone: Record<RunStatus, 'good' | 'bad' | 'warn' | 'busy' | 'plain'> = {
  queued: 'busy',
  running: 'busy',
  succeeded: 'good',
  failed: 'bad',
  timed_out: 'bad',
  cancelled: 'plain',
  skipped: 'warn',
};

/**
 * A run's status as a coloured label ("Succeeded", "Running"…); the colour is never the only sign.
 * Its label carries `data-testid="run-status"` and `data-status` (the status) for tests.
 */
@customElement('ap-run-status-badge')
export class RunStatusBadge extends LitElement {
  static override styles = badgeStyles;

  @property() status: RunStatus = 'queued';

  /** Say changes of the status to screen readers (role="status"): for the one badge of a page that follows a run live. */
  @property({ type: Boolean }) announce = false;

  private readonly i18n = new LocaleController(this);

  override render() {
    return html`<span class="badge ${tone[this.status]}" data-testid="run-status" data-status=${this.status}
      role=${this.announce ? 'status' : nothing}
      ><span class="dot" aria-hidden="true"></span>${this.i18n.t.runs.status[this.status]}</span
    >`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ap-run-status-badge': RunStatusBadge;
  }
}
