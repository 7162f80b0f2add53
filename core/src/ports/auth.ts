import type { User } from '../domain/index.js';

/** Who a request or WebSocket acts for. */
export interface Principal {
  userId: string;
  name: string;
  email: string | null;
}

/**
 * Verifies credentials. Local mode: one user, a printed sign-in token exchanged for a signed
 * credential. Cloud: Firebase ID tokens.
 */
export interface Auth {
  /** Returns the principal, or null for a missing, expired or forged credential. */
  verify(credential: string): Promise<Principal | null>;
}

/** Local sign-in: exchanges the sign-in token for a credential (null when the token is wrong). */
export interface LocalSignIn {
  exchange(signInToken: string): Promise<{ credential: string; user: User; expiresAt: number } | null>;
}
