import { html, LitElement } from 'lit';
import { customElement } from 'lit/decorators.js';
import { LocaleController } from '../controllers/locale-controller.js';
import { hostSandboxBannerStyles } from './host-sandbox-banner.styles.js';
import { sharedStyles } from './shared.styles.js';

/**
 * Shown for as long as the server runs Claude on the host itself (no Docker, no bubblewrap):
 * nothing stands between Claude's code and this computer, so it is for one trusted person only.
 * A note, not an alert: it is always there and must not be announced over and over.
 */
@customElement('ap-host-sandbox-banner')
export class HostSandboxBanner extends LitElement {
  static override styles = [sharedStyles, hostSandboxBannerStyles];

  private readonly i18n = new LocaleController(this);

  override render() {
    const t = this.i18n.t.sandbox;
    return html`<div class="banner" role="note" data-testid="host-sandbox-warning">
      <div class="inner">
        <span class="icon" aria-hidden="true">⚠</span>
        <p><span class="warning">${t.hostWarning}</span> <span class="hint">${t.hostHint}</span></p>
      </div>
    </div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ap-host-sandbox-banner': HostSandboxBanner;
  }
}
