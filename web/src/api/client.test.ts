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

function client(fetchFn: typeof fetch, credential: string | null = 'cred') {
  const refused: ApiError[] = [];
  const api = new ApiClient({
    getCredential: () => credential,
    onUnauthenticated: (e) => refused.push(e),
    fetch: fetchFn,
  });
  return { api, refused };
}

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
});
