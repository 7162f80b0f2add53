import { describe, expect, it } from 'vitest';
import { parseRoute, pathFor, safeNextPath } from './router.js';

describe('parseRoute', () => {
  it('knows the app’s pages', () => {
    expect(parseRoute('/')).toEqual({ name: 'sessions' });
    expect(parseRoute('/signin')).toEqual({ name: 'signin' });
    expect(parseRoute('/signin/')).toEqual({ name: 'signin' });
    expect(parseRoute('/sessions/abc-123')).toEqual({ name: 'workspace', sessionId: 'abc-123' });
    expect(parseRoute('/sessions/a%20b')).toEqual({ name: 'workspace', sessionId: 'a b' });
  });

  it('knows the agent pages: the dashboard, one agent, one run and usage', () => {
    expect(parseRoute('/agents')).toEqual({ name: 'agents' });
    expect(parseRoute('/agents/')).toEqual({ name: 'agents' });
    expect(parseRoute('/agents/daily-report')).toEqual({ name: 'agent', agentId: 'daily-report' });
    expect(parseRoute('/runs/r_1')).toEqual({ name: 'run', runId: 'r_1' });
    expect(parseRoute('/runs/r%2F1')).toEqual({ name: 'run', runId: 'r/1' });
    expect(parseRoute('/usage')).toEqual({ name: 'usage' });
    expect(parseRoute('/runs')).toEqual({ name: 'not-found', path: '/runs' });
    expect(parseRoute('/agents/a/runs')).toEqual({ name: 'not-found', path: '/agents/a/runs' });
    expect(parseRoute('/agents/%E0%A4%A')).toEqual({ name: 'not-found', path: '/agents/%E0%A4%A' });
  });

  it('answers not-found for anything else, including malformed escapes', () => {
    expect(parseRoute('/nope')).toEqual({ name: 'not-found', path: '/nope' });
    expect(parseRoute('/sessions/a/b')).toEqual({ name: 'not-found', path: '/sessions/a/b' });
    expect(parseRoute('/sessions/%E0%A4%A')).toEqual({ name: 'not-found', path: '/sessions/%E0%A4%A' });
  });

  it('round-trips through pathFor', () => {
    for (const path of ['/', '/signin', '/sessions/x%2Fy', '/agents', '/agents/a%20b', '/runs/r1', '/usage'])
      expect(pathFor(parseRoute(path))).toBe(path);
  });
});

describe('safeNextPath', () => {
  it('accepts local paths only', () => {
    expect(safeNextPath('/sessions/1')).toBe('/sessions/1');
    expect(safeNextPath(null)).toBe('/');
    expect(safeNextPath('https://evil.example')).toBe('/');
    expect(safeNextPath('//evil.example')).toBe('/');
    expect(safeNextPath('/signin?next=/x')).toBe('/');
  });
});
