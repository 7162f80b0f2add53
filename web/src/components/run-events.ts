import { html, LitElement, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { repeat } from 'lit/directives/repeat.js';
import type { ConversationView, TurnView } from '../controllers/conversation.js';
import { LocaleController } from '../controllers/locale-controller.js';
import './error-banner.js';
import { runEventsStyles } from './run-events.styles.js';
import { sandboxFailureHeading, sandboxFailureMessage } from './sandbox-text.js';
import { sharedStyles } from './shared.styles.js';
import { renderTurnItem } from './turn-item.js';
import './status-line.js';

/**
 * What an agent run did, from its events: Claude's text and tool calls in order, its errors, and
 * (while it runs) the status line. A run is one turn with no user message, so only the turn's
 * items show. A view: it renders the events view it is given.
 */
@customElement('ap-run-events')
export class RunEvents extends LitElement {
  static override styles = [sharedStyles, runEventsStyles];

  /** The run's events as the conversation model folds them. */
  @property({ attribute: false }) view?: ConversationView;

  /** The run is queued or running: show the status line and running tools. */
  @property({ type: Boolean }) live = false;

  private readonly i18n = new LocaleController(this);

  override render() {
    const view = this.view;
    if (!view) return nothing;
    const t = this.i18n.t.run;
    const hasItems = view.turns.some((turn) => turn.items.length > 0);
    return html`<div class="events" data-testid="run-events">
      ${
        this.live
          ? html`<ap-status-line .activity=${view.activity} .sandbox=${view.sandbox}></ap-status-line>`
          : nothing
      }
      ${
        hasItems
          ? repeat(
              view.turns,
              (turn) => turn.key,
              (turn) => this.renderTurn(turn),
            )
          : html`<p class="empty" data-testid="run-events-empty">${this.live ? t.eventsWaiting : t.eventsNone}</p>`
      }
      ${hasItems ? nothing : view.turns.map((turn) => this.renderErrors(turn))}
      ${
        view.sandboxFailure
          ? html`<ap-error-banner
              testid="sandbox-failed"
              data-reason=${view.sandboxFailure.reason ?? ''}
              .heading=${sandboxFailureHeading(this.i18n.t.sandbox, view.sandboxFailure)}
              .message=${sandboxFailureMessage(this.i18n.t.sandbox, view.sandboxFailure)}
            ></ap-error-banner>`
          : nothing
      }
      ${
        view.sessionError
          ? html`<ap-error-banner
              .heading=${this.i18n.t.errors.codes[view.sessionError.code] ?? this.i18n.t.errors.title}
              .message=${view.sessionError.message}
              .code=${view.sessionError.code}
            ></ap-error-banner>`
          : nothing
      }
    </div>`;
  }

  private renderTurn(turn: TurnView) {
    return html`<div class="items" data-state=${turn.state}>
        ${repeat(
          turn.items,
          (item) => item.key,
          (item) => renderTurnItem(item, turn),
        )}
      </div>
      ${this.renderErrors(turn)}`;
  }

  /** The run's own errors; its status and reason are on the page above, so no retry here. */
  private renderErrors(turn: TurnView) {
    const t = this.i18n.t;
    const failure = turn.sandboxFailure;
    if (failure) {
      return html`<ap-error-banner
        testid="sandbox-failed"
        data-reason=${failure.reason ?? ''}
        .heading=${sandboxFailureHeading(t.sandbox, failure)}
        .message=${sandboxFailureMessage(t.sandbox, failure)}
        .code=${turn.errors.at(-1)?.code ?? ''}
      ></ap-error-banner>`;
    }
    return turn.errors.map(
      (error) =>
        html`<ap-error-banner
          .heading=${t.errors.codes[error.code] ?? t.run.eventError}
          .message=${error.message}
          .code=${error.code}
        ></ap-error-banner>`,
    );
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ap-run-events': RunEvents;
  }
}
