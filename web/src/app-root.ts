import { Task } from '@lit/task';
import { html, LitElement, nothing } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import { ApiClient } from './api/client.js';
import { CredentialStore } from './api/credential-store.js';
import { sandboxKind } from './api/sandbox-kind.js';
import { takeTokenFromUrl } from './api/signin-token.js';
import { appRootStyles } from './app-root.styles.js';
import type { LocaleChangeEvent, NavigateEvent, SignedInEvent } from './components/events.js';
import './components/host-sandbox-banner.js';
import './components/lang-switch.js';
import './components/model-banner.js';
import { sharedStyles } from './components/shared.styles.js';
import { LocaleController } from './controllers/locale-controller.js';
import { RouterController, safeNextPath } from './controllers/router.js';
import { localeStore } from './i18n/index.js';
import './pages/sessions-page.js';
import './pages/signin-page.js';
import './pages/workspace-page.js';

function browserStorage(): Storage | null {
  try {
    return localStorage;
  } catch {
    // Storage disabled by the browser: the credential then lives until the page closes.
    return null;
  }
}

const currentPath = (): string => `${location.pathname}${location.search}${location.hash}`;

/**
 * The app: sign-in state, routing, the header (language, user), the model banner and the warning
 * that Claude runs without a sandbox. Pages get
 * the API client; everything they learn about the session comes from it.
 */
@customElement('ap-app')
export class AppRoot extends LitElement {
  static override styles = [sharedStyles, appRootStyles];

  /** A token from the sign-in link, being exchanged. */
  @state() private autoToken: string | null = null;
  /** The server refused the stored credential: the sign-in page says so. */
  @state() private expired = false;

  /** Where the sign-in link pointed: the place to land after signing in with it. */
  private autoTokenNext = '/';

  private readonly credentials = new CredentialStore(browserStorage(), Date.now());
  private readonly api = new ApiClient({
    getCredential: () => this.credentials.credential,
    onUnauthenticated: () => this.signOut(true),
  });
  private readonly router = new RouterController(this);
  private readonly i18n = new LocaleController(this);

  private readonly health = new Task(this, {
    args: () => [this.api] as const,
    task: ([api], { signal }) => api.health(signal),
  });

  private readonly me = new Task(this, {
    args: () => [this.credentials.credential] as const,
    task: async ([credential], { signal }) => (credential ? this.api.me(signal) : null),
  });

  constructor() {
    super();
    // The sign-in link (?token=…): take the token and clean the address at once, so it is not
    // left in the history or shared by copying the address.
    const { token, cleanUrl } = takeTokenFromUrl(new URL(location.href));
    if (token) {
      history.replaceState(history.state, '', cleanUrl);
      this.autoToken = token;
      this.autoTokenNext = safeNextPath(cleanUrl);
    }
  }

  protected override willUpdate(): void {
    if (this.autoToken) return;
    const route = this.router.route;
    const signedIn = this.credentials.credential !== null;
    if (!signedIn && route.name !== 'signin') {
      const next = currentPath();
      this.router.redirect(next === '/' ? '/signin' : `/signin?next=${encodeURIComponent(next)}`);
    } else if (signedIn && route.name === 'signin') {
      this.router.redirect(safeNextPath(this.router.search.get('next')));
    }
  }

  protected override updated(): void {
    const t = this.i18n.t;
    document.documentElement.lang = this.i18n.locale;
    const route = this.router.route;
    const page =
      route.name === 'signin' || this.autoToken
        ? t.signIn.title
        : route.name === 'sessions'
          ? t.sessions.title
          : route.name === 'not-found'
            ? t.app.notFoundTitle
            : '';
    document.title = page ? `${page} · ${t.app.name}` : t.app.name;
  }

  override render() {
    const t = this.i18n.t;
    const signedIn = this.credentials.credential !== null && !this.autoToken;
    const user = this.me.value?.user ?? this.credentials.current?.user;
    return html`
      <header>
        <a class="brand" href="/"><span class="logo" aria-hidden="true">✦</span><span class="name">${t.app.name}</span></a>
        <span class="spacer"></span>
        <ap-lang-switch .locale=${this.i18n.locale} @ap-locale-change=${this.onLocaleChange}></ap-lang-switch>
        ${
          signedIn && user
            ? html`<span class="user" title=${user.email ?? user.name}>${user.name}</span>
                <button class="small" type="button" @click=${() => this.signOut(false)}>${t.app.signOut}</button>`
            : nothing
        }
      </header>
      ${this.health.value?.modelConfigured === false ? html`<ap-model-banner></ap-model-banner>` : nothing}
      ${
        signedIn && sandboxKind(this.me.value, this.health.value) === 'host'
          ? html`<ap-host-sandbox-banner></ap-host-sandbox-banner>`
          : nothing
      }
      <main @ap-navigate=${this.onNavigate} @ap-signed-in=${this.onSignedIn}>${this.renderRoute()}</main>
    `;
  }

  private renderRoute() {
    const t = this.i18n.t;
    const route = this.router.route;
    if (this.autoToken || route.name === 'signin') {
      return html`<ap-signin-page .api=${this.api} .autoToken=${this.autoToken} ?expired=${this.expired}></ap-signin-page>`;
    }
    switch (route.name) {
      case 'sessions':
        return html`<ap-sessions-page .api=${this.api}></ap-sessions-page>`;
      case 'workspace':
        return html`<ap-workspace-page .api=${this.api} .sessionId=${route.sessionId}></ap-workspace-page>`;
      case 'not-found':
        return html`<div class="page">
          <h1>${t.app.notFoundTitle}</h1>
          <p>${t.app.notFoundBody}</p>
          <a href="/">${t.app.backToSessions}</a>
        </div>`;
    }
  }

  private signOut(expired: boolean): void {
    if (this.credentials.credential === null && this.router.route.name === 'signin') return;
    this.credentials.clear();
    this.expired = expired;
    const next = this.router.route.name === 'signin' ? '/' : currentPath();
    this.router.navigate(expired && next !== '/' ? `/signin?next=${encodeURIComponent(next)}` : '/signin', {
      replace: true,
    });
  }

  private onSignedIn(e: SignedInEvent): void {
    this.credentials.save(e.signIn);
    this.expired = false;
    const next = this.autoToken ? this.autoTokenNext : safeNextPath(this.router.search.get('next'));
    this.autoToken = null;
    this.router.navigate(next, { replace: true });
  }

  private onNavigate(e: NavigateEvent): void {
    this.router.navigate(e.path, { replace: e.replace });
  }

  private onLocaleChange(e: LocaleChangeEvent): void {
    localeStore.set(e.locale);
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ap-app': AppRoot;
  }
}
