/**
 * The model proxy between real clients (fetch, and the real Claude Code CLI through the real Agent
 * SDK) and the scripted model as upstream, which accepts only the real key. Metering goes into a
 * real SQLite store.
 */
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore, type SqliteStore } from '@agent-platform/core/store/sqlite';
import { type Options, query, type SDKMessage } from '@anthropic-ai/claude-agent-sdk';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  keyFingerprint,
  type MessagesBody,
  type ScriptedModel,
  startScriptedModel,
  toolResults,
  type Usage,
} from '../../../test/fixtures/scripted-model.js';
import type { Logger, LogLevel } from '../log.js';
import { costUsd } from './pricing.js';
import { createModelProxy, type ModelProxy, type ModelProxyOptions } from './server.js';
import { SandboxTokens } from './tokens.js';

const REAL_KEY = 'real-upstream-key';
// 2025-06-15: the budget month is June 2025 (UTC).
const NOW = Date.UTC(2025, 5, 15, 12, 0, 0);
const MODEL = 'claude-sonnet-4-5-20250929';

let upstream: ScriptedModel;
let store: SqliteStore;
let dir: string;
const dirs: string[] = [];
const clock = { now: () => NOW };

interface LogEntry {
  level: LogLevel;
  msg: string;
  fields?: Record<string, unknown> | undefined;
}
let logs: LogEntry[] = [];
const log: Logger = {
  debug: (msg, fields) => logs.push({ level: 'debug', msg, fields }),
  info: (msg, fields) => logs.push({ level: 'info', msg, fields }),
  warn: (msg, fields) => logs.push({ level: 'warn', msg, fields }),
  error: (msg, fields) => logs.push({ level: 'error', msg, fields }),
};

let tokens: SandboxTokens;
/** A proxy under test, served through a server of the test's own (see `startProxy`). */
interface Harness {
  url: string;
  idle(): Promise<void>;
  close(): Promise<void>;
}
const proxies: Harness[] = [];
/** Requests that reached the proxy, counted in front of its handler. */
let proxyHits: Array<{ method: string; url: string }> = [];

async function startProxy(over: Partial<ModelProxyOptions> = {}): Promise<Harness> {
  const proxy: ModelProxy = createModelProxy({
    upstreamUrl: upstream.url,
    upstreamApiKey: REAL_KEY,
    tokens,
    store,
    clock,
    log,
    ...over,
  });
  // Mounted on a server of the test's own, to count what the client sent (retries included).
  const server = http.createServer((req, res) => {
    proxyHits.push({ method: req.method ?? '', url: req.url ?? '' });
    proxy.handle(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const harness: Harness = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    idle: () => proxy.idle(),
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
      await proxy.close();
    },
  };
  proxies.push(harness);
  return harness;
}

function newSandbox() {
  const userId = `user-${randomUUID()}`;
  const sandboxId = `sbx-${randomUUID()}`;
  return { userId, sandboxId, token: tokens.issue(userId, sandboxId) };
}

// The shape Claude Code sends on its main loop (trimmed); tools make the scripted model treat it so.
function mainBody(text: string, extra: Partial<MessagesBody> = {}): MessagesBody {
  return {
    model: MODEL,
    max_tokens: 32000,
    tools: [{ name: 'Bash', description: 'Run a command', input_schema: { type: 'object' } }],
    messages: [{ role: 'user', content: [{ type: 'text', text }] }],
    stream: true,
    ...extra,
  };
}

function post(
  base: string,
  body: unknown,
  headers: Record<string, string>,
  init: RequestInit = {},
  path = '/v1/messages?beta=true',
) {
  return fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', ...headers },
    body: JSON.stringify(body),
    ...init,
  });
}

const USAGE: Required<Usage> = {
  input_tokens: 321,
  output_tokens: 12,
  cache_read_input_tokens: 100,
  cache_creation_input_tokens: 7,
};

const expectedTotals = (u: Required<Usage>, responses = 1) => ({
  inputTokens: u.input_tokens,
  outputTokens: u.output_tokens,
  cacheReadTokens: u.cache_read_input_tokens,
  cacheCreationTokens: u.cache_creation_input_tokens,
  responses,
});

const costOf = (u: Required<Usage>) =>
  costUsd(MODEL, {
    inputTokens: u.input_tokens,
    outputTokens: u.output_tokens,
    cacheReadTokens: u.cache_read_input_tokens,
    cacheCreationTokens: u.cache_creation_input_tokens,
  });

/** Message and tool ids count up per response; everything else of two answers to one script is equal. */
const normaliseIds = (sse: string) =>
  sse.replace(/msg_scripted_\d+/g, 'msg_X').replace(/toolu_scripted_\d+/g, 'toolu_X');

function usageRows(userId: string) {
  return store.usageSince(userId, 0);
}

beforeAll(async () => {
  upstream = await startScriptedModel({ requireApiKey: REAL_KEY });
  dir = mkdtempSync(join(tmpdir(), 'model-proxy-'));
  store = openSqliteStore({ file: join(dir, 'store.db') });
});

afterAll(async () => {
  await upstream.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

beforeEach(() => {
  tokens = new SandboxTokens();
  logs = [];
  proxyHits = [];
});

afterEach(async () => {
  for (const p of proxies.splice(0)) await p.close();
  upstream.reset();
});

describe('model proxy: credentials', () => {
  it('forwards with the real key; the sandbox token never reaches upstream', async () => {
    const proxy = await startProxy();
    const sbx = newSandbox();
    upstream.script([{ text: 'hello' }, { text: 'hello again' }]);

    const viaKey = await post(proxy.url, mainBody('hi'), { 'x-api-key': sbx.token });
    expect(viaKey.status).toBe(200);
    await viaKey.text();
    // ANTHROPIC_AUTH_TOKEN makes Claude Code send a bearer instead; the proxy takes either.
    const viaBearer = await post(proxy.url, mainBody('hi'), { authorization: `Bearer ${sbx.token}` });
    expect(viaBearer.status).toBe(200);
    await viaBearer.text();

    expect(upstream.allRequests).toHaveLength(2);
    for (const r of upstream.allRequests) {
      expect(r.auth).toEqual({ scheme: 'x-api-key', fingerprint: keyFingerprint(REAL_KEY) });
      expect(r.path).toBe('/v1/messages');
      expect(r.query).toBe('beta=true');
      expect(r.headers['anthropic-version']).toBe('2023-06-01');
      expect(JSON.stringify(r)).not.toContain(sbx.token);
    }
    await proxy.idle();
    const logged = JSON.stringify(logs);
    expect(logged).not.toContain(sbx.token);
    expect(logged).not.toContain(REAL_KEY);
  });

  it('sends upstream no caller credential, no hop-by-hop header, and keeps a base path', async () => {
    // A bare server that keeps every header as received (the scripted model drops auth headers).
    const seen: Array<{ url: string; headers: http.IncomingHttpHeaders; body: string }> = [];
    const raw = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => {
        body += c.toString();
      });
      req.on('end', () => {
        seen.push({ url: req.url ?? '', headers: req.headers, body });
        res.writeHead(200, { 'content-type': 'application/json', 'x-upstream': 'yes' });
        res.end(JSON.stringify({ id: 'msg_raw', model: MODEL, usage: { input_tokens: 1, output_tokens: 2 } }));
      });
    });
    await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
    try {
      const rawUrl = `http://127.0.0.1:${(raw.address() as AddressInfo).port}`;
      const proxy = await startProxy({ upstreamUrl: `${rawUrl}/gateway/anthropic/` });
      const sbx = newSandbox();
      const body = mainBody('hi', { stream: false });
      // node:http rather than fetch, which refuses to send a Connection header.
      const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
        const req = http.request(`${proxy.url}/v1/messages?beta=true`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'x-api-key': sbx.token,
            authorization: `Bearer ${sbx.token}`,
            'proxy-authorization': `Basic ${sbx.token}`,
            connection: 'keep-alive, x-hop',
            'x-hop': sbx.token,
            'x-claude-code-session-id': 'session-1',
            'user-agent': 'claude-cli/2.1 (external, sdk-ts)',
          },
        });
        req.on('response', resolve);
        req.on('error', reject);
        req.end(JSON.stringify(body));
      });
      expect(res.statusCode).toBe(200);
      expect(res.headers['x-upstream']).toBe('yes');
      await once(res.resume(), 'end');

      expect(seen).toHaveLength(1);
      const got = seen[0]!;
      expect(got.url).toBe('/gateway/anthropic/v1/messages?beta=true');
      expect(got.body).toBe(JSON.stringify(body));
      expect(got.headers['x-api-key']).toBe(REAL_KEY);
      expect(got.headers.authorization).toBeUndefined();
      expect(got.headers['proxy-authorization']).toBeUndefined();
      expect(got.headers['x-hop']).toBeUndefined();
      expect(got.headers['accept-encoding']).toBe('identity');
      expect(got.headers['x-claude-code-session-id']).toBe('session-1');
      expect(got.headers['user-agent']).toBe('claude-cli/2.1 (external, sdk-ts)');
      expect(got.headers.host).toBe(new URL(rawUrl).host);
      expect(JSON.stringify(got.headers)).not.toContain(sbx.token);
      await proxy.idle();
      expect(await usageRows(sbx.userId)).toMatchObject({ inputTokens: 1, outputTokens: 2, responses: 1 });
    } finally {
      raw.closeAllConnections();
      await new Promise<void>((resolve) => raw.close(() => resolve()));
    }
  });

  it('can send the real credential as a bearer token', async () => {
    const proxy = await startProxy({ upstreamApiKey: undefined, upstreamAuthToken: REAL_KEY });
    const sbx = newSandbox();
    const res = await post(proxy.url, mainBody('hi', { stream: false }), { 'x-api-key': sbx.token });
    expect(res.status).toBe(200);
    expect(upstream.allRequests[0]?.auth).toEqual({ scheme: 'bearer', fingerprint: keyFingerprint(REAL_KEY) });
  });

  it('answers 401 in the Anthropic format for an unknown, revoked or missing token, forwarding nothing', async () => {
    const proxy = await startProxy();
    const sbx = newSandbox();
    const other = newSandbox();
    expect(tokens.revoke(sbx.sandboxId)).toBe(1);
    const forged = `ap-sbx-${Buffer.alloc(32, 7).toString('base64url')}`;

    const attempts: Record<string, string>[] = [
      { 'x-api-key': sbx.token },
      { 'x-api-key': forged },
      { authorization: 'Bearer nope' },
      {},
    ];
    for (const headers of attempts) {
      const res = await post(proxy.url, mainBody('hi'), headers);
      expect(res.status).toBe(401);
      expect(res.headers.get('content-type')).toBe('application/json');
      expect(res.headers.get('x-should-retry')).toBe('false');
      expect(await res.json()).toEqual({
        type: 'error',
        error: { type: 'authentication_error', message: expect.stringMatching(/token is unknown or was revoked/) },
      });
    }
    expect(upstream.allRequests).toHaveLength(0);
    // Revoking one sandbox leaves the others working.
    expect((await post(proxy.url, mainBody('hi'), { 'x-api-key': other.token })).status).toBe(200);
  });

  it('forwards only the Messages, count_tokens and models routes', async () => {
    const proxy = await startProxy();
    const sbx = newSandbox();
    const auth = { 'x-api-key': sbx.token };

    const count = await post(
      proxy.url,
      { model: MODEL, messages: mainBody('hi').messages },
      auth,
      {},
      '/v1/messages/count_tokens?beta=true',
    );
    expect(count.status).toBe(200);
    expect(await count.json()).toEqual({ input_tokens: expect.any(Number) });
    const models = await fetch(`${proxy.url}/v1/models?limit=5`, { headers: auth });
    expect(models.status).toBe(200);
    expect((await models.json()).data).toHaveLength(2);
    expect((await fetch(`${proxy.url}/v1/models/claude-haiku-4-5`, { headers: auth })).status).toBe(200);
    expect(upstream.allRequests.map((r) => `${r.method} ${r.path}?${r.query}`)).toEqual([
      'POST /v1/messages/count_tokens?beta=true',
      'GET /v1/models?limit=5',
      'GET /v1/models/claude-haiku-4-5?',
    ]);
    upstream.reset();

    for (const [method, path] of [
      ['GET', '/v1/messages'],
      ['POST', '/v1/messages/batches'],
      ['POST', '/v1/complete'],
      ['HEAD', '/api/hello'],
      ['GET', '/v1/models/../../admin'],
      ['POST', '/v1/files'],
    ] as const) {
      const res = await fetch(`${proxy.url}${path}`, { method, headers: auth, body: method === 'POST' ? '{}' : null });
      expect(res.status, `${method} ${path}`).toBe(404);
      if (method !== 'HEAD') expect((await res.json()).error.type).toBe('not_found_error');
    }
    expect(upstream.allRequests).toHaveLength(0);
    await proxy.idle();
    expect((await usageRows(sbx.userId)).responses).toBe(0);
  });
});

describe('model proxy: streaming', () => {
  it('passes the SSE stream through byte for byte, with status and content type', async () => {
    const proxy = await startProxy();
    const sbx = newSandbox();
    const turn = {
      chunks: ['Hello ', '안녕하세요 ', '👋 ', 'done.'],
      toolUse: [{ name: 'Bash', input: { command: 'echo "hi"' } }],
      usage: USAGE,
    };
    upstream.script([turn, turn]);
    const direct = await post(upstream.url, mainBody('hi'), { 'x-api-key': REAL_KEY });
    const proxied = await post(proxy.url, mainBody('hi'), { 'x-api-key': sbx.token });
    expect(proxied.status).toBe(direct.status);
    expect(proxied.headers.get('content-type')).toBe(direct.headers.get('content-type'));
    expect(proxied.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(proxied.headers.get('request-id')).toMatch(/^req_scripted_/);
    const [a, b] = [await direct.arrayBuffer(), await proxied.arrayBuffer()];
    expect(normaliseIds(Buffer.from(b).toString('utf8'))).toBe(normaliseIds(Buffer.from(a).toString('utf8')));
    expect(b.byteLength).toBe(a.byteLength);
  });

  it('does not buffer: each event reaches the client as the upstream sends it', async () => {
    const proxy = await startProxy();
    const sbx = newSandbox();
    upstream.script([{ chunks: ['one ', 'two ', 'three ', 'four'], chunkDelayMs: 250, usage: USAGE }]);
    const started = performance.now();
    const res = await post(proxy.url, mainBody('hi'), { 'x-api-key': sbx.token });
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    let firstDeltaMs = -1;
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
      if (firstDeltaMs < 0 && text.includes('content_block_delta')) firstDeltaMs = performance.now() - started;
    }
    const totalMs = performance.now() - started;
    // Three 250 ms gaps follow the first delta; a buffering proxy would deliver it at the end.
    expect(totalMs).toBeGreaterThan(700);
    expect(firstDeltaMs).toBeGreaterThan(0);
    expect(firstDeltaMs).toBeLessThan(totalMs - 600);
  });
});

describe('model proxy: metering', () => {
  it('records exactly the scripted usage of a streamed response, with the Claude session id', async () => {
    const proxy = await startProxy();
    const sbx = newSandbox();
    upstream.script([{ text: 'streamed', usage: USAGE }]);
    const claudeSession = randomUUID();
    const res = await post(proxy.url, mainBody('hi'), {
      'x-api-key': sbx.token,
      'x-claude-code-session-id': claudeSession,
    });
    await res.text();
    // The response ends only after its usage is stored: no waiting needed here.
    const totals = await usageRows(sbx.userId);
    expect(totals).toEqual({ ...expectedTotals(USAGE), costUsd: expect.closeTo(costOf(USAGE), 12) });
    expect(upstream.allRequests[0]?.headers['x-claude-code-session-id']).toBe(claudeSession);
    const debug = logs.find((l) => l.msg === 'model proxy: usage');
    expect(debug?.fields).toMatchObject({ userId: sbx.userId, claudeSessionId: claudeSession, model: MODEL, at: NOW });
  });

  it('ends a response only once its usage is stored, so the next budget check counts it', async () => {
    // A slow store: a proxy that ended the response first would let the client see the end before this.
    const slowStore = {
      usageSince: store.usageSince.bind(store),
      recordUsage: async (u: Parameters<SqliteStore['recordUsage']>[0]) => {
        await new Promise((resolve) => setTimeout(resolve, 300));
        await store.recordUsage(u);
      },
    };
    const proxy = await startProxy({ store: slowStore });
    const sbx = newSandbox();
    upstream.script([
      { text: 'streamed', usage: USAGE },
      { text: 'whole', usage: USAGE },
    ]);
    await (await post(proxy.url, mainBody('hi'), { 'x-api-key': sbx.token })).text();
    expect((await usageRows(sbx.userId)).responses).toBe(1);
    await (await post(proxy.url, mainBody('hi', { stream: false }), { 'x-api-key': sbx.token })).json();
    expect((await usageRows(sbx.userId)).responses).toBe(2);
  });

  it('records exactly the scripted usage of a non-streamed response', async () => {
    const proxy = await startProxy();
    const sbx = newSandbox();
    const usage = {
      input_tokens: 5000,
      output_tokens: 800,
      cache_read_input_tokens: 0,
      cache_creation_input_tokens: 4096,
    };
    upstream.script([{ text: 'whole', usage }]);
    const res = await post(proxy.url, mainBody('hi', { stream: false }), { 'x-api-key': sbx.token });
    expect(res.headers.get('content-type')).toBe('application/json');
    expect((await res.json()).usage).toEqual(usage);
    expect(await usageRows(sbx.userId)).toEqual({
      ...expectedTotals(usage),
      costUsd: expect.closeTo(costOf(usage), 12),
    });
  });

  it('keeps users apart and does not meter failed responses', async () => {
    const proxy = await startProxy();
    const a = newSandbox();
    const b = newSandbox();
    upstream.script([
      { text: 'a', usage: USAGE },
      { status: 529, error: 'Overloaded' },
    ]);
    await (await post(proxy.url, mainBody('hi'), { 'x-api-key': a.token })).text();
    const failed = await post(proxy.url, mainBody('hi'), { 'x-api-key': b.token });
    expect(failed.status).toBe(529);
    expect(await failed.json()).toEqual({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } });
    await proxy.idle();
    expect((await usageRows(a.userId)).responses).toBe(1);
    expect((await usageRows(b.userId)).responses).toBe(0);
  });

  it('stops the upstream when the client hangs up, and meters what was used until then', async () => {
    const proxy = await startProxy();
    const sbx = newSandbox();
    upstream.script([{ chunks: Array.from({ length: 50 }, (_, i) => `w${i} `), chunkDelayMs: 100, usage: USAGE }]);
    const abort = new AbortController();
    const res = await post(proxy.url, mainBody('hi'), { 'x-api-key': sbx.token }, { signal: abort.signal });
    const reader = res.body!.getReader();
    let text = '';
    while (!text.includes('content_block_delta')) text += Buffer.from((await reader.read()).value!).toString();
    abort.abort();
    await proxy.idle();
    // message_start carried the input side and a running output count of 1.
    expect(await usageRows(sbx.userId)).toMatchObject({
      inputTokens: 321,
      outputTokens: 1,
      cacheReadTokens: 100,
      cacheCreationTokens: 7,
      responses: 1,
    });
    expect(logs.some((l) => l.msg === 'model proxy: response cut short')).toBe(true);
  });
});

describe('model proxy: budget', () => {
  const spend = (userId: string, costUsdValue: number, at = NOW - 1000) =>
    store.recordUsage({
      id: randomUUID(),
      userId,
      claudeSessionId: null,
      model: MODEL,
      inputTokens: 1,
      outputTokens: 1,
      cacheReadTokens: 0,
      cacheCreationTokens: 0,
      costUsd: costUsdValue,
      at,
    });

  it('refuses a Messages request once the month is spent, with a clear error, forwarding and recording nothing', async () => {
    const proxy = await startProxy({ budget: { monthlyUsdLimit: 5 } });
    const sbx = newSandbox();
    await spend(sbx.userId, 5);
    const before = await usageRows(sbx.userId);

    const res = await post(proxy.url, mainBody('hi'), { 'x-api-key': sbx.token });
    expect(res.status).toBe(402);
    expect(res.headers.get('x-should-retry')).toBe('false');
    const body = await res.json();
    expect(body).toEqual({ type: 'error', error: { type: 'billing_error', message: expect.any(String) } });
    expect(body.error.message).toBe(
      'Your monthly budget of $5.00 on Agent Platform is spent ($5.00 used since 2025-06-01), so Claude cannot answer ' +
        'until it resets on 2025-07-01 (UTC). To continue now, raise the limit (MONTHLY_BUDGET_USD in the runner ' +
        'settings) or ask your administrator to.',
    );
    expect(upstream.allRequests).toHaveLength(0);
    await proxy.idle();
    expect(await usageRows(sbx.userId)).toEqual(before);

    // count_tokens and models cost nothing and stay open.
    const auth = { 'x-api-key': sbx.token };
    const count = await post(
      proxy.url,
      { model: MODEL, messages: mainBody('x').messages },
      auth,
      {},
      '/v1/messages/count_tokens',
    );
    expect(count.status).toBe(200);
  });

  it("counts this month only, and only the user's own usage", async () => {
    const proxy = await startProxy({ budget: { monthlyUsdLimit: 5 } });
    const sbx = newSandbox();
    const other = newSandbox();
    await spend(sbx.userId, 100, Date.UTC(2025, 4, 31, 23, 59)); // May
    await spend(sbx.userId, 4.99);
    await spend(other.userId, 100);
    upstream.script([{ text: 'still fine', usage: USAGE }]);
    const res = await post(proxy.url, mainBody('hi'), { 'x-api-key': sbx.token });
    expect(res.status).toBe(200);
    await res.text();
  });

  it('refuses the request after the one that spent the budget', async () => {
    const limit = costOf(USAGE) * 1.5;
    const proxy = await startProxy({ budget: { monthlyUsdLimit: limit } });
    const sbx = newSandbox();
    upstream.script([
      { text: 'one', usage: USAGE },
      { text: 'two', usage: USAGE },
      { text: 'three', usage: USAGE },
    ]);
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await post(proxy.url, mainBody('hi'), { 'x-api-key': sbx.token });
      statuses.push(res.status);
      await res.arrayBuffer();
    }
    // The second starts below the limit and may overshoot it (a soft limit); the third is refused.
    expect(statuses).toEqual([200, 200, 402]);
    expect((await usageRows(sbx.userId)).responses).toBe(2);
  });

  it('refuses everything with a budget of 0', async () => {
    const proxy = await startProxy({ budget: { monthlyUsdLimit: 0 } });
    const sbx = newSandbox();
    expect((await post(proxy.url, mainBody('hi'), { 'x-api-key': sbx.token })).status).toBe(402);
  });
});

describe('model proxy: faults', () => {
  it('answers 502 in the Anthropic format when the upstream is down', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));

    const proxy = await startProxy({ upstreamUrl: `http://127.0.0.1:${port}` });
    const sbx = newSandbox();
    const res = await post(proxy.url, mainBody('hi'), { 'x-api-key': sbx.token });
    expect(res.status).toBe(502);
    const body = await res.json();
    expect(body.type).toBe('error');
    expect(body.error.type).toBe('api_error');
    expect(body.error.message).toMatch(/could not be reached \(ECONNREFUSED\)/);
    // An outage may pass: this one the client should retry.
    expect(res.headers.get('x-should-retry')).toBe('true');
  });

  it('answers 413 for a body over the limit, declared or streamed, forwarding nothing', async () => {
    const proxy = await startProxy({ maxRequestBytes: 1024 });
    const sbx = newSandbox();
    const big = mainBody('x'.repeat(4096));
    const declared = await post(proxy.url, big, { 'x-api-key': sbx.token });
    expect(declared.status).toBe(413);
    expect((await declared.json()).error.type).toBe('request_too_large');

    // Chunked: no content-length, so the limit is found while streaming.
    const bytes = new TextEncoder().encode(JSON.stringify(big));
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let at = 0; at < bytes.length; at += 512) controller.enqueue(bytes.slice(at, at + 512));
        controller.close();
      },
    });
    const chunked = await fetch(`${proxy.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': sbx.token },
      body,
      duplex: 'half',
    } as RequestInit);
    expect(chunked.status).toBe(413);
    expect(upstream.allRequests).toHaveLength(0);

    // A body under the limit still streams through chunked.
    upstream.script([{ text: 'ok' }]);
    const small = new TextEncoder().encode(JSON.stringify(mainBody('s', { stream: false })));
    const ok = await fetch(`${proxy.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': sbx.token },
      body: new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(small.slice(0, 50));
          controller.enqueue(small.slice(50));
          controller.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    expect(ok.status).toBe(200);
    expect(upstream.allRequests).toHaveLength(1);
  });

  it('listens on 127.0.0.1 by default', async () => {
    const proxy = createModelProxy({ upstreamUrl: upstream.url, upstreamApiKey: REAL_KEY, tokens, store, log });
    try {
      expect(await proxy.listen()).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const res = await fetch(`${proxy.url}/v1/models`, { headers: { 'x-api-key': newSandbox().token } });
      expect(res.status).toBe(200);
    } finally {
      await proxy.close();
    }
    expect(() => proxy.url).toThrow(/not listening/);
  });
});

// ---------------------------------------------------------------------------------------------
// The real Claude Code CLI, through the real Agent SDK, with only a sandbox token.

function tempDir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), `model-proxy-${prefix}-`));
  dirs.push(d);
  return d;
}

/** See test/fixtures/scripted-model.int.test.ts for why each variable is set. */
function sdkOptions(proxyUrl: string, token: string): Options {
  const env: Record<string, string | undefined> = {
    ...process.env,
    ANTHROPIC_BASE_URL: proxyUrl,
    ANTHROPIC_API_KEY: token,
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    IS_SANDBOX: '1',
    CLAUDE_CONFIG_DIR: tempDir('config'),
    CLAUDE_CODE_TMPDIR: tempDir('tmp'),
  };
  // The runner's own credentials must not reach the CLI; the token is all it gets.
  delete env['ANTHROPIC_AUTH_TOKEN'];
  return {
    cwd: tempDir('cwd'),
    env,
    model: MODEL,
    permissionMode: 'bypassPermissions',
    allowDangerouslySkipPermissions: true,
  };
}

/** With a string prompt the SDK yields an error result and then throws; keep what came before. */
async function collect(prompt: string, options: Options): Promise<{ messages: SDKMessage[]; thrown: unknown }> {
  const messages: SDKMessage[] = [];
  try {
    for await (const m of query({ prompt, options })) messages.push(m);
    return { messages, thrown: null };
  } catch (e) {
    return { messages, thrown: e };
  }
}

describe('model proxy: the real Claude Code CLI', () => {
  it('completes a turn with a tool call through the proxy, metered exactly per response', async () => {
    const proxy = await startProxy({ budget: { monthlyUsdLimit: 100 } });
    const sbx = newSandbox();
    const first = {
      input_tokens: 1500,
      output_tokens: 40,
      cache_read_input_tokens: 0,
      cache_creation_input_tokens: 1400,
    };
    const second = {
      input_tokens: 60,
      output_tokens: 9,
      cache_read_input_tokens: 1400,
      cache_creation_input_tokens: 0,
    };
    upstream.script([
      { text: 'Let me compute that.', toolUse: [{ name: 'Bash', input: { command: 'echo $((6*7))' } }], usage: first },
      {
        text: 'The answer is 42.',
        usage: second,
        expect: (req) => {
          expect(toolResults(req)[0]?.text).toContain('42');
        },
      },
    ]);

    const { messages, thrown } = await collect('What is 6*7?', sdkOptions(proxy.url, sbx.token));
    expect(thrown).toBeNull();
    const init = messages.find((m) => m.type === 'system' && m.subtype === 'init');
    const result = messages.find((m) => m.type === 'result');
    expect(result?.type === 'result' && result.is_error).toBe(false);
    if (result?.type === 'result' && result.subtype === 'success') expect(result.result).toBe('The answer is 42.');
    expect(upstream.failures).toEqual([]);

    // Every request arrived upstream with the real key, none with the token.
    expect(upstream.allRequests.length).toBeGreaterThanOrEqual(2);
    for (const r of upstream.allRequests) expect(r.auth.fingerprint).toBe(keyFingerprint(REAL_KEY));
    expect(JSON.stringify(upstream.allRequests)).not.toContain(sbx.token);
    // Claude Code names its session in a header; the proxy records it with the usage.
    expect(upstream.requests[0]?.headers['x-claude-code-session-id']).toBe(init?.session_id);

    await proxy.idle();
    const sum = (k: keyof Usage) => first[k] + second[k];
    const totals = await usageRows(sbx.userId);
    expect(totals).toEqual({
      inputTokens: sum('input_tokens'),
      outputTokens: sum('output_tokens'),
      cacheReadTokens: sum('cache_read_input_tokens'),
      cacheCreationTokens: sum('cache_creation_input_tokens'),
      responses: 2,
      costUsd: expect.closeTo(costOf(first) + costOf(second), 12),
    });
    // The SDK's own count of the turn agrees with the proxy's.
    expect(result?.type === 'result' && result.usage).toMatchObject({
      input_tokens: totals.inputTokens,
      output_tokens: totals.outputTokens,
      cache_read_input_tokens: totals.cacheReadTokens,
      cache_creation_input_tokens: totals.cacheCreationTokens,
    });
    const recorded = logs.filter((l) => l.msg === 'model proxy: usage').map((l) => l.fields?.['claudeSessionId']);
    expect(recorded).toEqual([init?.session_id, init?.session_id]);
    const logged = JSON.stringify(logs);
    expect(logged).not.toContain(sbx.token);
    expect(logged).not.toContain(REAL_KEY);
  });

  it('with a spent budget, the turn ends at once with the budget message in the result and the assistant text', async () => {
    const proxy = await startProxy({ budget: { monthlyUsdLimit: 1 } });
    const sbx = newSandbox();
    await store.recordUsage({
      id: randomUUID(),
      userId: sbx.userId,
      claudeSessionId: null,
      model: MODEL,
      inputTokens: 100_000,
      outputTokens: 50_000,
      cacheReadTokens: 0,
      cacheCreationTokens: 0,
      costUsd: 1.05,
      at: NOW - 60_000,
    });
    const started = performance.now();
    const { messages, thrown } = await collect('Hello?', sdkOptions(proxy.url, sbx.token));
    const elapsedMs = performance.now() - started;

    const expected =
      'Your monthly budget of $1.00 on Agent Platform is spent ($1.05 used since 2025-06-01), so Claude cannot ' +
      'answer until it resets on 2025-07-01 (UTC). To continue now, raise the limit (MONTHLY_BUDGET_USD in the ' +
      'runner settings) or ask your administrator to.';
    const assistant = messages.find((m) => m.type === 'assistant');
    const text =
      assistant?.type === 'assistant'
        ? assistant.message.content.map((b) => (b.type === 'text' ? b.text : '')).join('')
        : '';
    expect(text).toBe(`API Error: 402 ${expected}`);
    const result = messages.find((m) => m.type === 'result');
    expect(result?.type).toBe('result');
    if (result?.type !== 'result') return;
    // Claude Code reports API errors as subtype 'success' with is_error set and the status alongside.
    expect(result.subtype).toBe('success');
    expect(result.is_error).toBe(true);
    if (result.subtype === 'success') {
      expect(result.api_error_status).toBe(402);
      expect(result.result).toBe(`API Error: 402 ${expected}`);
    }
    expect(String(thrown)).toContain(expected);

    // One request, not retried, nothing forwarded, nothing recorded.
    expect(proxyHits.filter((h) => h.url.startsWith('/v1/messages'))).toHaveLength(1);
    expect(elapsedMs).toBeLessThan(15_000);
    expect(upstream.allRequests).toHaveLength(0);
    await proxy.idle();
    expect((await usageRows(sbx.userId)).responses).toBe(1);
  });
});
