import { Task, TaskStatus } from '@lit/task';
import { html, LitElement, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { type ApiClient, asApiError } from '../api/client.js';
import { LocaleController } from '../controllers/locale-controller.js';
import { pathFor } from '../controllers/router.js';
import { errorMessage } from '../i18n/index.js';
import { agentNewButtonStyles } from './agent-new-button.styles.js';
import './error-banner.js';
import { NavigateEvent } from './events.js';
import { sharedStyles } from './shared.styles.js';

/**
 * "New agent": opens a conversation in which Claude helps design the agent (a session with context
 * `agent-create`), and goes there.
 *
 * @fires ap-navigate - to the new conversation.
 */
@customElement('ap-agent-new-button')
export class AgentNewButton extends LitElement {
  static override styles = [sharedStyles, agentNewButtonStyles];

  @property({ attribute: false }) api?: ApiClient;
  /** The accent style (the page's main action); otherwise an ordinary button. */
  @property({ type: Boolean }) primary = false;

  private readonly i18n = new LocaleController(this);

  private readonly create = new Task(this, {
    autoRun: false,
    args: () => [this.api] as const,
    task: async ([api], { signal }) => {
      if (!api) throw new Error('no API client');
      return api.createSession({ context: 'agent-create' }, signal);
    },
    onComplete: ({ session }) => {
      this.dispatchEvent(new NavigateEvent(pathFor({ name: 'workspace', sessionId: session.id })));
    },
  });

  override render() {
    const t = this.i18n.t;
    const creating = this.create.status === TaskStatus.PENDING;
    const error = this.create.status === TaskStatus.ERROR ? asApiError(this.create.error) : null;
    return html`<button
        class=${this.primary ? 'primary' : ''}
        type="button"
        data-testid="new-agent"
        ?disabled=${creating}
        @click=${() => this.create.run()}
      >
        ${creating ? html`<span class="spinner" aria-hidden="true"></span>${t.agents.creating}` : html`<span aria-hidden="true">＋</span>${t.agents.newAgent}`}
      </button>
      ${
        error
          ? html`<ap-error-banner
              testid="new-agent-error"
              .heading=${t.agents.createFailed}
              .message=${errorMessage(t, error)}
              .code=${error.code}
            ></ap-error-banner>`
          : nothing
      }`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ap-agent-new-button': AgentNewButton;
  }
}
