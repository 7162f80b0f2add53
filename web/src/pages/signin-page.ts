import { Task, TaskStatus } from '@lit/task';
import { html, LitElement, nothing, type PropertyValues } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { type ApiClient, asApiError } from '../api/client.js';
import { parsePastedToken } from '../api/signin-token.js';
import '../components/error-banner.js';
import { SignedInEvent } from '../components/events.js';
import { sharedStyles } from '../components/shared.styles.js';
import { LocaleController } from '../controllers/locale-controller.js';
import { pageStyles } from './page.styles.js';
import { signinPageStyles } from './signin-page.styles.js';

/**
 * Local sign-in: exchanges the token the server printed for a credential. Given `autoToken` (from
 * the sign-in link), it signs in by itself and falls back to the form if that fails.
 *
 * @fires ap-signed-in - the credential was issued.
 */
@customElement('ap-signin-page')
export class SigninPage extends LitElement {
  static override styles = [sharedStyles, pageStyles, signinPageStyles];

  @property({ attribute: false }) api?: ApiClient;

  /** A token from the address (`?token=`), tried once on arrival. */
  @property({ attribute: false }) autoToken: string | null = null;

  /** Why the user is here again: the server refused the old credential. */
  @property({ type: Boolean }) expired = false;

  @state() private token = '';

  private readonly i18n = new LocaleController(this);

  private readonly signIn = new Task(this, {
    autoRun: false,
    args: () => [this.api, parsePastedToken(this.token)] as const,
    task: async ([api, token], { signal }) => {
      if (!api) throw new Error('no API client');
      return api.signInLocal(token, signal);
    },
    onComplete: (signIn) => this.dispatchEvent(new SignedInEvent(signIn)),
  });

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('autoToken') && this.autoToken) {
      this.token = this.autoToken;
      void this.signIn.run();
    }
  }

  override render() {
    const t = this.i18n.t.signIn;
    const pending = this.signIn.status === TaskStatus.PENDING;
    if (pending && this.autoToken && this.token === this.autoToken) {
      return html`<div class="page">
        <div class="loading" role="status"><span class="spinner" aria-hidden="true"></span>${this.i18n.t.app.signingIn}</div>
      </div>`;
    }
    return html`<div class="page">
      <h1>${t.title}</h1>
      <div class="card">
        <p>${t.intro}</p>
        <p>${t.openLink}</p>
        ${this.expired && this.signIn.status === TaskStatus.INITIAL ? html`<p role="status">${t.expired}</p>` : nothing}
        <form @submit=${this.onSubmit}>
          <label for="token">${t.tokenLabel}</label>
          <div class="row">
            <input
              id="token"
              data-testid="signin-token"
              type="text"
              autocomplete="off"
              autocapitalize="off"
              spellcheck="false"
              placeholder=${t.tokenPlaceholder}
              .value=${this.token}
              @input=${(e: InputEvent) => {
                this.token = (e.target as HTMLInputElement).value;
              }}
            />
            <button class="primary" type="submit" data-testid="signin-submit" ?disabled=${pending || !this.token.trim()}>
              ${pending ? html`<span class="spinner" aria-hidden="true"></span>${t.submitting}` : t.submit}
            </button>
          </div>
        </form>
        ${this.renderError()}
      </div>
      <section class="help">
        <h2>${t.whereTitle}</h2>
        <p>${t.whereFile}</p>
        <p>${t.whereRestart}</p>
      </section>
    </div>`;
  }

  private renderError() {
    if (this.signIn.status !== TaskStatus.ERROR) return nothing;
    const error = asApiError(this.signIn.error);
    const t = this.i18n.t;
    const heading =
      error.code === 'UNAUTHENTICATED' ? t.signIn.wrongToken : (t.errors.codes[error.code] ?? t.errors.title);
    return html`<ap-error-banner .heading=${heading} .message=${error.message} .code=${error.code}></ap-error-banner>`;
  }

  private onSubmit(e: SubmitEvent): void {
    e.preventDefault();
    if (this.token.trim()) void this.signIn.run();
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ap-signin-page': SigninPage;
  }
}
