import { describe, expect, it } from 'vitest';
import { sandboxKind } from './sandbox-kind.js';

const health = (sandbox: string) => ({
  ok: true as const,
  version: 't',
  modelConfigured: true,
  sandbox,
  auth: { kind: 'local' as const },
});
const user = { id: 'u1', name: 'Ada', email: null };

describe('sandboxKind', () => {
  it('takes /api/me’s answer first', () => {
    expect(sandboxKind({ user, sandbox: 'docker' }, health('host'))).toBe('docker');
    expect(sandboxKind({ user, sandbox: 'host' }, undefined)).toBe('host');
  });

  it('falls back to /api/health when /me does not say (or has not answered)', () => {
    expect(sandboxKind({ user }, health('host'))).toBe('host');
    expect(sandboxKind(null, health('bubblewrap'))).toBe('bubblewrap');
    expect(sandboxKind(undefined, undefined)).toBeNull();
  });
});
