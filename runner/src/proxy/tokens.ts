import { createHash, randomBytes } from 'node:crypto';

/** Whom a sandbox token stands for. */
export interface SandboxIdentity {
  userId: string;
  sandboxId: string;
}

/** Every token starts with this, so one found in a log or a file is recognisable (and greppable). */
export const SANDBOX_TOKEN_PREFIX = 'ap-sbx-';

// 32 random bytes in base64url are 43 characters.
const TOKEN_SHAPE = /^ap-sbx-[A-Za-z0-9_-]{43}$/;

const digest = (token: string): string => createHash('sha256').update(token).digest('hex');

/**
 * The opaque per-sandbox credentials the model proxy accepts in place of the real API key. Held in
 * memory only: a sandbox gets a fresh token each time its container starts, so a runner restart
 * (which loses them) costs nothing but that reissue.
 *
 * Tokens are kept as SHA-256 digests and found by digest: a lookup's timing depends on the digest,
 * which tells an attacker nothing about any valid token, and a heap dump holds no usable token.
 */
export class SandboxTokens {
  private readonly byDigest = new Map<string, SandboxIdentity>();
  private readonly bySandbox = new Map<string, Set<string>>();

  /** A new token for the sandbox; earlier tokens of that sandbox stay valid until `revoke`. */
  issue(userId: string, sandboxId: string): string {
    if (!userId || !sandboxId) throw new RangeError('SandboxTokens.issue: userId and sandboxId must be non-empty.');
    const token = SANDBOX_TOKEN_PREFIX + randomBytes(32).toString('base64url');
    const d = digest(token);
    this.byDigest.set(d, { userId, sandboxId });
    let set = this.bySandbox.get(sandboxId);
    if (!set) {
      set = new Set();
      this.bySandbox.set(sandboxId, set);
    }
    set.add(d);
    return token;
  }

  /** The identity behind a token, or null for a malformed, unknown or revoked one. */
  resolve(token: string | null | undefined): SandboxIdentity | null {
    if (typeof token !== 'string' || !TOKEN_SHAPE.test(token)) return null;
    const found = this.byDigest.get(digest(token));
    return found ? { ...found } : null;
  }

  /** Invalidates every token of the sandbox (its container was removed). Returns how many there were. */
  revoke(sandboxId: string): number {
    const set = this.bySandbox.get(sandboxId);
    if (!set) return 0;
    for (const d of set) this.byDigest.delete(d);
    this.bySandbox.delete(sandboxId);
    return set.size;
  }

  /** How many tokens are valid. */
  get size(): number {
    return this.byDigest.size;
  }
}
