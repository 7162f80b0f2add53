/**
 * Google sign-in through Firebase Auth, as the app sees it. The implementation
 * (`firebase-session.ts`) is loaded only in the cloud shape, so the firebase SDK stays out of the
 * local bundle; this file holds only the types both sides share.
 */

/** The signed-in person as the identity provider knows them (the header shows it until /api/me answers). */
export interface Identity {
  uid: string;
  name: string;
  email: string | null;
  photoUrl: string | null;
}

/** How a Google sign-in ended when it did not fail. */
export type GoogleSignInOutcome =
  /** Signed in; the session's listeners hear the new identity. */
  | 'signed-in'
  /** The popup was blocked: the page is leaving for Google's sign-in and comes back signed in. */
  | 'redirecting'
  /** The person closed the popup. */
  | 'cancelled';

/** Why a Google sign-in failed, in words the page can translate. */
export type GoogleSignInFailure = 'network' | 'unauthorized-domain' | 'disabled' | 'other';

export class GoogleSignInError extends Error {
  override readonly name = 'GoogleSignInError';
  constructor(
    readonly reason: GoogleSignInFailure,
    /** Firebase's code (auth/…), for support. */
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export const isGoogleSignInError = (e: unknown): e is GoogleSignInError => e instanceof GoogleSignInError;

/** The public fields of the Firebase web config, and the Auth emulator's address when there is one. */
export interface FirebaseWebConfig {
  apiKey: string;
  authDomain: string;
  projectId: string;
  emulatorUrl: string | null;
}

/** A Firebase Auth session in the browser (persisted by Firebase across reloads). */
export interface FirebaseSession {
  /** Resolves once Firebase has restored a stored sign-in, or found none. */
  readonly ready: Promise<void>;
  /** The identity now, and at each sign-in and sign-out. Returns the unsubscribe function. */
  onChange(listener: (identity: Identity | null) => void): () => void;
  /**
   * The ID token to send as the credential; Firebase renews it shortly before it expires.
   * `forceRefresh` gets a new one now (after the server said AUTH_EXPIRED). Null when signed out.
   */
  idToken(forceRefresh: boolean): Promise<string | null>;
  /** Popup first; a blocked popup falls back to a full-page redirect. Rejects with GoogleSignInError. */
  signInWithGoogle(): Promise<GoogleSignInOutcome>;
  signOut(): Promise<void>;
  /** A failure of the redirect sign-in this page came back from, once. */
  takeRedirectError(): GoogleSignInError | null;
}

export type StartFirebaseSession = (config: FirebaseWebConfig) => FirebaseSession;

/** What the sign-in page needs to sign in with Google (the auth controller provides it). */
export interface GoogleSignIn {
  signInWithGoogle(): Promise<GoogleSignInOutcome>;
  takeRedirectError(): GoogleSignInError | null;
}
