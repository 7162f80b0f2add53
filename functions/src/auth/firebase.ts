/**
 * The cloud Auth: Firebase ID tokens (Google sign-in in the browser), verified with firebase-admin,
 * revocation and disabled accounts included.
 */
import { randomUUID } from 'node:crypto';
import type { Auth, AuthRefusal, AuthResult, Principal } from '@agent-platform/core/ports';
import { type App, deleteApp, initializeApp } from 'firebase-admin/app';
import { type Auth as AdminAuth, type DecodedIdToken, getAuth } from 'firebase-admin/auth';

export interface FirebaseAuthOptions {
  /** The Firebase project whose ID tokens are accepted (their `aud`, and `iss` = securetoken.google.com/<id>). */
  projectId: string;
  /**
   * `host:port` of the Auth emulator (tests, local cloud-like runs). firebase-admin reads the
   * emulator only from the environment variable FIREBASE_AUTH_EMULATOR_HOST, so this sets it for
   * the whole process: the composition root passes it once, and a second, different host in the
   * same process is refused. Default: none (the real Firebase Auth).
   */
  emulatorHost?: string | undefined;
}

/**
 * Longest credential looked at. A Firebase ID token is about 1 KB (custom claims add at most
 * 1000 bytes); anything much longer is refused before it reaches the JWT parser.
 */
export const MAX_ID_TOKEN_CHARS = 4096;

const EMULATOR_ENV = 'FIREBASE_AUTH_EMULATOR_HOST';
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/**
 * Verifies Firebase ID tokens. A refusal (bad, expired, revoked) is a result; an error that means
 * Firebase could not be asked (network, its keys could not be fetched, a server error) is thrown,
 * because an outage is not the user's fault and must not sign them out.
 */
export class FirebaseAuth implements Auth {
  private readonly app: App;
  private readonly auth: AdminAuth;

  constructor(opts: FirebaseAuthOptions) {
    if (opts.emulatorHost !== undefined) {
      const current = process.env[EMULATOR_ENV];
      if (current && current !== opts.emulatorHost) {
        throw new Error(
          `${EMULATOR_ENV} is already ${current} in this process; firebase-admin can talk to one Auth ` +
            `emulator per process, so ${opts.emulatorHost} cannot be used too. Pass one emulator host.`,
        );
      }
      process.env[EMULATOR_ENV] = opts.emulatorHost;
    }
    // A named app of our own: deleting it on close never touches another user of firebase-admin.
    this.app = initializeApp({ projectId: opts.projectId }, `agent-platform-auth-${randomUUID()}`);
    this.auth = getAuth(this.app);
  }

  async verify(credential: string): Promise<AuthResult> {
    if (credential.length > MAX_ID_TOKEN_CHARS || !JWT_SHAPE.test(credential)) return { ok: false, reason: 'invalid' };
    let decoded: DecodedIdToken;
    try {
      decoded = await this.auth.verifyIdToken(credential, /* checkRevoked */ true);
    } catch (e) {
      const reason = refusalFor(e);
      if (reason === null) throw e;
      return { ok: false, reason };
    }
    return { ok: true, principal: principalFromClaims(decoded) };
  }

  async close(): Promise<void> {
    await deleteApp(this.app);
  }
}

/**
 * firebase-admin reports a failed key download as `auth/argument-error` too, with the download's
 * message; those are outages, not bad tokens.
 */
const KEY_FETCH_FAILURE = /Error fetching public keys|Error fetching Json Web Keys|Error while making request/i;

/**
 * What a firebase-admin error means for the credential: a refusal, or null when Firebase could not
 * be asked (the caller rethrows).
 */
export function refusalFor(error: unknown): AuthRefusal | null {
  const code = (error as { code?: unknown } | null)?.code;
  const message = String((error as { message?: unknown } | null)?.message ?? '');
  switch (code) {
    case 'auth/id-token-expired':
      return 'expired';
    case 'auth/id-token-revoked':
    case 'auth/user-disabled':
    // The account was deleted after the token was issued: its sessions are gone.
    case 'auth/user-not-found':
      return 'revoked';
    // Malformed, wrong audience or issuer, bad signature, unknown key id, no subject.
    case 'auth/argument-error':
    case 'auth/invalid-argument':
    case 'auth/invalid-id-token':
      return KEY_FETCH_FAILURE.test(message) ? null : 'invalid';
    default:
      return null;
  }
}

/** Name, email and photo as Google (through Firebase) vouches for them, cut to what a User holds. */
export function principalFromClaims(claims: DecodedIdToken): Principal {
  const email = boundedString(claims.email, 320);
  const localPart = email?.split('@')[0]?.trim();
  // A long name is cut (it is only shown); a cut email or URL would be wrong, so those are dropped.
  const given = typeof claims['name'] === 'string' ? claims['name'].trim() : '';
  const name = (given || localPart || 'User').slice(0, 200);
  return { userId: claims.uid, name, email, photoUrl: boundedString(claims.picture, 2048) };
}

function boundedString(v: unknown, maxChars: number): string | null {
  return typeof v === 'string' && v.length > 0 && v.length <= maxChars ? v : null;
}
