import { html, LitElement, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { repeat } from 'lit/directives/repeat.js';
import type { TurnErrorView, TurnResultView, TurnView } from '../controllers/conversation.js';
import { LocaleController } from '../controllers/locale-controller.js';
import { formatCostUsd, formatDurationMs, formatInteger } from '../i18n/format.js';
import { chatTurnStyles } from './chat-turn.styles.js';
import './error-banner.js';
import { RetryMessageEvent } from './events.js';
import { sandboxFailureHeading, sandboxFailureMessage } from './sandbox-text.js';
import { sharedStyles } from './shared.styles.js';
import { renderTurnItem } from './turn-item.js';

/**
 * One turn: the user's message, then what Claude wrote and did, its usage, and its errors.
 * Items are keyed, and each item element re-renders only when its own view object changes.
 *
 * @fires ap-retry - the user asked to run this failed message again.
 */
@customElement('ap-chat-turn')
export class ChatTurn extends LitElement {
  static override styles = [sharedStyles, chatTurnStyles];

  @property({ attribute: false }) turn?: TurnView;

  /** A retry request is on its way. */
  @property({ type: Boolean }) retrying = false;

  private readonly i18n = new LocaleController(this);

  override render() {
    const turn = this.turn;
    if (!turn) return nothing;
    return html`<article class="turn" data-state=${turn.state} data-message-id=${turn.messageId ?? ''}>
      ${this.renderUser(turn)}
      <div class="items">${repeat(
        turn.items,
        (item) => item.key,
        (item) => renderTurnItem(item, turn),
      )}</div>
      ${this.renderErrors(turn)} ${turn.result ? this.renderUsage(turn.result) : nothing}
    </article>`;
  }

  private renderUser(turn: TurnView) {
    const t = this.i18n.t.workspace;
    if (turn.text === null) {
      return html`<div class="user-row"><div class="user unknown">${t.unknownMessage}</div></div>`;
    }
    const meta =
      turn.state === 'sending'
        ? html`<span class="meta"><span class="spinner" aria-hidden="true"></span>${t.sending}</span>`
        : turn.state === 'pending'
          ? html`<span class="meta">${t.queued}</span>`
          : nothing;
    return html`<div class="user-row">
      <span class="visually-hidden">${t.you}:</span>
      <div class="user" data-testid="user-message" data-state=${turn.state}>${turn.text}</div>
      ${meta}
    </div>`;
  }

  private renderErrors(turn: TurnView) {
    const t = this.i18n.t;
    const retry = turn.canRetry
      ? html`<button class="small" type="button" ?disabled=${this.retrying} @click=${this.onRetry}>
          ${this.retrying ? html`<span class="spinner" aria-hidden="true"></span>${t.turn.retrying}` : t.turn.retry}
        </button>`
      : nothing;
    const failure = turn.sandboxFailure;
    if (failure) {
      // One banner: the sandbox failure is the cause, the turn's errors (that follow from it) only
      // lend their code and the retry; their messages would say the same thing again.
      const code = turn.errors.at(-1)?.code ?? '';
      return html`<ap-error-banner
        testid="sandbox-failed"
        data-reason=${failure.reason ?? ''}
        .heading=${sandboxFailureHeading(t.sandbox, failure)}
        .message=${sandboxFailureMessage(t.sandbox, failure)}
        .code=${code}
        >${retry}</ap-error-banner
      >`;
    }
    if (turn.errors.length === 0) {
      return turn.state === 'failed'
        ? html`<ap-error-banner .heading=${t.turn.failed}>${retry}</ap-error-banner>`
        : nothing;
    }
    // The retry button goes with the last error: one per turn.
    return turn.errors.map(
      (error, i) =>
        html`<ap-error-banner .heading=${this.errorHeading(error)} .message=${error.message} .code=${error.code}
          >${i === turn.errors.length - 1 ? retry : nothing}</ap-error-banner
        >`,
    );
  }

  private errorHeading(error: TurnErrorView): string {
    const t = this.i18n.t;
    return t.errors.codes[error.code] ?? t.turn.failed;
  }

  private renderUsage(result: TurnResultView) {
    const t = this.i18n.t.turn;
    const locale = this.i18n.locale;
    const n = (v: number) => formatInteger(locale, v);
    const { usage } = result;
    return html`<dl class="usage" data-testid="turn-usage" aria-label=${t.usage}>
      <div><dt>${t.inputTokens}</dt><dd>${n(usage.inputTokens)}</dd></div>
      <div><dt>${t.outputTokens}</dt><dd>${n(usage.outputTokens)}</dd></div>
      <div><dt>${t.cacheRead}</dt><dd>${n(usage.cacheReadTokens)}</dd></div>
      <div><dt>${t.cacheWrite}</dt><dd>${n(usage.cacheCreationTokens)}</dd></div>
      <div><dt>${t.cost}</dt><dd>${formatCostUsd(locale, result.costUsd)}</dd></div>
      <div><dt>${t.duration}</dt><dd>${formatDurationMs(locale, result.durationMs)}</dd></div>
    </dl>`;
  }

  private onRetry(): void {
    const id = this.turn?.messageId;
    if (id) this.dispatchEvent(new RetryMessageEvent(id));
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ap-chat-turn': ChatTurn;
  }
}
