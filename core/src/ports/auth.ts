import type { User } from '../domain/index.js';

/** Who a request or WebSocket acts for, as the identity provider vouches. */
export interface Principal {
  userId: string;
  name: string;
  email: string | null;
  photoUrl: string | null;
}

/** Why a credential was refused; each maps to an error code (all 401). */
export type AuthRefusal =
  /** Missing, malformed, forged, signed for another project, or from another issuer. */
  | 'invalid'
  /** Its time is up: get a fresh one. */
  | 'expired'
  /** The account's sessions were revoked, or the account was disabled. */
  | 'revoked';

export type AuthResult = { ok: true; principal: Principal } | { ok: false; reason: AuthRefusal };

/** The error code for each refusal (see ErrorStatus). */
export const authRefusalCode = {
  invalid: 'UNAUTHENTICATED',
  expired: 'AUTH_EXPIRED',
  revoked: 'AUTH_REVOKED',
} as const satisfies Record<AuthRefusal, string>;

/**
 * Verifies credentials. Local mode: one user, a printed sign-in token exchanged for a signed
 * credential. Cloud: Firebase ID tokens.
 */
export interface Auth {
  /** Never throws for a bad credential: refusals are results. Throws only when it cannot check (an outage). */
  verify(credential: string): Promise<AuthResult>;
}

/** Local sign-in: exchanges the sign-in token for a credential (null when the token is wrong). */
export interface LocalSignIn {
  exchange(signInToken: string): Promise<{ credential: string; user: User; expiresAt: number } | null>;
}
