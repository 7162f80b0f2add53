import { createHmac, timingSafeEqual } from 'node:crypto';
import type { LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import type { RunFinishedEvent } from '@agent-platform/core/protocol';
import { type LookupAll, resolveWebhookTarget, WebhookTargetRefused } from './address-guard.js';

/**
 * Run webhooks.
 *
 * Each post is `POST <webhookUrl>` with a JSON body (`WebhookPayload`) and these headers:
 *
 * - `content-type: application/json`
 * - `user-agent: AgentPlatform-Webhook/1`
 * - `x-agent-platform-event: run.finished`
 * - `x-agent-platform-delivery: <run id>`: the same on every retry of one delivery, so a receiver
 *   that sees it twice can drop the repeat.
 * - `x-agent-platform-signature: t=<unix seconds>,v1=<hex>`
 *
 * How to verify a post (what `verifyWebhookSignature` does): take `t` and every `v1` from the
 * signature header; compute HMAC-SHA256 with the agent's webhook secret (the string shown once when
 * the webhook was set, used as UTF-8 bytes) over `<t>.<raw body>` (the body's bytes exactly as
 * received, before any JSON parsing); hex-encode it and compare it with a `v1` in constant time.
 * Refuse the post when `t` is more than 5 minutes away from your clock (a replayed old post). Each
 * retry is signed again with a fresh `t`.
 *
 * Answer with any 2xx to accept. Network errors, timeouts (10 s), 5xx and 429 are retried with
 * exponential backoff (429 and 503 honour `Retry-After`); other answers, redirects included (they
 * are not followed), end the delivery.
 */

export const WEBHOOK_USER_AGENT = 'AgentPlatform-Webhook/1';
export const WebhookHeaders = {
  event: 'x-agent-platform-event',
  delivery: 'x-agent-platform-delivery',
  signature: 'x-agent-platform-signature',
} as const;

/** A signature whose `t` is further than this from the receiver's clock is refused. */
export const WEBHOOK_TOLERANCE_SEC = 5 * 60;
/** The run's result text is cut to this many characters in the payload (the run page has it all). */
export const WEBHOOK_RESULT_CHARS = 4000;
/** Files listed in the payload, in the run's order (largest changes first). */
export const WEBHOOK_FILES = 100;

/** The JSON body of a run webhook (version 1). */
export interface WebhookPayload {
  v: 1;
  type: 'run.finished';
  /** Equals the `x-agent-platform-delivery` header. */
  deliveryId: string;
  run: {
    id: string;
    status: RunFinishedEvent['run']['status'];
    /** One of the platform's reason codes (TIMEOUT, OVERLAP, …) or an error's text; null on success. */
    reason: string | null;
    trigger: RunFinishedEvent['run']['trigger'];
    attempt: number;
    scheduledFor: number | null;
    queuedAt: number;
    startedAt: number | null;
    endedAt: number | null;
    durationMs: number | null;
    /** The agent's final answer, cut to WEBHOOK_RESULT_CHARS characters. */
    result: string | null;
    resultTruncated: boolean;
    costUsd: number;
    tokens: RunFinishedEvent['run']['tokens'];
    /** At most WEBHOOK_FILES of them; `filesTotal` says how many the run changed. */
    files: { path: string; bytes: number; changeKind: string }[];
    filesTotal: number;
    /** The run's page in the app, relative to the app's origin. */
    link: string;
  };
  agent: { id: string; name: string };
}

export function webhookPayload(event: RunFinishedEvent): WebhookPayload {
  const r = event.run;
  const result = r.result === null ? null : r.result.slice(0, WEBHOOK_RESULT_CHARS);
  return {
    v: 1,
    type: 'run.finished',
    deliveryId: r.id,
    run: {
      id: r.id,
      status: r.status,
      reason: r.reason,
      trigger: r.trigger,
      attempt: r.attempt,
      scheduledFor: r.scheduledFor,
      queuedAt: r.queuedAt,
      startedAt: r.startedAt,
      endedAt: r.endedAt,
      durationMs: r.durationMs,
      result,
      resultTruncated: r.result !== null && r.result.length > WEBHOOK_RESULT_CHARS,
      costUsd: r.costUsd,
      tokens: r.tokens,
      files: r.files.slice(0, WEBHOOK_FILES).map((f) => ({ path: f.path, bytes: f.bytes, changeKind: f.changeKind })),
      filesTotal: r.files.length,
      link: `/runs/${encodeURIComponent(r.id)}`,
    },
    agent: { id: r.agentId, name: event.agentName },
  };
}

const hmacHex = (secret: string, timestampSec: number, body: string): string =>
  createHmac('sha256', secret).update(`${timestampSec}.${body}`).digest('hex');

/** The `x-agent-platform-signature` header value for a body sent at `timestampSec` (unix seconds). */
export function signWebhook(secret: string, timestampSec: number, body: string): string {
  return `t=${timestampSec},v1=${hmacHex(secret, timestampSec, body)}`;
}

/**
 * True when the header signs exactly this raw body with this secret and its time is within
 * `toleranceSec` (default 5 minutes) of `nowSec`. What a receiver should do; see the scheme above.
 */
export function verifyWebhookSignature(
  secret: string,
  header: string | null | undefined,
  body: string,
  nowSec: number,
  toleranceSec: number = WEBHOOK_TOLERANCE_SEC,
): boolean {
  if (!header) return false;
  let t: number | null = null;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't' && /^\d{1,12}$/.test(value)) t = Number(value);
    else if (key === 'v1' && /^[0-9a-f]{64}$/.test(value)) signatures.push(value);
  }
  if (t === null || signatures.length === 0 || Math.abs(nowSec - t) > toleranceSec) return false;
  const expected = Buffer.from(hmacHex(secret, t, body), 'hex');
  return signatures.some((s) => timingSafeEqual(Buffer.from(s, 'hex'), expected));
}

/** What a delivery needs of an HTTP client: `fetch` fits. */
export type WebhookFetch = (
  url: string,
  init: {
    method: 'POST';
    headers: Record<string, string>;
    body: string;
    redirect: 'manual';
    signal: AbortSignal;
  },
) => Promise<{
  status: number;
  headers: { get(name: string): string | null };
  body?: { cancel(): Promise<void> } | null;
}>;

export interface DeliverWebhookOptions {
  url: string;
  secret: string;
  payload: WebhookPayload;
  /** True: loopback and private addresses may be posted to (local one-machine mode, tests). */
  allowPrivateNetworks: boolean;
  /** Tries in all, the first included. Default 5. */
  maxAttempts?: number | undefined;
  /** Each try is aborted after this long. Default 10_000. */
  attemptTimeoutMs?: number | undefined;
  /** Wait before the second try; doubles with each try, with jitter. Default 1000. */
  baseBackoffMs?: number | undefined;
  /** Cap of one wait, a receiver's Retry-After included. Default 60_000. */
  maxBackoffMs?: number | undefined;
  /** Waits between tries. Default: real timers (tests pass one that returns at once). */
  sleep?: ((ms: number) => Promise<void>) | undefined;
  /** For the signature's `t`, in ms. Default Date.now. */
  now?: (() => number) | undefined;
  /**
   * The HTTP client. Default: node:http(s) with the connection pinned to the addresses that passed
   * the address check, so a second DNS answer (rebinding) cannot send the post elsewhere. A given
   * fetch resolves the name again by itself: the check still runs first, but nothing is pinned.
   */
  fetch?: WebhookFetch | undefined;
  /** Resolves the host for the address check (and the pinned connection). Default node:dns. */
  lookup?: LookupAll | undefined;
  /** Jitter source in [0, 1). Default Math.random. */
  random?: (() => number) | undefined;
  /**
   * Cancels the delivery (the process is stopping): the try in flight is aborted, no other starts,
   * and deliverWebhook rejects with the signal's reason, so the caller can leave the event for later.
   */
  signal?: AbortSignal | undefined;
}

export type WebhookOutcome =
  | { ok: true; attempts: number; status: number }
  | {
      ok: false;
      attempts: number;
      /** The last HTTP status; null when no answer came (network error, timeout, refused target). */
      status: number | null;
      /** Why it ended, for the log: never contains the secret or the URL's path. */
      error: string;
    };

const realSleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A Retry-After header in ms (delta-seconds or an HTTP date); null when absent or unreadable. */
export function retryAfterMs(value: string | null, nowMs: number): number | null {
  if (!value) return null;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? null : Math.max(0, at - nowMs);
}

const errorText = (e: unknown): string => {
  if (!(e instanceof Error)) return String(e);
  const code = (e as { code?: unknown }).code;
  const cause = e.cause instanceof Error ? `: ${e.cause.message}` : '';
  return `${e.name}${typeof code === 'string' ? ` ${code}` : ''}: ${e.message}${cause}`;
};

/**
 * Posts the payload, signed, retrying what may succeed later. Never throws for the receiver's or the
 * network's failures: the outcome says how it went. Rejects only when `signal` cancels it.
 */
export async function deliverWebhook(opts: DeliverWebhookOptions): Promise<WebhookOutcome> {
  const maxAttempts = Math.max(1, opts.maxAttempts ?? 5);
  const attemptTimeoutMs = opts.attemptTimeoutMs ?? 10_000;
  const baseBackoffMs = opts.baseBackoffMs ?? 1000;
  const maxBackoffMs = opts.maxBackoffMs ?? 60_000;
  const sleep = opts.sleep ?? realSleep;
  const now = opts.now ?? Date.now;
  const random = opts.random ?? Math.random;
  const body = JSON.stringify(opts.payload);

  let url: URL;
  try {
    url = new URL(opts.url);
  } catch {
    return { ok: false, attempts: 0, status: null, error: 'The webhook URL is not a valid URL.' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return { ok: false, attempts: 0, status: null, error: `Webhook URLs must be http or https, not ${url.protocol}` };
  }

  let status: number | null = null;
  let error = '';
  const cancel = opts.signal;
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    cancel?.throwIfAborted();
    let retryAfter: number | null = null;
    try {
      // Resolved again on each try: a name that moved to a refused address is refused at once.
      const addresses = await resolveWebhookTarget(url, {
        allowPrivateNetworks: opts.allowPrivateNetworks,
        lookup: opts.lookup,
      });
      const fetch = opts.fetch ?? pinnedFetch(addresses);
      const headers = {
        'content-type': 'application/json',
        'user-agent': WEBHOOK_USER_AGENT,
        [WebhookHeaders.event]: opts.payload.type,
        [WebhookHeaders.delivery]: opts.payload.deliveryId,
        [WebhookHeaders.signature]: signWebhook(opts.secret, Math.floor(now() / 1000), body),
      };
      const res = await fetch(url.href, {
        method: 'POST',
        headers,
        body,
        redirect: 'manual',
        signal: cancel
          ? AbortSignal.any([cancel, AbortSignal.timeout(attemptTimeoutMs)])
          : AbortSignal.timeout(attemptTimeoutMs),
      });
      await res.body?.cancel().catch(() => undefined); // the answer's body is not used
      status = res.status;
      if (status >= 200 && status < 300) return { ok: true, attempts: attempt, status };
      if (status !== 429 && status < 500) {
        const what = status >= 300 && status < 400 ? 'a redirect (redirects are not followed)' : `HTTP ${status}`;
        return { ok: false, attempts: attempt, status, error: `The receiver answered ${what}.` };
      }
      error = `The receiver answered HTTP ${status}.`;
      retryAfter = retryAfterMs(res.headers.get('retry-after'), now());
    } catch (e) {
      cancel?.throwIfAborted();
      if (e instanceof WebhookTargetRefused) return { ok: false, attempts: attempt, status: null, error: e.message };
      status = null;
      error =
        e instanceof Error && (e.name === 'TimeoutError' || e.name === 'AbortError')
          ? `No answer within ${attemptTimeoutMs} ms.`
          : errorText(e);
    }
    if (attempt < maxAttempts) {
      const backoff = Math.min(maxBackoffMs, baseBackoffMs * 2 ** (attempt - 1));
      // Half fixed, half random: receivers that failed together do not get retried together.
      const jittered = Math.round(backoff / 2 + (random() * backoff) / 2);
      const waitMs = retryAfter === null ? jittered : Math.min(maxBackoffMs, Math.max(retryAfter, jittered));
      await untilAborted(sleep(waitMs), cancel);
    }
  }
  return { ok: false, attempts: maxAttempts, status, error };
}

/** The promise, or the signal's reason as soon as it is aborted. */
function untilAborted(p: Promise<void>, signal: AbortSignal | undefined): Promise<void> {
  if (!signal) return p;
  return new Promise<void>((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

/** A lookup that answers only the given addresses, whatever name is asked. */
function pinnedLookup(addresses: LookupAddress[]): LookupFunction {
  return (_hostname, options, callback) => {
    const wanted = options.family === 4 || options.family === 6 ? options.family : 0;
    const list = wanted ? addresses.filter((a) => a.family === wanted) : addresses;
    const first = list[0];
    if (!first) {
      const err = Object.assign(new Error(`No IPv${wanted} address was checked for this host.`), {
        code: 'ENOTFOUND',
      });
      callback(err, '', 0);
      return;
    }
    if (options.all) (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, list);
    else callback(null, first.address, first.family);
  };
}

/**
 * A minimal fetch over node:http(s) whose connection can only go to `addresses` (the ones the
 * address check passed). TLS still checks the certificate against the URL's host name. Redirects
 * are never followed (node:http does not follow them).
 */
function pinnedFetch(addresses: LookupAddress[]): WebhookFetch {
  return (href, init) =>
    new Promise((resolve, reject) => {
      const url = new URL(href);
      const client = url.protocol === 'https:' ? https : http;
      const req = client.request(
        url,
        {
          method: init.method,
          headers: { ...init.headers, 'content-length': String(Buffer.byteLength(init.body)) },
          signal: init.signal,
          lookup: pinnedLookup(addresses),
          // A fresh connection per post: a pooled socket might have been made with another pin.
          agent: false,
        },
        (res) => {
          // The answer's body is drained and dropped; an abort while draining is nobody's business.
          res.on('error', () => undefined);
          res.resume();
          const headers = new Headers();
          for (const [k, v] of Object.entries(res.headers)) {
            if (typeof v === 'string') headers.set(k, v);
            else if (Array.isArray(v)) for (const x of v) headers.append(k, x);
          }
          resolve({ status: res.statusCode ?? 0, headers, body: null });
        },
      );
      req.on('error', reject);
      req.end(init.body);
    });
}
