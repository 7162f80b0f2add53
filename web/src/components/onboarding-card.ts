import { html, LitElement, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { ApiError } from '../api/client.js';
import { LocaleController } from '../controllers/locale-controller.js';
import { errorMessage, isLocale, Locales, localeNames } from '../i18n/index.js';
import './error-banner.js';
import { LocaleChangeEvent, OnboardingDoneEvent } from './events.js';
import {
  type OnboardingRole,
  OnboardingRoles,
  onboardingAnswerMaxChars,
  onboardingBody,
  skippedOnboarding,
} from './onboarding-answers.js';
import { onboardingCardStyles } from './onboarding-card.styles.js';
import { choiceStyles, sharedStyles } from './shared.styles.js';

/**
 * The first-run card: what the person wants to automate, their role (both optional) and the
 * language, which switches the page at once.
 *
 * @fires ap-onboarding-done - Skip or Continue; `body` is what to save with PATCH /api/me.
 * @fires ap-locale-change - a language was picked.
 */
@customElement('ap-onboarding-card')
export class OnboardingCard extends LitElement {
  static override styles = [sharedStyles, choiceStyles, onboardingCardStyles];

  /** The answers are being saved: the buttons wait. */
  @property({ type: Boolean }) saving = false;
  /** The last save failed. */
  @property({ attribute: false }) error: ApiError | null = null;

  @state() private automate = '';
  @state() private roleChoice: OnboardingRole | null = null;

  private readonly i18n = new LocaleController(this);

  override render() {
    const t = this.i18n.t;
    const o = t.onboarding;
    return html`<section class="card" aria-labelledby="onboarding-title" data-testid="onboarding">
      <h2 id="onboarding-title">${o.title}</h2>
      <p class="intro">${o.intro}</p>
      <form @submit=${this.onContinue}>
        <div class="field">
          <label for="automate">${o.automateLabel}</label>
          <textarea
            id="automate"
            data-testid="onboarding-automate"
            rows="2"
            maxlength=${onboardingAnswerMaxChars}
            aria-describedby="automate-hint"
            .value=${this.automate}
            @input=${(e: InputEvent) => {
              this.automate = (e.target as HTMLTextAreaElement).value;
            }}
          ></textarea>
          <span id="automate-hint" class="hint">${o.automateHint}</span>
        </div>
        <fieldset>
          <legend>${o.roleLabel}</legend>
          <div class="choices">
            ${OnboardingRoles.map(
              (role) => html`<label class="choice">
                <input
                  type="radio"
                  name="role"
                  value=${role}
                  data-testid=${`onboarding-role-${role}`}
                  .checked=${this.roleChoice === role}
                  @change=${() => {
                    this.roleChoice = role;
                  }}
                />
                <span>${o.roles[role]}</span>
              </label>`,
            )}
          </div>
        </fieldset>
        <fieldset>
          <legend>${o.languageLabel}</legend>
          <div class="choices">
            ${Locales.map(
              (locale) => html`<label class="choice">
                <input
                  type="radio"
                  name="locale"
                  value=${locale}
                  data-testid=${`onboarding-locale-${locale}`}
                  .checked=${this.i18n.locale === locale}
                  @change=${this.onLocale}
                />
                <span lang=${locale}>${localeNames[locale]}</span>
              </label>`,
            )}
          </div>
        </fieldset>
        ${
          this.error
            ? html`<ap-error-banner
                testid="onboarding-error"
                .heading=${o.saveFailed}
                .message=${errorMessage(t, this.error)}
                .code=${this.error.code}
              ></ap-error-banner>`
            : nothing
        }
        <div class="actions">
          <button type="button" data-testid="onboarding-skip" ?disabled=${this.saving} @click=${this.onSkip}>
            ${o.skip}
          </button>
          <button class="primary" type="submit" data-testid="onboarding-continue" ?disabled=${this.saving}>
            ${this.saving ? html`<span class="spinner" aria-hidden="true"></span>${o.saving}` : o.continue}
          </button>
        </div>
      </form>
    </section>`;
  }

  private onLocale(e: Event): void {
    const value = (e.target as HTMLInputElement).value;
    if (isLocale(value)) this.dispatchEvent(new LocaleChangeEvent(value));
  }

  private onSkip(): void {
    this.dispatchEvent(new OnboardingDoneEvent(skippedOnboarding));
  }

  private onContinue(e: SubmitEvent): void {
    e.preventDefault();
    const body = onboardingBody({ automate: this.automate, role: this.roleChoice, locale: this.i18n.locale });
    this.dispatchEvent(new OnboardingDoneEvent(body));
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ap-onboarding-card': OnboardingCard;
  }
}
