import type { RestoreSessionResponse } from '@agent-platform/core/protocol';
import { describe, expect, it } from 'vitest';
import { ApiClient, ApiError } from './client.js';

/** A fetch that answers from a table and records the requests (the server is not part of this unit). */
function fakeFetch(answer: (url: string, init: RequestInit) => Response | Promise<Response>) {
  const requests: Array<{ url: string; init: RequestInit }> = [];
  const fn = (async (input: RequestInfo | URL, init?: RequestInit) => {
    requests.push({ url: String(input), init: init ?? {} });
    return answer(String(input), init ?? {});
  }) as typeof fetch;
  return { fn, requests };
}

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

function client(
  fetchFn: typeof fetch,
  credential: string | null = 'cred',
  refreshCredential?: () => Promise<string | null>,
) {
  const refused: ApiError[] = [];
  const api = new ApiClient({
    getCredential: () => credential,
    ...(refreshCredential ? { refreshCredential } : {}),
    onUnauthenticated: (e) => refused.push(e),
    fetch: fetchFn,
  });
  return { api, refused };
}

const me = {
  user: {
    id: 'u1',
    name: 'Ada',
    email: 'ada@example.com',
    photoUrl: null,
    locale: 'ko',
    onboarding: { skipped: 'yes' },
    createdAt: 1,
    lastSeenAt: 2,
  },
  sandbox: 'docker',
  wsUrl: 'ws://10.0.0.7:8081/ws',
};

const bearer = (r: { init: RequestInit }) => (r.init.headers as Record<string, string>)['authorization'];

describe('ApiClient', () => {
  it('sends the credential and parses answers with the protocol schemas', async () => {
    const restored: RestoreSessionResponse = {
      session: {
        id: 's1',
        ownerId: 'u',
        title: '',
        context: 'workspace',
        claudeSessionId: null,
        createdAt: 1,
        updatedAt: 2,
      },
      messages: [],
      events: [],
      lastSeq: -1,
    };
    const { fn, requests } = fakeFetch(() => json(200, restored));
    const { api } = client(fn);
    await expect(api.getSession('s 1')).resolves.toEqual(restored);
    expect(requests[0]?.url).toBe('/api/sessions/s%201');
    expect(requests[0]?.init.headers).toMatchObject({ authorization: 'Bearer cred' });
  });

  it('turns the error envelope into an ApiError', async () => {
    const { fn } = fakeFetch(() => json(413, { code: 'PAYLOAD_TOO_LARGE', message: 'too big' }));
    const { api } = client(fn);
    const error = await api.postMessage('s', { clientMessageId: 'c', text: 'x' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', message: 'too big', status: 413 });
  });

  it('reports a refused credential, but not a wrong sign-in token', async () => {
    const { fn } = fakeFetch(() => json(401, { code: 'UNAUTHENTICATED', message: 'no' }));
    const { api, refused } = client(fn);
    await expect(api.signInLocal('bad')).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(refused).toHaveLength(0);
    await expect(api.me()).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(refused).toHaveLength(1);
  });

  it('does not call the server without a credential', async () => {
    const { fn, requests } = fakeFetch(() => json(200, {}));
    const { api, refused } = client(fn, null);
    await expect(api.listSessions({})).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(requests).toHaveLength(0);
    expect(refused).toHaveLength(1);
  });

  it('names network failures and answers that break the protocol', async () => {
    const down = client(
      fakeFetch(() => {
        throw new TypeError('Failed to fetch');
      }).fn,
    );
    await expect(down.api.health()).rejects.toMatchObject({ code: 'NETWORK_ERROR', status: 0 });
    const odd = client(fakeFetch(() => json(200, { ok: 'yes' })).fn);
    await expect(odd.api.health()).rejects.toMatchObject({ code: 'BAD_RESPONSE' });
    const html = client(fakeFetch(() => new Response('<html>Bad gateway</html>', { status: 502 })).fn);
    await expect(html.api.health()).rejects.toMatchObject({ code: 'HTTP_ERROR', status: 502 });
  });

  it('builds the list query', async () => {
    const { fn, requests } = fakeFetch(() => json(200, { sessions: [], nextBefore: null }));
    const { api } = client(fn);
    await api.listSessions({ limit: 20, before: '123.abc' });
    await api.listSessions({});
    expect(requests.map((r) => r.url)).toEqual(['/api/sessions?limit=20&before=123.abc', '/api/sessions']);
  });

  it('renews an expired credential once and sends the request again with it', async () => {
    const { fn, requests } = fakeFetch((_, init) =>
      (init.headers as Record<string, string>)['authorization'] === 'Bearer fresh'
        ? json(200, me)
        : json(401, { code: 'AUTH_EXPIRED', message: 'expired' }),
    );
    let renewals = 0;
    const { api, refused } = client(fn, 'old', async () => {
      renewals++;
      return 'fresh';
    });
    await expect(api.me()).resolves.toEqual(me);
    expect(requests.map(bearer)).toEqual(['Bearer old', 'Bearer fresh']);
    expect(renewals).toBe(1);
    expect(refused).toHaveLength(0);
  });

  it('reports the refusal when the renewed credential is refused too, or cannot be renewed', async () => {
    const expired = () => json(401, { code: 'AUTH_EXPIRED', message: 'expired' });
    const twice = fakeFetch(expired);
    const renewing = client(twice.fn, 'old', async () => 'fresh');
    await expect(renewing.api.listSessions({})).rejects.toMatchObject({ code: 'AUTH_EXPIRED', status: 401 });
    expect(twice.requests).toHaveLength(2);
    expect(renewing.refused.map((e) => e.code)).toEqual(['AUTH_EXPIRED']);

    const once = fakeFetch(expired);
    const local = client(once.fn, 'local-cred');
    await expect(local.api.listSessions({})).rejects.toMatchObject({ code: 'AUTH_EXPIRED' });
    expect(once.requests).toHaveLength(1);
    expect(local.refused.map((e) => e.code)).toEqual(['AUTH_EXPIRED']);
  });

  it('does not renew a revoked credential', async () => {
    const { fn, requests } = fakeFetch(() => json(401, { code: 'AUTH_REVOKED', message: 'revoked' }));
    let renewals = 0;
    const { api, refused } = client(fn, 'old', async () => {
      renewals++;
      return 'fresh';
    });
    await expect(api.me()).rejects.toMatchObject({ code: 'AUTH_REVOKED' });
    expect(requests).toHaveLength(1);
    expect(renewals).toBe(0);
    expect(refused.map((e) => e.code)).toEqual(['AUTH_REVOKED']);
  });

  it('treats a renewal that cannot reach Google as a network failure, not a sign-out', async () => {
    const { fn, requests } = fakeFetch(() => json(401, { code: 'AUTH_EXPIRED', message: 'expired' }));
    const { api, refused } = client(fn, 'old', async () => {
      throw new Error('auth/network-request-failed');
    });
    await expect(api.me()).rejects.toMatchObject({ code: 'NETWORK_ERROR', status: 0 });
    expect(requests).toHaveLength(1);
    expect(refused).toHaveLength(0);
  });

  it('saves the person’s settings with PATCH /api/me', async () => {
    const { fn, requests } = fakeFetch(() => json(200, me));
    const { api } = client(fn);
    await expect(api.updateMe({ locale: 'ko', onboarding: { role: 'research' } })).resolves.toEqual(me);
    expect(requests[0]?.url).toBe('/api/me');
    expect(requests[0]?.init.method).toBe('PATCH');
    expect(JSON.parse(String(requests[0]?.init.body))).toEqual({ locale: 'ko', onboarding: { role: 'research' } });
  });

  it('names the code of a refusal the WebSocket reports', () => {
    const { api, refused } = client(fakeFetch(() => json(200, {})).fn);
    api.reportUnauthenticated('AUTH_REVOKED');
    api.reportUnauthenticated('SOMETHING_ELSE');
    expect(refused.map((e) => [e.code, e.status])).toEqual([
      ['AUTH_REVOKED', 401],
      ['UNAUTHENTICATED', 401],
    ]);
  });
});
