import type { AuthConfig, SignInResponse } from '@agent-platform/core/protocol';
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { AuthRefusalCode } from '../api/client.js';
import { CredentialStore } from '../api/credential-store.js';
import type {
  FirebaseSession,
  GoogleSignIn,
  GoogleSignInError,
  GoogleSignInOutcome,
  Identity,
  StartFirebaseSession,
} from '../api/google-auth.js';

/** unknown: not yet known (the server's auth config, or Firebase restoring a stored sign-in). */
export type AuthState = 'unknown' | 'signed-out' | 'signed-in';

/** Why the person is at the sign-in page again, when they did not sign out themselves. */
export type SignOutReason = 'expired' | 'revoked';

/** What the sign-in page says after the server refused the credential with `code`. */
export const signOutReasonFor = (code: AuthRefusalCode): SignOutReason =>
  code === 'AUTH_REVOKED' ? 'revoked' : 'expired';

/** Who is signed in, for the header. */
export interface SignedInPerson {
  name: string;
  email: string | null;
  photoUrl: string | null;
}

export interface AuthControllerOptions {
  /** Where the local credential is kept; null when the browser refuses storage. */
  storage: Storage | null;
  now: () => number;
  /** Loads the Firebase implementation; default: a dynamic import, so only the cloud shape downloads it. */
  loadFirebase?: () => Promise<StartFirebaseSession>;
}

const importFirebase = async (): Promise<StartFirebaseSession> =>
  (await import('../api/firebase-session.js')).startFirebaseSession;

/**
 * Who is signed in and with what credential, in either shape: the local one-user sign-in (a
 * credential from the printed token, kept in localStorage) or Google through Firebase Auth (an ID
 * token Firebase keeps and renews). The server's health answer says which (`configure`).
 */
export class AuthController implements ReactiveController, GoogleSignIn {
  /** Why the last sign-out happened (null: the person chose it, or nobody was signed in). */
  reason: SignOutReason | null = null;
  /** Firebase could not be loaded or started; the sign-in page says so. */
  loadError: Error | null = null;

  private readonly local: CredentialStore;
  private config: AuthConfig | null = null;
  private firebase: FirebaseSession | null = null;
  private firebaseReady = false;
  private identity: Identity | null = null;
  private unsubscribe: (() => void) | null = null;
  /** A sign-out we asked for: Firebase's "signed out" that follows is not a surprise. */
  private leaving = false;
  private refreshing: Promise<string | null> | null = null;

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly options: AuthControllerOptions,
  ) {
    this.local = new CredentialStore(options.storage, options.now());
    host.addController(this);
  }

  /** 'local' or 'firebase' once the server said; null before. */
  get kind(): AuthConfig['kind'] | null {
    return this.config?.kind ?? null;
  }

  get state(): AuthState {
    // A stored local credential counts at once (as before the cloud shape existed), without waiting for /api/health.
    if (this.config?.kind !== 'firebase' && this.local.credential !== null) return 'signed-in';
    if (!this.config) return 'unknown';
    if (this.config.kind === 'local') return 'signed-out';
    if (!this.firebaseReady) return this.loadError ? 'signed-out' : 'unknown';
    return this.identity ? 'signed-in' : 'signed-out';
  }

  /** Changes when another person signs in (the profile is then fetched again); null when signed out. */
  get userKey(): string | null {
    if (this.state !== 'signed-in') return null;
    return this.config?.kind === 'firebase' ? `firebase:${this.identity?.uid}` : `local:${this.local.credential}`;
  }

  /** What the identity provider says about the person (the profile from /api/me is preferred when loaded). */
  get person(): SignedInPerson | null {
    if (this.state !== 'signed-in') return null;
    if (this.config?.kind === 'firebase') return this.identity;
    const user = this.local.current?.user;
    return user ? { name: user.name, email: user.email, photoUrl: null } : null;
  }

  hostConnected(): void {
    if (this.firebase && !this.unsubscribe) this.listen(this.firebase);
  }

  hostDisconnected(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
  }

  /** The server's auth config (from GET /api/health). Firebase is loaded and started only here. */
  configure(config: AuthConfig): void {
    if (this.config?.kind === config.kind) return;
    this.config = config;
    if (config.kind === 'firebase') {
      // A credential left by the local shape on this origin means nothing here.
      this.local.clear();
      void this.startFirebase(config);
    }
    this.host.requestUpdate();
  }

  /** The credential for the API and the WebSocket: the Firebase ID token (renewed by Firebase), or the local one. */
  async credential(): Promise<string | null> {
    if (this.config?.kind === 'firebase') return this.firebase ? this.firebase.idToken(false) : null;
    return this.local.credential;
  }

  /**
   * A new credential after the server answered AUTH_EXPIRED; null when it cannot be renewed (the
   * local credential, or nobody signed in). Concurrent callers share one renewal.
   */
  refresh(): Promise<string | null> {
    const firebase = this.config?.kind === 'firebase' ? this.firebase : null;
    if (!firebase) return Promise.resolve(null);
    this.refreshing ??= firebase.idToken(true).finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  /** The local sign-in succeeded. */
  signedInLocal(signIn: SignInResponse): void {
    this.local.save(signIn);
    this.reason = null;
    this.host.requestUpdate();
  }

  /** Opens Google's sign-in (popup, or a redirect when the popup is blocked). Rejects with GoogleSignInError. */
  async signInWithGoogle(): Promise<GoogleSignInOutcome> {
    if (!this.firebase) throw new Error('Google sign-in is not available: the server does not use Firebase Auth.');
    const outcome = await this.firebase.signInWithGoogle();
    if (outcome === 'signed-in') this.reason = null;
    return outcome;
  }

  /** Google sign-in, once Firebase has started (the firebase shape only). */
  get google(): GoogleSignIn | null {
    return this.firebase && this.firebaseReady ? this : null;
  }

  /** The failure of a redirect sign-in the page came back from, once. */
  takeRedirectError(): GoogleSignInError | null {
    return this.firebase?.takeRedirectError() ?? null;
  }

  /**
   * Signs out at once (the state is signed-out when this returns; Firebase finishes in the
   * background). `reason`: why, when the person did not choose it.
   */
  signOut(reason: SignOutReason | null): Promise<void> {
    this.reason = reason;
    this.refreshing = null;
    this.local.clear();
    let done = Promise.resolve();
    if (this.firebase && this.identity) {
      this.identity = null;
      this.leaving = true;
      done = this.firebase.signOut().finally(() => {
        this.leaving = false;
      });
    }
    this.host.requestUpdate();
    return done;
  }

  private async startFirebase(config: Extract<AuthConfig, { kind: 'firebase' }>): Promise<void> {
    try {
      const start = await (this.options.loadFirebase ?? importFirebase)();
      const session = start({
        apiKey: config.apiKey,
        authDomain: config.authDomain,
        projectId: config.projectId,
        emulatorUrl: config.emulatorUrl,
      });
      this.firebase = session;
      this.listen(session);
      await session.ready;
      this.firebaseReady = true;
    } catch (e) {
      this.loadError = e instanceof Error ? e : new Error(String(e));
      console.error('Firebase Auth could not start', e);
    }
    this.host.requestUpdate();
  }

  private listen(session: FirebaseSession): void {
    this.unsubscribe = session.onChange((identity) => {
      // Signed out without asking: Firebase could not renew the token (account disabled or deleted).
      if (!identity && this.identity && !this.leaving) this.reason = 'expired';
      if (identity) this.reason = null;
      this.identity = identity;
      this.host.requestUpdate();
    });
  }
}
