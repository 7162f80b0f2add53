import { html, LitElement, nothing, type PropertyValues } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { styleMap } from 'lit/directives/style-map.js';
import type { ActivityView, SandboxView } from '../controllers/conversation.js';
import { LocaleController } from '../controllers/locale-controller.js';
import { TransientFlag } from '../controllers/transient-flag.js';
import { formatPercent, formatSeconds } from '../i18n/format.js';
import type { Messages } from '../i18n/index.js';
import { type SandboxStatus, sandboxStatus } from './sandbox-text.js';
import { sharedStyles } from './shared.styles.js';
import { statusLineStyles } from './status-line.styles.js';

/** How long "Workspace ready (0.4 s)" stays after a start the person watched. */
const readyNoteMs = 3_000;

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

/**
 * What Claude is doing now, announced politely to screen readers; while the user's sandbox starts,
 * its progress instead, and a short note when it is ready.
 */
@customElement('ap-status-line')
export class StatusLine extends LitElement {
  static override styles = [sharedStyles, statusLineStyles];

  @property({ attribute: false }) activity: ActivityView = { kind: 'idle' };

  /** The sandbox's latest state (the conversation view's `sandbox`). */
  @property({ attribute: false }) sandbox: SandboxView | null = null;

  private readonly i18n = new LocaleController(this);
  private readonly readyNote = new TransientFlag(this, readyNoteMs);
  /** The newest sandbox event rendered; null before the first render. */
  private seenSandboxSeq: number | null = null;

  protected override willUpdate(_changed: PropertyValues<this>): void {
    const seq = this.sandbox?.seq ?? -1;
    // A restored (or first seen) state is history: only a change seen here earns the note.
    if (this.seenSandboxSeq !== null && seq > this.seenSandboxSeq && this.sandbox?.state === 'ready') {
      this.readyNote.show();
    }
    if (this.seenSandboxSeq === null || seq > this.seenSandboxSeq) this.seenSandboxSeq = seq;
  }

  override render() {
    const t = this.i18n.t;
    const shown = sandboxStatus(this.sandbox, this.activity, this.readyNote.active);
    const busy = shown?.kind === 'starting' || (this.activity.kind !== 'idle' && this.activity.kind !== 'stopped');
    return html`<div
      class="status ${busy ? 'busy' : ''}"
      role="status"
      aria-live="polite"
      data-testid="status-line"
      data-kind=${this.activity.kind}
    >
      ${busy ? html`<span class="spinner" aria-hidden="true"></span>` : html`<span class="dot" aria-hidden="true"></span>`}
      ${
        shown?.kind === 'starting' || shown?.kind === 'stopped'
          ? nothing
          : html`<span class="text">${activityText(t.status, this.activity)}</span>`
      }
      ${this.renderSandbox(shown)}
    </div>`;
  }

  private renderSandbox(shown: SandboxStatus) {
    const sandbox = this.sandbox;
    if (!sandbox) return nothing;
    const t = this.i18n.t.sandbox;
    const locale = this.i18n.locale;
    switch (shown?.kind) {
      case 'starting': {
        const percent = shown.progress === null ? null : Math.round(shown.progress * 100);
        return html`<span class="sandbox starting" data-testid="sandbox-status" data-state=${sandbox.state}>
          <span class="text">${t.starting}</span>
          ${
            shown.progress === null
              ? nothing
              : html`<span class="percent" aria-hidden="true">${formatPercent(locale, shown.progress)}</span>`
          }
          <span
            class="bar ${percent === null ? 'indeterminate' : ''}"
            role="progressbar"
            aria-label=${t.progressLabel}
            aria-valuemin="0"
            aria-valuemax="100"
            aria-valuenow=${percent ?? nothing}
          ><span class="fill" style=${styleMap(percent === null ? {} : { width: `${percent}%` })}></span></span>
        </span>`;
      }
      case 'ready':
        return html`<span class="sandbox note" data-testid="sandbox-status" data-state=${sandbox.state}>
          <span aria-hidden="true">✓</span>
          <span class="text">${t.ready(shown.ms === null ? null : formatSeconds(locale, shown.ms))}</span>
        </span>`;
      case 'stopped':
        return html`<span class="sandbox text" data-testid="sandbox-status" data-state=${sandbox.state}
          >${t.stopped}</span
        >`;
      default:
        // Nothing to say; the state is still there for whoever looks (tests, support).
        return html`<span class="sandbox" data-testid="sandbox-status" data-state=${sandbox.state} hidden></span>`;
    }
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ap-status-line': StatusLine;
  }
}
