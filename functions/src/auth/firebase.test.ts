import type { DecodedIdToken } from 'firebase-admin/auth';
import { describe, expect, it } from 'vitest';
import { principalFromClaims, refusalFor } from './firebase.js';

// How firebase-admin's errors read is checked against the real emulator in firebase.int.test.ts;
// these cover the cases the emulator cannot produce (Google's key server failing, a network error).
describe('refusalFor', () => {
  const err = (code: string, message = 'x') => Object.assign(new Error(message), { code });

  it('maps token problems to refusals', () => {
    expect(refusalFor(err('auth/id-token-expired'))).toBe('expired');
    expect(refusalFor(err('auth/id-token-revoked'))).toBe('revoked');
    expect(refusalFor(err('auth/user-disabled'))).toBe('revoked');
    expect(refusalFor(err('auth/user-not-found'))).toBe('revoked');
    expect(refusalFor(err('auth/argument-error', 'Firebase ID token has incorrect "aud" (audience) claim.'))).toBe(
      'invalid',
    );
    expect(refusalFor(err('auth/argument-error', 'Firebase ID token has invalid signature.'))).toBe('invalid');
  });

  it('treats not being able to ask Firebase as an outage (null: the caller throws)', () => {
    expect(refusalFor(err('app/network-error', 'Error while making request: connect ECONNREFUSED'))).toBeNull();
    expect(refusalFor(err('app/network-timeout'))).toBeNull();
    expect(refusalFor(err('auth/internal-error'))).toBeNull();
    // firebase-admin reports a failed download of Google's signing keys as an argument error.
    expect(
      refusalFor(err('auth/argument-error', 'Error fetching public keys for Google certs: service unavailable')),
    ).toBeNull();
    expect(refusalFor(err('auth/argument-error', 'Error while making request: getaddrinfo EAI_AGAIN'))).toBeNull();
    expect(refusalFor(new Error('no code'))).toBeNull();
    expect(refusalFor(null)).toBeNull();
  });
});

describe('principalFromClaims', () => {
  const claims = (extra: Record<string, unknown>) => ({ uid: 'u1', sub: 'u1', ...extra }) as unknown as DecodedIdToken;

  it('takes name, email and photo from the token', () => {
    expect(
      principalFromClaims(claims({ name: 'Minji Kim', email: 'minji@example.com', picture: 'https://p.example/1' })),
    ).toEqual({ userId: 'u1', name: 'Minji Kim', email: 'minji@example.com', photoUrl: 'https://p.example/1' });
  });

  it('falls back to the email’s local part, then to "User"', () => {
    expect(principalFromClaims(claims({ email: 'minji@example.com' }))).toMatchObject({ name: 'minji' });
    expect(principalFromClaims(claims({ name: '   ' }))).toEqual({
      userId: 'u1',
      name: 'User',
      email: null,
      photoUrl: null,
    });
  });

  it('cuts a long name and drops an email or photo a profile cannot hold', () => {
    const p = principalFromClaims(claims({ name: 'n'.repeat(500), email: 42, picture: `https://${'p'.repeat(3000)}` }));
    expect(p).toEqual({ userId: 'u1', name: 'n'.repeat(200), email: null, photoUrl: null });
  });
});
