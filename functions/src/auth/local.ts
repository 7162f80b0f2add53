import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { User } from '@agent-platform/core/domain';
import type { Auth, AuthResult, Clock, LocalSignIn } from '@agent-platform/core/ports';

export interface LocalAuthOptions {
  /** Where the sign-in token and the signing secret are kept (created 0600 when missing). */
  dataDir: string;
  /** Use this sign-in token instead of the stored or a generated one. */
  signInToken?: string | undefined;
  /** How long a credential stays valid. Default 30 days. */
  credentialTtlMs?: number;
  clock: Clock;
}

/** The one local person, as the sign-in vouches for them (the store keeps locale and answers). */
export const LOCAL_USER: User = {
  id: 'local',
  name: 'Local user',
  email: null,
  photoUrl: null,
  locale: null,
  onboarding: {},
  createdAt: 0,
  lastSeenAt: 0,
};

/** Longest credential looked at (ours are about 100 characters). */
const MAX_CREDENTIAL_CHARS = 4096;

/**
 * One-user sign-in for local mode, as Jupyter does it: a secret token printed at start (and kept
 * in DATA_DIR/signin-token) is exchanged for an HMAC-signed credential.
 */
export class LocalAuth implements Auth, LocalSignIn {
  readonly signInToken: string;
  readonly tokenFile: string;
  private readonly secret: Buffer;
  private readonly ttlMs: number;
  private readonly clock: Clock;

  constructor(opts: LocalAuthOptions) {
    mkdirSync(opts.dataDir, { recursive: true });
    this.tokenFile = path.join(opts.dataDir, 'signin-token');
    this.signInToken = opts.signInToken ?? readOrCreate(this.tokenFile, () => randomBytes(24).toString('hex'));
    if (opts.signInToken) writeFileSync(this.tokenFile, `${opts.signInToken}\n`, { mode: 0o600 });
    this.secret = Buffer.from(
      readOrCreate(path.join(opts.dataDir, 'auth-secret'), () => randomBytes(32).toString('hex')),
      'hex',
    );
    this.ttlMs = opts.credentialTtlMs ?? 30 * 24 * 3600 * 1000;
    this.clock = opts.clock;
  }

  async exchange(token: string): Promise<{ credential: string; user: User; expiresAt: number } | null> {
    if (!safeEqual(token, this.signInToken)) return null;
    const expiresAt = this.clock.now() + this.ttlMs;
    const payload = Buffer.from(JSON.stringify({ sub: LOCAL_USER.id, exp: expiresAt })).toString('base64url');
    return { credential: `v1.${payload}.${this.sign(payload)}`, user: LOCAL_USER, expiresAt };
  }

  /** Forged, malformed or for another user → invalid; correctly signed but past its time → expired. */
  async verify(credential: string): Promise<AuthResult> {
    const invalid: AuthResult = { ok: false, reason: 'invalid' };
    if (credential.length > MAX_CREDENTIAL_CHARS) return invalid;
    const [version, payload, mac, extra] = credential.split('.');
    if (version !== 'v1' || !payload || !mac || extra !== undefined || !safeEqual(mac, this.sign(payload))) {
      return invalid;
    }
    let claims: { sub?: unknown; exp?: unknown };
    try {
      claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as typeof claims;
    } catch {
      // Signed by us yet not JSON: only a forger with our secret could make one; still just invalid.
      return invalid;
    }
    if (claims?.sub !== LOCAL_USER.id || typeof claims.exp !== 'number') return invalid;
    if (claims.exp <= this.clock.now()) return { ok: false, reason: 'expired' };
    return {
      ok: true,
      principal: { userId: LOCAL_USER.id, name: LOCAL_USER.name, email: LOCAL_USER.email, photoUrl: null },
    };
  }

  private sign(payload: string): string {
    return createHmac('sha256', this.secret).update(payload).digest('base64url');
  }
}

function readOrCreate(file: string, make: () => string): string {
  if (existsSync(file)) {
    const v = readFileSync(file, 'utf8').trim();
    if (v) return v;
  }
  const v = make();
  writeFileSync(file, `${v}\n`, { mode: 0o600 });
  return v;
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
