import { describe, expect, it } from 'vitest';
import { parsePastedToken, takeTokenFromUrl } from './signin-token.js';

describe('takeTokenFromUrl', () => {
  it('takes the token and keeps the rest of the address', () => {
    expect(takeTokenFromUrl(new URL('http://127.0.0.1:8080/?token=XYZ'))).toEqual({ token: 'XYZ', cleanUrl: '/' });
    expect(takeTokenFromUrl(new URL('http://h/sessions/1?a=1&token=T&b=2#x'))).toEqual({
      token: 'T',
      cleanUrl: '/sessions/1?a=1&b=2#x',
    });
  });

  it('finds nothing when there is no token', () => {
    expect(takeTokenFromUrl(new URL('http://h/?token='))).toEqual({ token: null, cleanUrl: '/' });
    expect(takeTokenFromUrl(new URL('http://h/x'))).toEqual({ token: null, cleanUrl: '/x' });
  });
});

describe('parsePastedToken', () => {
  it('accepts the token, the link, or text around the link', () => {
    expect(parsePastedToken('  abc123 ')).toBe('abc123');
    expect(parsePastedToken('http://127.0.0.1:8080/?token=abc123')).toBe('abc123');
    expect(parsePastedToken('Open http://127.0.0.1:8080/?token=a%2Bb&x=1 now')).toBe('a+b');
  });
});
