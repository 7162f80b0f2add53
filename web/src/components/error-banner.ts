import { html, LitElement, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { LocaleController } from '../controllers/locale-controller.js';
import { errorBannerStyles } from './error-banner.styles.js';
import { DismissEvent } from './events.js';
import { sharedStyles } from './shared.styles.js';

/**
 * An error for people: what happened (`heading`), the details (`message`), the code for support,
 * and actions in the default slot (Retry, say).
 *
 * @fires ap-dismiss - the close button was pressed (only when `dismissible`).
 */
@customElement('ap-error-banner')
export class ErrorBanner extends LitElement {
  static override styles = [sharedStyles, errorBannerStyles];

  @property() heading = '';
  @property() message = '';
  /** An error code (MODEL_NOT_CONFIGURED, …), shown small. */
  @property() code = '';
  @property({ type: Boolean }) dismissible = false;
  /** The banner's data-testid, for banners with a meaning of their own (`sandbox-failed`). */
  @property() testid = 'error-banner';

  private readonly i18n = new LocaleController(this);

  override render() {
    return html`<div class="banner" role="alert" data-testid=${this.testid} data-code=${this.code}>
      <span aria-hidden="true">⚠</span>
      <div class="text">
        ${this.heading ? html`<div class="heading">${this.heading}</div>` : nothing}
        ${this.message ? html`<div class="detail">${this.message}</div>` : nothing}
        ${this.code ? html`<div class="code">${this.code}</div>` : nothing}
        <div class="actions"><slot></slot></div>
      </div>
      ${
        this.dismissible
          ? html`<button class="close" type="button" aria-label=${this.i18n.t.errors.dismiss} @click=${this.dismiss}>
              ×
            </button>`
          : nothing
      }
    </div>`;
  }

  private dismiss(): void {
    this.dispatchEvent(new DismissEvent());
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ap-error-banner': ErrorBanner;
  }
}
