import { afterEach, describe, expect, it } from 'vitest';
import { blockedRange, resolveWebhookTarget, WebhookTargetRefused } from './address-guard.js';
import { finishedRun, type ReceiverAnswer, startReceiver } from './test-receiver.js';
import {
  deliverWebhook,
  retryAfterMs,
  signWebhook,
  verifyWebhookSignature,
  WEBHOOK_FILES,
  WEBHOOK_RESULT_CHARS,
  type WebhookFetch,
  webhookPayload,
} from './webhook.js';

const SECRET = 'k9Qx7bVw2mZ4tL8rP1sN6yH3jF5dC0aE-_Ug';
const NOW_MS = Date.UTC(2026, 10, 23, 23, 2);
const NOW_SEC = NOW_MS / 1000;
const payload = webhookPayload({ v: 1, type: 'run.finished', run: finishedRun(), agentName: 'Weekly sales report' });

/** Records the waits instead of waiting them. */
const recordingSleep = () => {
  const waits: number[] = [];
  return { waits, sleep: async (ms: number) => void waits.push(ms) };
};

let receiver: Awaited<ReturnType<typeof startReceiver>> | undefined;
afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
});

const deliverTo = async (answers: ReceiverAnswer[], over: Partial<Parameters<typeof deliverWebhook>[0]> = {}) => {
  receiver = await startReceiver(answers);
  const { waits, sleep } = recordingSleep();
  const outcome = await deliverWebhook({
    url: receiver.url,
    secret: SECRET,
    payload,
    allowPrivateNetworks: true,
    sleep,
    now: () => NOW_MS,
    random: () => 0.5,
    ...over,
  });
  return { outcome, waits, posts: receiver.posts };
};

describe('signatures', () => {
  const body = JSON.stringify(payload);

  it('verifies what it signed, within five minutes', () => {
    const header = signWebhook(SECRET, NOW_SEC, body);
    expect(header).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(verifyWebhookSignature(SECRET, header, body, NOW_SEC)).toBe(true);
    expect(verifyWebhookSignature(SECRET, header, body, NOW_SEC + 300)).toBe(true);
    expect(verifyWebhookSignature(SECRET, header, body, NOW_SEC - 300)).toBe(true);
  });

  it('refuses a tampered body, another secret, an old or future time and a malformed header', () => {
    const header = signWebhook(SECRET, NOW_SEC, body);
    expect(verifyWebhookSignature(SECRET, header, body.replace('0.0421', '0.0001'), NOW_SEC)).toBe(false);
    expect(verifyWebhookSignature(`${SECRET}x`, header, body, NOW_SEC)).toBe(false);
    expect(verifyWebhookSignature(SECRET, header, body, NOW_SEC + 301)).toBe(false);
    expect(verifyWebhookSignature(SECRET, header, body, NOW_SEC - 301)).toBe(false);
    // The time is signed too: moving t to now does not revive an old signature.
    const replayed = header.replace(/^t=\d+/, `t=${NOW_SEC + 3600}`);
    expect(verifyWebhookSignature(SECRET, replayed, body, NOW_SEC + 3600)).toBe(false);
    for (const bad of [null, '', 'v1=abc', `t=${NOW_SEC}`, `t=x,${header.split(',')[1]}`]) {
      expect(verifyWebhookSignature(SECRET, bad, body, NOW_SEC)).toBe(false);
    }
  });

  it('accepts any of several v1 signatures (a receiver rotating secrets)', () => {
    const v1 = signWebhook(SECRET, NOW_SEC, body).split(',')[1];
    const header = `t=${NOW_SEC},v1=${'0'.repeat(64)},${v1}`;
    expect(verifyWebhookSignature(SECRET, header, body, NOW_SEC)).toBe(true);
  });

  it('is HMAC-SHA256 over "<t>.<body>", hex (a receiver can do it with any HMAC library)', async () => {
    const { createHmac } = await import('node:crypto');
    const expected = createHmac('sha256', SECRET).update(`${NOW_SEC}.${body}`).digest('hex');
    expect(signWebhook(SECRET, NOW_SEC, body)).toBe(`t=${NOW_SEC},v1=${expected}`);
  });
});

describe('the payload', () => {
  it('carries the run, the agent, a link, and cuts long results and file lists', () => {
    const files = Array.from({ length: WEBHOOK_FILES + 5 }, (_, i) => ({
      path: `out/${i}.csv`,
      bytes: i,
      changeKind: 'created' as const,
    }));
    const p = webhookPayload({
      v: 1,
      type: 'run.finished',
      run: finishedRun({ id: 'r/1', result: 'x'.repeat(WEBHOOK_RESULT_CHARS + 10), files }),
      agentName: '주간 매출',
    });
    expect(p).toMatchObject({
      v: 1,
      type: 'run.finished',
      deliveryId: 'r/1',
      agent: { id: 'agent-1', name: '주간 매출' },
      run: {
        id: 'r/1',
        status: 'succeeded',
        reason: null,
        costUsd: 0.0421,
        durationMs: 90_000,
        tokens: { inputTokens: 1200, outputTokens: 340 },
        resultTruncated: true,
        filesTotal: WEBHOOK_FILES + 5,
        link: '/runs/r%2F1',
      },
    });
    expect(p.run.result).toHaveLength(WEBHOOK_RESULT_CHARS);
    expect(p.run.files).toHaveLength(WEBHOOK_FILES);
    expect(p.run.files[0]).toEqual({ path: 'out/0.csv', bytes: 0, changeKind: 'created' });
    expect(webhookPayload({ v: 1, type: 'run.finished', run: finishedRun(), agentName: 'a' }).run.resultTruncated).toBe(
      false,
    );
  });
});

describe('deliverWebhook', () => {
  it('posts the signed body with its headers', async () => {
    const { outcome, posts } = await deliverTo([]);
    expect(outcome).toEqual({ ok: true, attempts: 1, status: 200 });
    expect(posts).toHaveLength(1);
    const post = posts[0]!;
    expect(post.method).toBe('POST');
    expect(post.url).toBe('/hook');
    expect(post.headers).toMatchObject({
      'content-type': 'application/json',
      'user-agent': 'AgentPlatform-Webhook/1',
      'x-agent-platform-event': 'run.finished',
      'x-agent-platform-delivery': 'run-1',
    });
    expect(post.headers['x-agent-platform-signature']).toMatch(new RegExp(`^t=${NOW_SEC},v1=[0-9a-f]{64}$`));
    expect(
      verifyWebhookSignature(SECRET, post.headers['x-agent-platform-signature'] as string, post.body, NOW_SEC),
    ).toBe(true);
    expect(JSON.parse(post.body)).toEqual(payload);
  });

  it('retries a 500 with growing waits, with the same delivery id, until it is accepted', async () => {
    const { outcome, waits, posts } = await deliverTo([{ status: 500 }, { status: 502 }]);
    expect(outcome).toEqual({ ok: true, attempts: 3, status: 200 });
    expect(posts).toHaveLength(3);
    // random() = 0.5: half of the backoff fixed, plus a quarter: 750 ms, then 1500 ms.
    expect(waits).toEqual([750, 1500]);
    expect(new Set(posts.map((p) => p.headers['x-agent-platform-delivery']))).toEqual(new Set(['run-1']));
    for (const p of posts) {
      expect(verifyWebhookSignature(SECRET, p.headers['x-agent-platform-signature'] as string, p.body, NOW_SEC)).toBe(
        true,
      );
    }
  });

  it('gives up after maxAttempts with the last status', async () => {
    const { outcome, waits, posts } = await deliverTo(
      [{ status: 503 }, { status: 503 }, { status: 503 }, { status: 503 }],
      { maxAttempts: 3, baseBackoffMs: 100, maxBackoffMs: 150 },
    );
    expect(outcome).toEqual({ ok: false, attempts: 3, status: 503, error: 'The receiver answered HTTP 503.' });
    expect(posts).toHaveLength(3);
    expect(waits).toEqual([75, 113]); // 0.75 of 100, then of the cap (150)
  });

  it('does not retry a 400 (nor other 4xx but 429)', async () => {
    const { outcome, waits, posts } = await deliverTo([{ status: 400 }]);
    expect(outcome).toEqual({ ok: false, attempts: 1, status: 400, error: 'The receiver answered HTTP 400.' });
    expect(posts).toHaveLength(1);
    expect(waits).toEqual([]);
  });

  it('honours Retry-After on 429 and 503, up to the cap', async () => {
    const { outcome, waits } = await deliverTo([
      { status: 429, headers: { 'retry-after': '7' } },
      { status: 503, headers: { 'retry-after': '3600' } },
    ]);
    expect(outcome).toEqual({ ok: true, attempts: 3, status: 200 });
    expect(waits).toEqual([7000, 60_000]);
  });

  it('reads Retry-After as seconds or an HTTP date', () => {
    expect(retryAfterMs('12', NOW_MS)).toBe(12_000);
    expect(retryAfterMs(new Date(NOW_MS + 30_000).toUTCString(), NOW_MS)).toBe(30_000);
    expect(retryAfterMs(new Date(NOW_MS - 30_000).toUTCString(), NOW_MS)).toBe(0);
    expect(retryAfterMs('soon', NOW_MS)).toBeNull();
    expect(retryAfterMs(null, NOW_MS)).toBeNull();
  });

  it('does not follow a redirect, nor retry it', async () => {
    const { outcome, posts } = await deliverTo([
      { status: 302, headers: { location: 'http://127.0.0.1:9/elsewhere' } },
    ]);
    expect(outcome).toEqual({
      ok: false,
      attempts: 1,
      status: 302,
      error: 'The receiver answered a redirect (redirects are not followed).',
    });
    expect(posts).toHaveLength(1);
  });

  it('retries a receiver that does not answer in time', async () => {
    const { outcome, posts } = await deliverTo(['hang', 'hang'], { maxAttempts: 2, attemptTimeoutMs: 100 });
    expect(outcome).toEqual({ ok: false, attempts: 2, status: null, error: 'No answer within 100 ms.' });
    expect(posts).toHaveLength(2);
  });

  it('retries network errors (nothing listening)', async () => {
    const closed = await startReceiver();
    const url = closed.url;
    await closed.close();
    const { waits, sleep } = recordingSleep();
    const outcome = await deliverWebhook({ url, secret: SECRET, payload, allowPrivateNetworks: true, sleep });
    expect(outcome).toMatchObject({ ok: false, attempts: 5, status: null });
    expect(!outcome.ok && outcome.error).toContain('ECONNREFUSED');
    expect(waits).toHaveLength(4);
  });

  it('stops when cancelled, between tries or during one, by rejecting with the reason', async () => {
    receiver = await startReceiver([{ status: 500 }, 'hang']);
    const cancel = new AbortController();
    const reason = new Error('stopping');
    const waiting = deliverWebhook({
      url: receiver.url,
      secret: SECRET,
      payload,
      allowPrivateNetworks: true,
      signal: cancel.signal,
      sleep: () => new Promise(() => {}), // a wait that never ends by itself
    });
    await receiver.waitFor(1);
    cancel.abort(reason);
    await expect(waiting).rejects.toBe(reason);
    expect(receiver.posts).toHaveLength(1);

    const cancel2 = new AbortController();
    const inFlight = deliverWebhook({
      url: receiver.url,
      secret: SECRET,
      payload,
      allowPrivateNetworks: true,
      signal: cancel2.signal,
    });
    await receiver.waitFor(2); // the hung try
    cancel2.abort(reason);
    await expect(inFlight).rejects.toBe(reason);
  });

  it('works with the platform fetch as its client', async () => {
    const { outcome, posts } = await deliverTo([{ status: 500 }, { status: 307, headers: { location: '/x' } }], {
      fetch: globalThis.fetch,
    });
    expect(outcome).toMatchObject({ ok: false, attempts: 2, status: 307 });
    expect(posts.map((p) => p.url)).toEqual(['/hook', '/hook']);
  });

  it('connects to the address it checked, not to what the name resolves to later', async () => {
    receiver = await startReceiver();
    let lookups = 0;
    const outcome = await deliverWebhook({
      url: `http://hooks.example.invalid:${receiver.port}/in`,
      secret: SECRET,
      payload,
      allowPrivateNetworks: true,
      lookup: async (host) => {
        lookups++;
        expect(host).toBe('hooks.example.invalid');
        return [{ address: '127.0.0.1', family: 4 }];
      },
    });
    expect(outcome).toEqual({ ok: true, attempts: 1, status: 200 });
    expect(lookups).toBe(1);
    expect(receiver.posts[0]?.headers.host).toBe(`hooks.example.invalid:${receiver.port}`);
  });
});

describe('the address guard', () => {
  const refused = [
    ['127.0.0.1', 'loopback'],
    ['127.8.9.10', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'link-local'],
    ['100.64.0.1', 'carrier-grade NAT'],
    ['100.127.255.254', 'carrier-grade NAT'],
    ['0.0.0.0', 'unspecified'],
    ['224.0.0.251', 'multicast'],
    ['255.255.255.255', 'reserved'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fc00::1', 'unique local'],
    ['fd20:ce::254', 'unique local'], // the GCE metadata server over IPv6
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['ff02::1', 'multicast'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:a9fe:a9fe', 'link-local'], // ::ffff:169.254.169.254
    ['64:ff9b::a00:1', 'private'], // NAT64 of 10.0.0.1
    ['2002:c0a8:101::1', 'private'], // 6to4 of 192.168.1.1
  ] as const;

  it.each(refused)('refuses %s (%s)', (ip, range) => {
    expect(blockedRange(ip)).toContain(range);
  });

  it.each([
    '8.8.8.8',
    '93.184.216.34',
    '172.32.0.1',
    '100.128.0.1',
    '169.255.0.1',
    '2606:4700:4700::1111',
    '::ffff:8.8.8.8',
  ])('allows the public address %s', (ip) => {
    expect(blockedRange(ip)).toBeNull();
  });

  it('refuses what is not an IP address', () => {
    expect(blockedRange('example.com')).toBe('not an IP address');
  });

  const resolve = (url: string, lookupAnswer?: string[]) =>
    resolveWebhookTarget(new URL(url), {
      allowPrivateNetworks: false,
      lookup: lookupAnswer
        ? async () => lookupAnswer.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }))
        : undefined,
    });

  it('refuses literal private hosts in URLs, however they are written', async () => {
    for (const url of [
      'http://127.0.0.1/',
      'http://169.254.169.254/computeMetadata/v1/',
      'http://[::1]:8080/',
      'http://[::ffff:169.254.169.254]/',
      'http://[fd20:ce::254]/',
      'http://2130706433/', // 127.0.0.1 as one number
      'http://0x7f.1/',
      'http://0/',
    ]) {
      await expect(resolve(url), url).rejects.toBeInstanceOf(WebhookTargetRefused);
    }
  });

  it('refuses localhost (resolved from the hosts file, nothing is contacted)', async () => {
    await expect(resolve('http://localhost:3000/hook')).rejects.toThrow(/localhost resolves to .* \(loopback\)/);
  });

  it('refuses a name with any private answer among public ones (DNS rebinding)', async () => {
    await expect(resolve('https://rebind.example/', ['93.184.216.34', '10.0.0.5'])).rejects.toThrow(
      /rebind\.example resolves to 10\.0\.0\.5/,
    );
    await expect(resolve('https://metadata.example/', ['169.254.169.254'])).rejects.toBeInstanceOf(
      WebhookTargetRefused,
    );
    await expect(resolve('https://ok.example/', ['93.184.216.34', '2606:2800:220:1::1'])).resolves.toHaveLength(2);
    await expect(resolve('https://8.8.8.8/')).resolves.toEqual([{ address: '8.8.8.8', family: 4 }]);
  });

  it('allows private addresses when allowPrivateNetworks is set', async () => {
    const r = await resolveWebhookTarget(new URL('http://127.0.0.1:9/'), { allowPrivateNetworks: true });
    expect(r).toEqual([{ address: '127.0.0.1', family: 4 }]);
  });

  it('makes deliverWebhook give up at once, without sending anything', async () => {
    let called = 0;
    const fetch: WebhookFetch = async () => {
      called++;
      throw new Error('must not be called');
    };
    const { waits, sleep } = recordingSleep();
    const outcome = await deliverWebhook({
      url: 'http://169.254.169.254/computeMetadata/v1/instance/service-accounts/default/token',
      secret: SECRET,
      payload,
      allowPrivateNetworks: false,
      fetch,
      sleep,
    });
    expect(outcome).toMatchObject({ ok: false, attempts: 1, status: null });
    expect(!outcome.ok && outcome.error).toMatch(/169\.254\.169\.254 \(link-local/);
    expect(called).toBe(0);
    expect(waits).toEqual([]);
  });

  it('refuses URLs that are not http(s)', async () => {
    const outcome = await deliverWebhook({
      url: 'file:///etc/passwd',
      secret: SECRET,
      payload,
      allowPrivateNetworks: true,
    });
    expect(outcome).toMatchObject({ ok: false, attempts: 0 });
  });
});
