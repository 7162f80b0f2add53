import { html, LitElement } from 'lit';
import { customElement } from 'lit/decorators.js';
import { LocaleController } from '../controllers/locale-controller.js';
import { modelBannerStyles } from './model-banner.styles.js';
import { sharedStyles } from './shared.styles.js';

/** Shown when the server has no model configured: every message would fail until it has one. */
@customElement('ap-model-banner')
export class ModelBanner extends LitElement {
  static override styles = [sharedStyles, modelBannerStyles];

  private readonly i18n = new LocaleController(this);

  override render() {
    const t = this.i18n.t.modelBanner;
    return html`<div class="banner" role="alert" data-testid="model-banner">
      <div class="inner">
        <strong>${t.title}</strong>
        <p>${t.body}</p>
        <code>ANTHROPIC_API_KEY=sk-ant-… npm start</code>
      </div>
    </div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ap-model-banner': ModelBanner;
  }
}
