import type { AuthConfig } from '@agent-platform/core/protocol';
import { Task, TaskStatus } from '@lit/task';
import { html, LitElement, nothing, type PropertyValues } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { type ApiClient, type ApiError, asApiError } from '../api/client.js';
import { type GoogleSignIn, type GoogleSignInError, isGoogleSignInError } from '../api/google-auth.js';
import { parsePastedToken } from '../api/signin-token.js';
import '../components/error-banner.js';
import { SignedInEvent } from '../components/events.js';
import { sharedStyles } from '../components/shared.styles.js';
import type { SignOutReason } from '../controllers/auth-controller.js';
import { LocaleController } from '../controllers/locale-controller.js';
import { errorMessage } from '../i18n/index.js';
import { pageStyles } from './page.styles.js';
import { signinPageStyles } from './signin-page.styles.js';

/** Google's "G", in its colours (the sign-in button's mark). */
const googleMark = html`<svg class="g" viewBox="0 0 48 48" width="18" height="18" aria-hidden="true" focusable="false">
  <path fill="#EA4335" d="M24 9.5c3.54 0 6.71 1.22 9.21 3.6l6.85-6.85C35.9 2.38 30.47 0 24 0 14.62 0 6.51 5.38 2.56 13.22l7.98 6.19C12.43 13.72 17.74 9.5 24 9.5z"/>
  <path fill="#4285F4" d="M46.98 24.55c0-1.57-.15-3.09-.38-4.55H24v9.02h12.94c-.58 2.96-2.26 5.48-4.78 7.18l7.73 6c4.51-4.18 7.09-10.36 7.09-17.65z"/>
  <path fill="#FBBC05" d="M10.53 28.59c-.48-1.45-.76-2.99-.76-4.59s.27-3.14.76-4.59l-7.98-6.19C.92 16.46 0 20.12 0 24c0 3.88.92 7.54 2.56 10.78l7.97-6.19z"/>
  <path fill="#34A853" d="M24 48c6.48 0 11.93-2.13 15.89-5.81l-7.73-6c-2.15 1.45-4.92 2.3-8.16 2.3-6.26 0-11.57-4.22-13.47-9.91l-7.98 6.19C6.51 42.62 14.62 48 24 48z"/>
</svg>`;

/**
 * Sign-in, in the shape the server uses (`authKind`). Local: exchanges the token the server
 * printed for a credential; given `autoToken` (from the sign-in link), it signs in by itself and
 * falls back to the form if that fails. Firebase: "Sign in with Google" (a popup, or a redirect
 * when the popup is blocked); the app notices the new sign-in by itself.
 *
 * @fires ap-signed-in - the local credential was issued.
 */
@customElement('ap-signin-page')
export class SigninPage extends LitElement {
  static override styles = [sharedStyles, pageStyles, signinPageStyles];

  @property({ attribute: false }) api?: ApiClient;

  /** A token from the address (`?token=`), tried once on arrival. */
  @property({ attribute: false }) autoToken: string | null = null;

  /** How the server signs people in; null until it has said (the page waits). */
  @property({ attribute: false }) authKind: AuthConfig['kind'] | null = null;

  /** The sign-in could not get ready: the server did not answer (null: no problem). */
  @property({ attribute: false }) configError: ApiError | null = null;

  /** Firebase could not be loaded: the page offers a reload. */
  @property({ type: Boolean }) loadFailed = false;

  /** Google sign-in (the firebase shape). */
  @property({ attribute: false }) google?: GoogleSignIn;

  /** Why the user is here again, when they did not sign out themselves. */
  @property({ attribute: false }) notice: SignOutReason | null = null;

  @state() private token = '';
  /** A redirect sign-in that came back failed. */
  @state() private redirectError: GoogleSignInError | null = null;

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

  private readonly googleSignIn = new Task(this, {
    autoRun: false,
    args: () => [this.google] as const,
    task: async ([google]) => {
      if (!google) throw new Error('Google sign-in is not ready');
      this.redirectError = null;
      return google.signInWithGoogle();
    },
  });

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('autoToken') && this.autoToken) {
      this.token = this.autoToken;
      void this.signIn.run();
    }
    if (changed.has('google') && this.google) this.redirectError = this.google.takeRedirectError();
  }

  override render() {
    const pending = this.signIn.status === TaskStatus.PENDING;
    if (pending && this.autoToken && this.token === this.autoToken) {
      return this.renderLoading(this.i18n.t.app.signingIn);
    }
    if (this.authKind === 'firebase') return this.renderGoogle();
    if (this.authKind === 'local' || this.autoToken) return this.renderLocal();
    return this.configError ? this.renderUnavailable(this.configError) : this.renderLoading(this.i18n.t.signIn.loading);
  }

  private renderLoading(text: string) {
    return html`<div class="page">
      <div class="loading" role="status"><span class="spinner" aria-hidden="true"></span>${text}</div>
    </div>`;
  }

  /** The server could not be asked how to sign in, or Firebase did not load. */
  private renderUnavailable(error: ApiError | null) {
    const t = this.i18n.t;
    const heading = error ? t.signIn.configFailed : t.signIn.loadFailed;
    return html`<div class="page">
      <h1>${t.signIn.title}</h1>
      <ap-error-banner .heading=${heading} .message=${error ? errorMessage(t, error) : ''} .code=${error?.code ?? ''}>
        <button class="small" type="button" @click=${() => location.reload()}>${t.signIn.tryAgain}</button>
      </ap-error-banner>
    </div>`;
  }

  private renderNotice() {
    const t = this.i18n.t.signIn;
    if (!this.notice) return nothing;
    return html`<p role="status" class="notice" data-testid="signin-notice" data-reason=${this.notice}>
      ${this.notice === 'revoked' ? t.revoked : t.expired}
    </p>`;
  }

  private renderGoogle() {
    const t = this.i18n.t.signIn;
    if (this.loadFailed) return this.renderUnavailable(null);
    if (!this.google) return this.renderLoading(t.loading);
    const status = this.googleSignIn.status;
    const pending = status === TaskStatus.PENDING;
    const redirecting = status === TaskStatus.COMPLETE && this.googleSignIn.value === 'redirecting';
    return html`<div class="page">
      <h1>${t.title}</h1>
      <div class="card">
        <p>${t.googleIntro}</p>
        ${status === TaskStatus.INITIAL || this.googleSignIn.value === 'cancelled' ? this.renderNotice() : nothing}
        <button
          class="google"
          type="button"
          data-testid="signin-google"
          ?disabled=${pending || redirecting}
          @click=${() => this.googleSignIn.run()}
        >
          ${pending || redirecting ? html`<span class="spinner" aria-hidden="true"></span>` : googleMark}
          <span>${redirecting ? t.redirecting : pending ? t.submitting : t.google}</span>
        </button>
        ${this.renderGoogleError()}
      </div>
    </div>`;
  }

  private renderGoogleError() {
    const error =
      this.googleSignIn.status === TaskStatus.ERROR ? (this.googleSignIn.error as unknown) : this.redirectError;
    if (!error) return nothing;
    const t = this.i18n.t.signIn;
    if (!isGoogleSignInError(error)) {
      return html`<ap-error-banner .heading=${t.googleFailed.other} .message=${String(error)}></ap-error-banner>`;
    }
    return html`<ap-error-banner .heading=${t.googleFailed[error.reason]} .code=${error.code}></ap-error-banner>`;
  }

  private renderLocal() {
    const t = this.i18n.t.signIn;
    const pending = this.signIn.status === TaskStatus.PENDING;
    return html`<div class="page">
      <h1>${t.title}</h1>
      <div class="card">
        <p>${t.intro}</p>
        <p>${t.openLink}</p>
        ${this.signIn.status === TaskStatus.INITIAL ? this.renderNotice() : nothing}
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
