import { html, LitElement, nothing, type PropertyValues } from 'lit';
import { customElement, property, query } from 'lit/decorators.js';
import type { ApiError } from '../api/client.js';
import { LocaleController } from '../controllers/locale-controller.js';
import { errorMessage } from '../i18n/index.js';
import { agentDeleteDialogStyles } from './agent-delete-dialog.styles.js';
import './error-banner.js';
import { sharedStyles } from './shared.styles.js';

const options: EventInit = { bubbles: true, composed: true };

/** The person confirmed deleting the agent. */
export class AgentDeleteConfirmEvent extends Event {
  static readonly eventName = 'ap-agent-delete-confirm';
  constructor(readonly agentId: string) {
    super(AgentDeleteConfirmEvent.eventName, options);
  }
}

/** The dialog was closed without deleting (Cancel, Escape). */
export class AgentDeleteCancelEvent extends Event {
  static readonly eventName = 'ap-agent-delete-cancel';
  constructor() {
    super(AgentDeleteCancelEvent.eventName, options);
  }
}

/**
 * Asks before deleting an agent, and says exactly what happens: the agent and its schedule go, its
 * past runs stay, and the files in its folder stay (Claude can delete them when asked).
 *
 * @fires ap-agent-delete-confirm - Delete was pressed.
 * @fires ap-agent-delete-cancel - Cancel or Escape.
 */
@customElement('ap-agent-delete-dialog')
export class AgentDeleteDialog extends LitElement {
  static override styles = [sharedStyles, agentDeleteDialogStyles];

  /** The agent to delete; the dialog is open while it is set. */
  @property({ attribute: false }) agent: { id: string; name: string; folder: string } | null = null;
  @property({ type: Boolean }) deleting = false;
  @property({ attribute: false }) error: ApiError | null = null;

  @query('dialog') private dialog?: HTMLDialogElement;

  private readonly i18n = new LocaleController(this);

  override render() {
    const t = this.i18n.t;
    const d = t.agents.deleteDialog;
    const agent = this.agent;
    return html`<dialog
      aria-labelledby="delete-title"
      aria-describedby="delete-body"
      data-testid="agent-delete-dialog"
      @cancel=${this.onCancel}
    >
      ${
        agent
          ? html`<h2 id="delete-title">${d.title(agent.name)}</h2>
              <div id="delete-body">
                <ul>
                  <li>${d.removes}</li>
                  <li>${d.history}</li>
                  <li>
                    ${d.files}
                    <code class="folder" data-testid="agent-delete-folder">${agent.folder}</code>
                  </li>
                </ul>
                <p class="hint">${d.filesHow(agent.folder)}</p>
              </div>
              ${
                this.error
                  ? html`<ap-error-banner
                      .heading=${t.agents.deleteFailed}
                      .message=${errorMessage(t, this.error)}
                      .code=${this.error.code}
                    ></ap-error-banner>`
                  : nothing
              }
              <div class="actions">
                <button type="button" data-testid="agent-delete-cancel" ?disabled=${this.deleting} @click=${this.onCancel}>
                  ${d.cancel}
                </button>
                <button
                  class="danger"
                  type="button"
                  data-testid="agent-delete-confirm"
                  ?disabled=${this.deleting}
                  @click=${() => this.dispatchEvent(new AgentDeleteConfirmEvent(agent.id))}
                >
                  ${this.deleting ? html`<span class="spinner" aria-hidden="true"></span>${d.deleting}` : d.confirm}
                </button>
              </div>`
          : nothing
      }
    </dialog>`;
  }

  protected override updated(changed: PropertyValues<this>): void {
    if (!changed.has('agent') || !this.dialog) return;
    if (this.agent && !this.dialog.open) {
      this.dialog.showModal();
      // Cancel first: the safe choice is the one Enter presses.
      this.renderRoot.querySelector<HTMLButtonElement>('[data-testid="agent-delete-cancel"]')?.focus();
    } else if (!this.agent && this.dialog.open) {
      this.dialog.close();
    }
  }

  private onCancel(e: Event): void {
    e.preventDefault();
    if (this.deleting) return;
    this.dispatchEvent(new AgentDeleteCancelEvent());
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ap-agent-delete-dialog': AgentDeleteDialog;
  }
  interface HTMLElementEventMap {
    'ap-agent-delete-confirm': AgentDeleteConfirmEvent;
    'ap-agent-delete-cancel': AgentDeleteCancelEvent;
  }
}
