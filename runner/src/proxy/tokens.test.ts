import { describe, expect, it } from 'vitest';
import { SANDBOX_TOKEN_PREFIX, SandboxTokens } from './tokens.js';

describe('SandboxTokens', () => {
  it('issues opaque, prefixed, 32-byte tokens that resolve to their user and sandbox', () => {
    const tokens = new SandboxTokens();
    const a = tokens.issue('user-1', 'sbx-1');
    const b = tokens.issue('user-1', 'sbx-1');
    expect(a).toMatch(/^ap-sbx-[A-Za-z0-9_-]{43}$/);
    expect(a.startsWith(SANDBOX_TOKEN_PREFIX)).toBe(true);
    expect(Buffer.from(a.slice(SANDBOX_TOKEN_PREFIX.length), 'base64url')).toHaveLength(32);
    expect(a).not.toBe(b);
    expect(a).not.toContain('user-1');
    expect(tokens.resolve(a)).toEqual({ userId: 'user-1', sandboxId: 'sbx-1' });
    expect(tokens.resolve(b)).toEqual({ userId: 'user-1', sandboxId: 'sbx-1' });
    expect(tokens.size).toBe(2);
  });

  it('resolves nothing for unknown, malformed or missing tokens', () => {
    const tokens = new SandboxTokens();
    const t = tokens.issue('user-1', 'sbx-1');
    const forged = `${t.slice(0, -1)}${t.endsWith('A') ? 'B' : 'A'}`;
    for (const bad of [forged, t.slice(0, -1), `${t}x`, t.slice(SANDBOX_TOKEN_PREFIX.length), '', null, undefined]) {
      expect(tokens.resolve(bad)).toBeNull();
    }
  });

  it('revokes every token of one sandbox and only those', () => {
    const tokens = new SandboxTokens();
    const a1 = tokens.issue('user-1', 'sbx-a');
    const a2 = tokens.issue('user-1', 'sbx-a');
    const b = tokens.issue('user-2', 'sbx-b');
    expect(tokens.revoke('sbx-a')).toBe(2);
    expect(tokens.resolve(a1)).toBeNull();
    expect(tokens.resolve(a2)).toBeNull();
    expect(tokens.resolve(b)).toEqual({ userId: 'user-2', sandboxId: 'sbx-b' });
    expect(tokens.revoke('sbx-a')).toBe(0);
    expect(tokens.size).toBe(1);
  });

  it('hands out copies, so a caller cannot rebind a token', () => {
    const tokens = new SandboxTokens();
    const t = tokens.issue('user-1', 'sbx-1');
    const who = tokens.resolve(t)!;
    who.userId = 'someone-else';
    expect(tokens.resolve(t)?.userId).toBe('user-1');
  });

  it('refuses to issue a token for nobody', () => {
    expect(() => new SandboxTokens().issue('', 'sbx')).toThrow(RangeError);
  });
});
