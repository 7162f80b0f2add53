/**
 * The model proxy: sandboxes use it as their `ANTHROPIC_BASE_URL`, with an opaque per-sandbox token
 * as their API key, so the real credential never enters a sandbox (DESIGN.md §6). For each request
 * it maps the token to its user, checks the user's monthly budget, swaps in the real credential,
 * streams the request to the upstream API and the answer back unchanged, and meters the answer's
 * `usage` into the Store.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { pipeline, Transform } from 'node:stream';
import { AppError, type ErrorCode, isAppError } from '@agent-platform/core/errors';
import { type Clock, type Store, systemClock, type UsageRecord } from '@agent-platform/core/ports';
import type { Logger } from '../log.js';
import { budgetExceeded, monthUtc } from './budget.js';
import { costUsd, defaultPricing, type PricingTable, priceOf } from './pricing.js';
import type { SandboxIdentity, SandboxTokens } from './tokens.js';
import { JsonUsageMeter, SseUsageMeter, type UsageMeter } from './usage-meter.js';

export interface ModelProxyOptions {
  /** Base URL of the real Messages API (the runner's ANTHROPIC_BASE_URL); a path prefix is kept. */
  upstreamUrl: string;
  /** Sent upstream as `x-api-key`. At most one of the two credentials; with neither, none is sent (a local gateway). */
  upstreamApiKey?: string | undefined;
  /** Sent upstream as `Authorization: Bearer`. */
  upstreamAuthToken?: string | undefined;
  tokens: SandboxTokens;
  store: Pick<Store, 'recordUsage' | 'usageSince'>;
  /** Dates usage records and picks the budget month. Default: the system clock. */
  clock?: Clock;
  log: Logger;
  /**
   * `monthlyUsdLimit`: per user and calendar month (UTC); unset means no limit, 0 refuses every
   * request. A soft limit: requests already under way when it is reached still finish.
   */
  budget?: { monthlyUsdLimit?: number | undefined };
  /** Default: Anthropic's list prices (see pricing.ts). */
  pricing?: PricingTable;
  /** Larger request bodies get a 413. Default 32 MiB (Claude Code sends 40 KB to a few MB). */
  maxRequestBytes?: number;
}

export interface ModelProxy {
  /** The request listener, for mounting on a server of one's own instead of `listen`. */
  readonly handle: http.RequestListener;
  /** Starts a server of its own. Defaults: a free port on 127.0.0.1. Resolves to the base URL. */
  listen(port?: number, host?: string): Promise<string>;
  /** Base URL for a sandbox's ANTHROPIC_BASE_URL; throws before `listen`. */
  readonly url: string;
  /** Resolves once every request under way has ended and its usage is stored. */
  idle(): Promise<void>;
  /** Stops listening, cuts open connections, and waits for their usage to be stored. */
  close(): Promise<void>;
}

type Route = 'messages' | 'count_tokens' | 'models';

/** The codes this proxy answers with, and the Anthropic error type each becomes on the wire. */
const WIRE_TYPE = {
  UNAUTHENTICATED: 'authentication_error',
  NOT_FOUND: 'not_found_error',
  PAYLOAD_TOO_LARGE: 'request_too_large',
  BUDGET_EXCEEDED: 'billing_error',
  MODEL_UPSTREAM_UNREACHABLE: 'api_error',
  INTERNAL: 'api_error',
} as const satisfies Partial<Record<ErrorCode, string>>;
type ProxyErrorCode = keyof typeof WIRE_TYPE;
type ProxyError = AppError & { code: ProxyErrorCode };

const isProxyError = (e: unknown): e is ProxyError => isAppError(e) && e.code in WIRE_TYPE;
const proxyError = (code: ProxyErrorCode, message: string, details?: Record<string, unknown>): ProxyError =>
  new AppError(code, message, details) as ProxyError;

// Only an outage is worth retrying; everything else would be refused again. Claude Code retries a
// plain 429 for minutes, and a 400 several times over with features stripped, unless told not to.
const RETRYABLE: ReadonlySet<ProxyErrorCode> = new Set(['MODEL_UPSTREAM_UNREACHABLE', 'INTERNAL']);

// RFC 9110 §7.6.1: meaningful for one connection only, never forwarded.
const HOP_BY_HOP = [
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
];

// The caller's credential never goes upstream. accept-encoding is replaced by identity so the
// answer arrives uncompressed and its usage can be read as it passes; `expect` is answered here.
const NOT_FORWARDED_UP = new Set([...HOP_BY_HOP, 'host', 'x-api-key', 'authorization', 'accept-encoding', 'expect']);

const SESSION_HEADER = 'x-claude-code-session-id';
const SESSION_ID = /^[A-Za-z0-9._:-]{1,200}$/;
const MODEL_ID = /^\/v1\/models\/[A-Za-z0-9._:@-]+$/;

function routeOf(method: string, path: string): Route | null {
  if (path === '/v1/messages') return method === 'POST' ? 'messages' : null;
  if (path === '/v1/messages/count_tokens') return method === 'POST' ? 'count_tokens' : null;
  if (path === '/v1/models' || MODEL_ID.test(path)) return method === 'GET' ? 'models' : null;
  return null;
}

/** The token a sandbox authenticates with: `x-api-key` (ANTHROPIC_API_KEY) or a bearer (ANTHROPIC_AUTH_TOKEN). */
function callerToken(req: http.IncomingMessage): string | null {
  const key = req.headers['x-api-key'];
  if (typeof key === 'string' && key.trim()) return key.trim();
  return /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '')?.[1] ?? null;
}

/** Header names a `Connection` header lists are hop-by-hop too. */
function connectionListed(value: string | string[] | undefined): string[] {
  const joined = Array.isArray(value) ? value.join(',') : (value ?? '');
  return joined
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
}

function copyHeaders(
  from: http.IncomingHttpHeaders,
  drop: ReadonlySet<string>,
): Record<string, string | string[] | number> {
  const listed = new Set(connectionListed(from.connection));
  const out: Record<string, string | string[] | number> = {};
  for (const [name, value] of Object.entries(from)) {
    if (value === undefined || drop.has(name) || listed.has(name)) continue;
    out[name] = value;
  }
  return out;
}

const RESPONSE_DROP = new Set(HOP_BY_HOP);

function upstreamCredential(o: ModelProxyOptions): Record<string, string> {
  if (o.upstreamApiKey && o.upstreamAuthToken) {
    throw new RangeError('createModelProxy: give upstreamApiKey or upstreamAuthToken, not both.');
  }
  if (o.upstreamApiKey) return { 'x-api-key': o.upstreamApiKey };
  if (o.upstreamAuthToken) return { authorization: `Bearer ${o.upstreamAuthToken}` };
  return {};
}

export function createModelProxy(o: ModelProxyOptions): ModelProxy {
  const clock = o.clock ?? systemClock;
  const log = o.log;
  const pricing = o.pricing ?? defaultPricing;
  const maxRequestBytes = o.maxRequestBytes ?? 32 * 1024 * 1024;
  const limitUsd = o.budget?.monthlyUsdLimit;
  if (limitUsd !== undefined && !(Number.isFinite(limitUsd) && limitUsd >= 0)) {
    throw new RangeError(`createModelProxy: budget.monthlyUsdLimit must be a finite number >= 0, got ${limitUsd}.`);
  }
  const credential = upstreamCredential(o);
  const upstream = new URL(o.upstreamUrl);
  if (upstream.protocol !== 'http:' && upstream.protocol !== 'https:') {
    throw new RangeError(`createModelProxy: upstreamUrl must be http(s), got ${upstream.protocol}`);
  }
  const basePath = upstream.pathname.replace(/\/+$/, '');
  const transport = upstream.protocol === 'https:' ? https : http;
  // Keep-alive to the upstream saves a TLS handshake per model call.
  const agent =
    upstream.protocol === 'https:' ? new https.Agent({ keepAlive: true }) : new http.Agent({ keepAlive: true });

  const inFlight = new Set<Promise<void>>();
  const warnedModels = new Set<string>();
  let server: http.Server | null = null;
  let baseUrl: string | null = null;

  function sendError(res: http.ServerResponse, err: unknown, requestId: string): void {
    let e: ProxyError;
    if (isProxyError(err)) e = err;
    else {
      log.error('model proxy: unexpected failure', { requestId, error: err });
      e = proxyError('INTERNAL', `The model proxy failed unexpectedly (request ${requestId}); try again.`);
    }
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (res.destroyed) return;
    const body = JSON.stringify({ type: 'error', error: { type: WIRE_TYPE[e.code], message: e.message } });
    res.writeHead(e.status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
      'request-id': requestId,
      'x-should-retry': String(RETRYABLE.has(e.code)),
    });
    res.end(body);
  }

  async function record(who: SandboxIdentity, claudeSessionId: string | null, meter: UsageMeter, requestId: string) {
    const used = meter.result();
    if (!used) {
      // An answer cut before `message_start`, or a gateway that sends no usage.
      log.warn('model proxy: a response ended without usage; nothing is metered for it', { requestId, ...who });
      return;
    }
    const model = used.model ?? 'unknown';
    if (!priceOf(model, pricing).known && !warnedModels.has(model)) {
      warnedModels.add(model);
      log.warn('model proxy: no price for this model; metering it at the fallback price', { model });
    }
    const usage: UsageRecord = {
      id: randomUUID(),
      userId: who.userId,
      claudeSessionId,
      model,
      inputTokens: used.inputTokens,
      outputTokens: used.outputTokens,
      cacheReadTokens: used.cacheReadTokens,
      cacheCreationTokens: used.cacheCreationTokens,
      costUsd: costUsd(model, used, pricing),
      at: Math.trunc(clock.now()),
    };
    try {
      await o.store.recordUsage(usage);
      log.debug('model proxy: usage', { requestId, sandboxId: who.sandboxId, ...usage });
    } catch (err) {
      // The answer has reached the user already; all that is left is to keep the numbers where an
      // operator can add them by hand.
      log.error('model proxy: could not store usage', { requestId, usage, error: err });
    }
  }

  function forward(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    who: SandboxIdentity,
    route: Route,
    url: URL,
    requestId: string,
  ): Promise<void> {
    return new Promise<void>((resolve) => {
      const startedMs = performance.now();
      const rawSession = req.headers[SESSION_HEADER];
      const claudeSessionId = typeof rawSession === 'string' && SESSION_ID.test(rawSession) ? rawSession : null;
      const target = new URL(basePath + url.pathname + url.search, upstream);
      const headers = { ...copyHeaders(req.headers, NOT_FORWARDED_UP), 'accept-encoding': 'identity', ...credential };
      const upReq = transport.request(target, { method: req.method, headers, agent });

      let settled = false;
      const settle = (status: number | string) => {
        if (settled) return;
        settled = true;
        log.debug('model proxy: request', {
          requestId,
          ...who,
          route,
          status,
          ms: Math.round(performance.now() - startedMs),
        });
        resolve();
      };

      // A client that hangs up (an interrupt) stops the upstream call, and with it the billing.
      res.on('close', () => {
        if (!res.writableFinished) upReq.destroy();
      });

      let gotResponse = false;
      upReq.on('error', (err) => {
        // Once a response is under way its pipeline reports the end; an answer already sent (a
        // 413) or a client gone leaves nothing to tell.
        if (gotResponse) return;
        if (res.headersSent || res.destroyed) {
          settle('aborted');
          return;
        }
        const cause = (err as NodeJS.ErrnoException).code ?? err.message;
        log.warn('model proxy: upstream unreachable', { requestId, upstream: upstream.origin, cause });
        // The upstream's address stays out of the message: it is the runner's business, not the sandbox's.
        sendError(
          res,
          proxyError('MODEL_UPSTREAM_UNREACHABLE', `The model API could not be reached (${cause}); try again shortly.`),
          requestId,
        );
        settle('upstream-unreachable');
      });
      upReq.on('close', () => {
        if (!gotResponse) settle('closed');
      });

      // The body streams through with backpressure; it is counted on the way because a chunked
      // upload declares no length up front.
      let received = 0;
      let refused = false;
      req.on('data', (chunk: Buffer) => {
        if (refused) return;
        received += chunk.length;
        if (received > maxRequestBytes) {
          refused = true;
          res.setHeader('connection', 'close');
          sendError(res, tooLarge(maxRequestBytes), requestId);
          upReq.destroy();
          return;
        }
        if (!upReq.write(chunk)) req.pause();
      });
      upReq.on('drain', () => req.resume());
      req.on('end', () => {
        if (!refused) upReq.end();
      });
      req.on('close', () => {
        if (!req.complete) upReq.destroy();
      });

      upReq.on('response', (up) => {
        gotResponse = true;
        const status = up.statusCode ?? 502;
        res.writeHead(status, copyHeaders(up.headers, RESPONSE_DROP));
        // A stream's status and headers go out now, not with its first event.
        res.flushHeaders();
        const sse = String(up.headers['content-type'] ?? '').startsWith('text/event-stream');
        const meter: UsageMeter | null =
          route === 'messages' && status >= 200 && status < 300
            ? sse
              ? new SseUsageMeter()
              : new JsonUsageMeter()
            : null;
        let recorded: Promise<void> | null = null;
        const recordOnce = () => {
          recorded ??= meter ? record(who, claudeSessionId, meter, requestId) : Promise.resolve();
          return recorded;
        };
        // A metered response is complete for the client only once its usage is stored, so the
        // budget check of the client's next request counts it. A stream's end (the last chunk
        // of a chunked body) is held in `flush`; a JSON body has a content-length and is complete
        // with its last byte, so its latest chunk is held back (nobody can use half a JSON body).
        const holdBack = meter !== null && !sse;
        let held: Buffer | null = null;
        const tap = new Transform({
          transform(chunk: Buffer, _enc, cb) {
            meter?.feed(chunk);
            if (!holdBack) {
              cb(null, chunk);
              return;
            }
            if (held) this.push(held);
            held = chunk;
            cb();
          },
          flush(cb) {
            void recordOnce().then(() => {
              if (held) this.push(held);
              cb();
            });
          },
        });
        pipeline(up, tap, res, (err) => {
          if (err) {
            log.info('model proxy: response cut short', { requestId, ...who, route, cause: err.message });
            upReq.destroy();
          }
          // A cut stream still used the tokens sent before the cut.
          void recordOnce().then(() => settle(status));
        });
      });
    });
  }

  async function serve(req: http.IncomingMessage, res: http.ServerResponse, requestId: string): Promise<void> {
    const who = o.tokens.resolve(callerToken(req));
    if (!who) {
      throw proxyError(
        'UNAUTHENTICATED',
        "This sandbox's model token is unknown or was revoked (its workspace was stopped or removed). " +
          'Send the message again to start the workspace with a fresh token.',
      );
    }
    const url = new URL(req.url ?? '/', 'http://model-proxy.invalid');
    const method = req.method ?? 'GET';
    const route = routeOf(method, url.pathname);
    if (!route) {
      throw proxyError(
        'NOT_FOUND',
        `The model proxy forwards POST /v1/messages, POST /v1/messages/count_tokens and GET /v1/models only, ` +
          `not ${method} ${url.pathname}.`,
      );
    }
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > maxRequestBytes) {
      res.setHeader('connection', 'close');
      throw tooLarge(maxRequestBytes);
    }
    if (route === 'messages' && limitUsd !== undefined) {
      const now = clock.now();
      const spent = (await o.store.usageSince(who.userId, monthUtc(now).startMs)).costUsd;
      if (spent >= limitUsd) {
        log.info('model proxy: budget spent, request refused', { requestId, ...who, limitUsd, spentUsd: spent });
        throw budgetExceeded(limitUsd, spent, now);
      }
    }
    await forward(req, res, who, route, url, requestId);
  }

  const handle: http.RequestListener = (req, res) => {
    const requestId = `req_proxy_${randomUUID()}`;
    const work: Promise<void> = serve(req, res, requestId)
      .catch((err: unknown) => sendError(res, err, requestId))
      .finally(() => inFlight.delete(work));
    inFlight.add(work);
  };

  async function idle(): Promise<void> {
    while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
  }

  return {
    handle,
    get url(): string {
      if (!baseUrl) throw new Error('The model proxy is not listening yet; call listen() first.');
      return baseUrl;
    },
    async listen(port = 0, host = '127.0.0.1'): Promise<string> {
      if (server) throw new Error('The model proxy is listening already.');
      const s = http.createServer(handle);
      server = s;
      try {
        await new Promise<void>((resolve, reject) => {
          s.once('error', reject);
          s.listen(port, host, () => {
            s.off('error', reject);
            resolve();
          });
        });
      } catch (e) {
        server = null;
        throw e;
      }
      const address = s.address() as AddressInfo;
      const h = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      baseUrl = `http://${h}:${address.port}`;
      return baseUrl;
    },
    idle,
    async close(): Promise<void> {
      const s = server;
      server = null;
      baseUrl = null;
      if (s) {
        const closed = new Promise<void>((resolve) => s.close(() => resolve()));
        // Claude Code keeps connections alive; without this close() waits for them to time out.
        s.closeAllConnections();
        await closed;
      }
      await idle();
      agent.destroy();
    },
  };
}

function tooLarge(maxBytes: number): ProxyError {
  return proxyError(
    'PAYLOAD_TOO_LARGE',
    `The request body is larger than the model proxy accepts (${maxBytes} bytes). ` +
      'Start a new conversation or attach smaller files.',
    { maxBytes },
  );
}
