import { html, LitElement } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { LocaleController } from '../controllers/locale-controller.js';
import type { ConnectionState } from '../controllers/session-socket.js';
import { connIndicatorStyles } from './conn-indicator.styles.js';
import { sharedStyles } from './shared.styles.js';

/** A dot and a word for the live connection: connected, or (re)connecting. */
@customElement('ap-conn-indicator')
export class ConnIndicator extends LitElement {
  static override styles = [sharedStyles, connIndicatorStyles];

  @property() state: ConnectionState = 'connecting';

  private readonly i18n = new LocaleController(this);

  override render() {
    const t = this.i18n.t.connection;
    const connected = this.state === 'connected';
    const label = connected ? t.connected : this.state === 'connecting' ? t.connecting : t.reconnecting;
    return html`<span
      class="conn"
      role="status"
      data-testid="conn-indicator"
      data-state=${connected ? 'connected' : 'reconnecting'}
      title=${label}
    >
      <span class="dot" aria-hidden="true"></span>
      <span class="label ${connected ? 'when-connected' : ''}">${label}</span>
    </span>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ap-conn-indicator': ConnIndicator;
  }
}
