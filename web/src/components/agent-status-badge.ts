import type { AgentStatus } from '@agent-platform/core/protocol';
import { html, LitElement } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { LocaleController } from '../controllers/locale-controller.js';
import { badgeStyles } from './run-status-badge.styles.js';

/** An agent's status: Active (runs on its schedule) or Paused. */
@customElement('ap-agent-status-badge')
export class AgentStatusBadge extends LitElement {
  static override styles = badgeStyles;

  @property() status: AgentStatus = 'active';

  private readonly i18n = new LocaleController(this);

  override render() {
    const t = this.i18n.t.agents;
    return html`<span
      class="badge ${this.status === 'active' ? 'good' : 'warn'}"
      data-testid="agent-status"
      data-status=${this.status}
      ><span class="dot" aria-hidden="true"></span>${this.status === 'active' ? t.active : t.paused}</span
    >`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ap-agent-status-badge': AgentStatusBadge;
  }
}
