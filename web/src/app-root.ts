import type { MeResponse } from '@agent-platform/core/protocol';
import { Task } from '@lit/task';
import { html, LitElement, nothing } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import { ApiClient, type ApiError, asApiError, authRefusalCode } from './api/client.js';
import { RunnerEndpoint } from './api/runner-endpoint.js';
import { sandboxKind } from './api/sandbox-kind.js';
import { takeTokenFromUrl } from './api/signin-token.js';
import { appRootStyles } from './app-root.styles.js';
import type { LocaleChangeEvent, NavigateEvent, OnboardingDoneEvent, SignedInEvent } from './components/events.js';
import './components/host-sandbox-banner.js';
import './components/lang-switch.js';
import './components/model-banner.js';
import './components/notification-bell.js';
import { needsOnboarding } from './components/onboarding-answers.js';
import './components/onboarding-card.js';
import { sharedStyles } from './components/shared.styles.js';
import {
  AuthController,
  type SignedInPerson,
  type SignOutReason,
  signOutReasonFor,
} from './controllers/auth-controller.js';
import { LocaleController } from './controllers/locale-controller.js';
import { ProfileController } from './controllers/profile-controller.js';
import { pathFor, type Route, RouterController, safeNextPath } from './controllers/router.js';
import { isLocale, localeStore, type Messages } from './i18n/index.js';
import './pages/agent-page.js';
import './pages/agents-page.js';
import './pages/run-page.js';
import './pages/sessions-page.js';
import './pages/signin-page.js';
import './pages/usage-page.js';
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

/** The header's sections, and which routes belong to each (for aria-current). */
const sections = [
  { route: { name: 'sessions' }, label: (t: Messages) => t.nav.sessions, routes: ['sessions', 'workspace'] },
  { route: { name: 'agents' }, label: (t: Messages) => t.nav.agents, routes: ['agents', 'agent', 'run'] },
  { route: { name: 'usage' }, label: (t: Messages) => t.nav.usage, routes: ['usage'] },
] as const satisfies readonly { route: Route; label: (t: Messages) => string; routes: readonly Route['name'][] }[];

/**
 * The app: sign-in state (local or Google through Firebase, as /api/health says), routing, the
 * header (language, the person, sign-out), the first-run card, the model banner and the warning
 * that Claude runs without a sandbox. Pages get the API client; everything they learn about the
 * session comes from it.
 */
@customElement('ap-app')
export class AppRoot extends LitElement {
  static override styles = [sharedStyles, appRootStyles];

  /** A token from the sign-in link, being exchanged. */
  @state() private autoToken: string | null = null;
  /** A photo that would not load (the header then shows the name alone). */
  @state() private brokenPhoto: string | null = null;

  /** Where the sign-in link pointed: the place to land after signing in with it. */
  private autoTokenNext = '/';

  private readonly auth = new AuthController(this, { storage: browserStorage(), now: () => Date.now() });
  private readonly api = new ApiClient({
    getCredential: () => this.auth.credential(),
    refreshCredential: () => this.auth.refresh(),
    onUnauthenticated: (error) => this.onRefused(error),
  });
  private readonly runner = new RunnerEndpoint(() => this.api.me());
  private readonly router = new RouterController(this);
  private readonly i18n = new LocaleController(this);

  private readonly health = new Task(this, {
    args: () => [this.api] as const,
    task: ([api], { signal }) => api.health(signal),
    onComplete: (health) => this.auth.configure(health.auth),
  });

  private readonly profile = new ProfileController(this, {
    api: this.api,
    userKey: () => (this.autoToken ? null : this.auth.userKey),
    onProfile: (me) => this.onProfile(me),
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
    const signIn = this.auth.state;
    // Not known yet (the server's auth config, or Firebase restoring a sign-in): stay where we are.
    if (signIn === 'unknown') return;
    const route = this.router.route;
    if (signIn === 'signed-out' && route.name !== 'signin') {
      const next = currentPath();
      this.router.redirect(next === '/' ? '/signin' : `/signin?next=${encodeURIComponent(next)}`);
    } else if (signIn === 'signed-in' && route.name === 'signin') {
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
          : route.name === 'agents'
            ? t.agents.title
            : route.name === 'usage'
              ? t.usage.title
              : route.name === 'not-found'
                ? t.app.notFoundTitle
                : '';
    document.title = page ? `${page} · ${t.app.name}` : t.app.name;
  }

  override render() {
    const signedIn = this.auth.state === 'signed-in' && !this.autoToken;
    const user = this.profile.me?.user;
    const person: SignedInPerson | null = user
      ? { name: user.name, email: user.email, photoUrl: user.photoUrl }
      : this.auth.person;
    return html`
      <header>
        <a class="brand" href="/"><span class="logo" aria-hidden="true">✦</span><span class="name">${this.i18n.t.app.name}</span></a>
        ${signedIn ? this.renderNav() : nothing}
        <span class="spacer"></span>
        ${signedIn ? html`<ap-notification-bell .api=${this.api}></ap-notification-bell>` : nothing}
        <ap-lang-switch .locale=${this.i18n.locale} @ap-locale-change=${this.onLocaleChange}></ap-lang-switch>
        ${signedIn && person ? this.renderPerson(person) : nothing}
      </header>
      ${this.health.value?.modelConfigured === false ? html`<ap-model-banner></ap-model-banner>` : nothing}
      ${
        signedIn && sandboxKind(this.profile.me, this.health.value) === 'host'
          ? html`<ap-host-sandbox-banner></ap-host-sandbox-banner>`
          : nothing
      }
      <main
        @ap-navigate=${this.onNavigate}
        @ap-signed-in=${this.onSignedIn}
        @ap-locale-change=${this.onLocaleChange}
        @ap-onboarding-done=${this.onOnboardingDone}
      >${this.renderRoute()}</main>
    `;
  }

  private renderNav() {
    const t = this.i18n.t;
    const current = this.router.route.name;
    return html`<nav aria-label=${t.nav.label}>
      ${sections.map(
        (s) => html`<a
          href=${pathFor(s.route)}
          data-testid=${`nav-${s.route.name}`}
          aria-current=${(s.routes as readonly string[]).includes(current) ? 'page' : 'false'}
          >${s.label(t)}</a
        >`,
      )}
    </nav>`;
  }

  private renderPerson(person: SignedInPerson) {
    const t = this.i18n.t;
    const photo = person.photoUrl && person.photoUrl !== this.brokenPhoto ? person.photoUrl : null;
    return html`<span class="user" data-testid="header-user" title=${person.email ?? person.name}>
        ${
          photo
            ? html`<img
                class="avatar"
                data-testid="header-user-photo"
                src=${photo}
                alt=${t.app.photoAlt(person.name)}
                width="28"
                height="28"
                referrerpolicy="no-referrer"
                @error=${() => {
                  this.brokenPhoto = photo;
                }}
              />`
            : nothing
        }
        <span class="user-name" data-testid="header-user-name">${person.name}</span>
      </span>
      <button class="small" type="button" data-testid="sign-out" @click=${() => this.signOut(null)}>
        ${t.app.signOut}
      </button>`;
  }

  private renderRoute() {
    const t = this.i18n.t;
    const route = this.router.route;
    if (this.autoToken || route.name === 'signin' || this.auth.state === 'unknown') {
      const configError = this.auth.kind === null && this.health.error ? asApiError(this.health.error) : null;
      return html`<ap-signin-page
        .api=${this.api}
        .autoToken=${this.autoToken}
        .authKind=${this.auth.kind}
        .configError=${configError}
        ?loadFailed=${this.auth.loadError !== null}
        .google=${this.auth.google ?? undefined}
        .notice=${this.auth.reason}
      ></ap-signin-page>`;
    }
    switch (route.name) {
      case 'sessions':
        return html`<ap-sessions-page .api=${this.api}>${this.renderOnboarding()}</ap-sessions-page>`;
      case 'workspace':
        return html`<ap-workspace-page
          .api=${this.api}
          .runner=${this.runner}
          .sessionId=${route.sessionId}
        ></ap-workspace-page>`;
      case 'agents':
        return html`<ap-agents-page .api=${this.api}></ap-agents-page>`;
      case 'agent':
        return html`<ap-agent-page .api=${this.api} .agentId=${route.agentId}></ap-agent-page>`;
      case 'run':
        return html`<ap-run-page .api=${this.api} .runner=${this.runner} .runId=${route.runId}></ap-run-page>`;
      case 'usage':
        return html`<ap-usage-page .api=${this.api}></ap-usage-page>`;
      case 'not-found':
        return html`<div class="page">
          <h1>${t.app.notFoundTitle}</h1>
          <p>${t.app.notFoundBody}</p>
          <a href="/">${t.app.backToSessions}</a>
        </div>`;
    }
  }

  private renderOnboarding() {
    const me = this.profile.me;
    if (!me || !needsOnboarding(me.user)) return nothing;
    return html`<ap-onboarding-card ?saving=${this.profile.saving} .error=${this.profile.saveError}></ap-onboarding-card>`;
  }

  /** Signs out (reason: why, when the person did not choose it) and shows the sign-in page. */
  private signOut(reason: SignOutReason | null): void {
    if (this.auth.state !== 'signed-in' && this.router.route.name === 'signin') return;
    this.auth.signOut(reason).catch((e: unknown) => console.warn('Signing out of Firebase failed', e));
    this.runner.forget();
    const next = this.router.route.name === 'signin' ? '/' : currentPath();
    this.router.navigate(reason && next !== '/' ? `/signin?next=${encodeURIComponent(next)}` : '/signin', {
      replace: true,
    });
  }

  private onRefused(error: ApiError): void {
    if (this.auth.state === 'signed-out') return;
    this.signOut(signOutReasonFor(authRefusalCode(error.code)));
  }

  private onProfile(me: MeResponse): void {
    this.runner.remember(me);
    // The language the person chose follows them to other browsers.
    const primary = me.user.locale?.toLowerCase().split('-')[0];
    if (isLocale(primary)) localeStore.set(primary);
  }

  private onSignedIn(e: SignedInEvent): void {
    this.auth.signedInLocal(e.signIn);
    const next = this.autoToken ? this.autoTokenNext : safeNextPath(this.router.search.get('next'));
    this.autoToken = null;
    this.router.navigate(next, { replace: true });
  }

  private onNavigate(e: NavigateEvent): void {
    this.router.navigate(e.path, { replace: e.replace });
  }

  private onLocaleChange(e: LocaleChangeEvent): void {
    localeStore.set(e.locale);
    const me = this.profile.me;
    // Saved with the person's settings; the first-run card saves it with its answers instead.
    if (me && !needsOnboarding(me.user) && me.user.locale !== e.locale) {
      void this.profile.updateQuietly({ locale: e.locale });
    }
  }

  private onOnboardingDone(e: OnboardingDoneEvent): void {
    void this.profile.update(e.body);
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ap-app': AppRoot;
  }
}
