import { html, LitElement } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { LocaleController } from '../controllers/locale-controller.js';
import { isLocale, type Locale, Locales, localeNames } from '../i18n/index.js';
import { LocaleChangeEvent } from './events.js';
import { langSwitchStyles } from './lang-switch.styles.js';
import { sharedStyles } from './shared.styles.js';

/**
 * The language menu.
 *
 * @fires ap-locale-change - the user picked a language.
 */
@customElement('ap-lang-switch')
export class LangSwitch extends LitElement {
  static override styles = [sharedStyles, langSwitchStyles];

  @property() locale: Locale = 'en';

  private readonly i18n = new LocaleController(this);

  override render() {
    return html`<label>
      <span class="visually-hidden">${this.i18n.t.app.language}</span>
      <select data-testid="lang-switch" @change=${this.onChange}>
        ${Locales.map(
          (l) => html`<option value=${l} lang=${l} ?selected=${l === this.locale}>${localeNames[l]}</option>`,
        )}
      </select>
    </label>`;
  }

  private onChange(e: Event): void {
    const value = (e.target as HTMLSelectElement).value;
    if (isLocale(value)) this.dispatchEvent(new LocaleChangeEvent(value));
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ap-lang-switch': LangSwitch;
  }
}
