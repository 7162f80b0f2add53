import { html, LitElement } from 'lit';
import { customElement, property, query, state } from 'lit/decorators.js';
import { LocaleController } from '../controllers/locale-controller.js';
import { agentWebhookSecretStyles } from './agent-webhook-secret.styles.js';
import { DismissEvent } from './events.js';
import { sharedStyles } from './shared.styles.js';

/** The header every webhook post carries; its value is `t=<seconds>,v1=<hex HMAC-SHA256>`. */
export const signatureHeader = 'x-agent-platform-signature';

/**
 * The webhook's signing secret, shown once (the server keeps only its last 4 characters for
 * display): a box to copy it from, and how to check a post with it.
 *
 * @fires ap-dismiss - "I have saved it".
 */
@customElement('ap-agent-webhook-secret')
export class AgentWebhookSecret extends LitElement {
  static override styles = [sharedStyles, agentWebhookSecretStyles];

  @property() secret = '';

  @state() private copied = false;
  @query('input') private input?: HTMLInputElement;

  private readonly i18n = new LocaleController(this);

  override render() {
    const s = this.i18n.t.agent.secret;
    return html`<section class="box" role="region" aria-labelledby="secret-title" data-testid="webhook-secret">
      <h3 id="secret-title">${s.title}</h3>
      <p class="once"><strong>${s.once}</strong></p>
      <div class="copy">
        <label class="visually-hidden" for="secret">${s.title}</label>
        <input
          id="secret"
          class="mono"
          readonly
          spellcheck="false"
          data-testid="webhook-secret-value"
          .value=${this.secret}
          @focus=${(e: FocusEvent) => (e.target as HTMLInputElement).select()}
        />
        <button type="button" data-testid="webhook-secret-copy" @click=${this.copy}>
          ${this.copied ? s.copied : s.copy}
        </button>
      </div>
      <span class="visually-hidden" role="status">${this.copied ? s.copied : ''}</span>
      <p class="how">${s.verify(signatureHeader)}</p>
      <pre class="example">${signatureHeader}: t=1735689600,v1=5d41402abc4b2a76…
HMAC_SHA256(secret, "1735689600." + body) → hex == v1</pre>
      <div class="actions">
        <button class="small" type="button" data-testid="webhook-secret-done" @click=${() => this.dispatchEvent(new DismissEvent())}>
          ${s.done}
        </button>
      </div>
    </section>`;
  }

  /** Puts the focus in the secret, which selects it. */
  override focus(): void {
    this.input?.focus();
  }

  private async copy(): Promise<void> {
    try {
      await navigator.clipboard.writeText(this.secret);
      this.copied = true;
    } catch {
      // No clipboard access (plain http on a LAN address, or refused): select it to copy by hand.
      this.input?.focus();
      this.input?.select();
    }
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ap-agent-webhook-secret': AgentWebhookSecret;
  }
}
