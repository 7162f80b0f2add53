// Loaded with a dynamic import, only when the server signs in through Firebase (the cloud shape):
// the firebase SDK then sits in its own chunk and the local bundle does not carry it.
import { type FirebaseApp, getApp, getApps, initializeApp } from 'firebase/app';
import {
  type Auth,
  connectAuthEmulator,
  GoogleAuthProvider,
  getAuth,
  getRedirectResult,
  onAuthStateChanged,
  signInWithPopup,
  signInWithRedirect,
  signOut,
  type User,
} from 'firebase/auth';
import {
  type FirebaseSession,
  type FirebaseWebConfig,
  GoogleSignInError,
  type GoogleSignInFailure,
  type GoogleSignInOutcome,
  type Identity,
} from './google-auth.js';

/** Set while a redirect sign-in is under way, so only the page coming back asks for its result. */
const redirectKey = 'ap.googleRedirect';

/** Firebase's error codes that mean the person gave up, not that something broke. */
const cancelled = new Set(['auth/popup-closed-by-user', 'auth/cancelled-popup-request', 'auth/user-cancelled']);
/** The popup could not open: a full-page redirect does the same without one. */
const popupUnavailable = new Set(['auth/popup-blocked', 'auth/operation-not-supported-in-this-environment']);

const failureOf: Record<string, GoogleSignInFailure> = {
  'auth/network-request-failed': 'network',
  'auth/timeout': 'network',
  'auth/unauthorized-domain': 'unauthorized-domain',
  'auth/user-disabled': 'disabled',
};

const codeOf = (e: unknown): string =>
  typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'string' ? e.code : 'unknown';

function signInError(e: unknown): GoogleSignInError {
  const code = codeOf(e);
  const message = e instanceof Error ? e.message : String(e);
  return new GoogleSignInError(failureOf[code] ?? 'other', code, message);
}

function identityOf(user: User): Identity {
  return {
    uid: user.uid,
    name: user.displayName || user.email || user.uid,
    email: user.email,
    photoUrl: user.photoURL,
  };
}

function sessionStore(): Storage | null {
  try {
    return sessionStorage;
  } catch {
    // Storage disabled: a redirect sign-in's failure then goes unreported (success still shows).
    return null;
  }
}

class FirebaseAuthSession implements FirebaseSession {
  readonly ready: Promise<void>;
  private redirectError: GoogleSignInError | null = null;

  constructor(private readonly auth: Auth) {
    this.ready = this.restore();
  }

  onChange(listener: (identity: Identity | null) => void): () => void {
    return onAuthStateChanged(this.auth, (user) => listener(user ? identityOf(user) : null));
  }

  async idToken(forceRefresh: boolean): Promise<string | null> {
    const user = this.auth.currentUser;
    return user ? user.getIdToken(forceRefresh) : null;
  }

  async signInWithGoogle(): Promise<GoogleSignInOutcome> {
    const provider = new GoogleAuthProvider();
    // Let the person pick the account, even when the browser is signed in to just one.
    provider.setCustomParameters({ prompt: 'select_account' });
    try {
      await signInWithPopup(this.auth, provider);
      return 'signed-in';
    } catch (e) {
      const code = codeOf(e);
      if (cancelled.has(code)) return 'cancelled';
      if (!popupUnavailable.has(code)) throw signInError(e);
    }
    sessionStore()?.setItem(redirectKey, '1');
    try {
      await signInWithRedirect(this.auth, provider);
    } catch (e) {
      sessionStore()?.removeItem(redirectKey);
      throw signInError(e);
    }
    return 'redirecting';
  }

  async signOut(): Promise<void> {
    await signOut(this.auth);
  }

  takeRedirectError(): GoogleSignInError | null {
    const error = this.redirectError;
    this.redirectError = null;
    return error;
  }

  private async restore(): Promise<void> {
    const store = sessionStore();
    if (store?.getItem(redirectKey)) {
      store.removeItem(redirectKey);
      try {
        // Completes the sign-in this page came back from (its identity arrives through onChange).
        await getRedirectResult(this.auth);
      } catch (e) {
        this.redirectError = signInError(e);
      }
    }
    await this.auth.authStateReady();
  }
}

function firebaseApp(config: FirebaseWebConfig): FirebaseApp {
  // One app per page; a second start (a hot reload in development) reuses it.
  if (getApps().length > 0) return getApp();
  return initializeApp({ apiKey: config.apiKey, authDomain: config.authDomain, projectId: config.projectId });
}

/** Starts Firebase Auth with the server's config (and its Auth emulator, when it names one). */
export function startFirebaseSession(config: FirebaseWebConfig): FirebaseSession {
  const auth = getAuth(firebaseApp(config));
  if (config.emulatorUrl && !auth.emulatorConfig) {
    connectAuthEmulator(auth, config.emulatorUrl, { disableWarnings: true });
  }
  return new FirebaseAuthSession(auth);
}
