import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP } from 'node:net';

/**
 * Where a webhook may not go. A webhook URL is typed by a person and the post is sent from inside
 * our network, so without this check it could reach the runner's own ports, the sandboxes, other
 * machines of the VPC or the cloud metadata server (169.254.169.254, fd20:ce::254), which hands out
 * credentials. Every address a host name resolves to must be public; one private answer refuses the
 * whole host (a resolver may rotate answers, and DNS rebinding mixes them on purpose).
 */

/** Resolves a host name to all its addresses (node:dns `lookup` with `all: true` by default). */
export type LookupAll = (hostname: string) => Promise<LookupAddress[]>;

export const systemLookupAll: LookupAll = (hostname) =>
  new Promise((resolve, reject) => {
    dnsLookup(hostname, { all: true, verbatim: true }, (err, addresses) => (err ? reject(err) : resolve(addresses)));
  });

interface Range {
  bytes: Uint8Array;
  prefix: number;
  name: string;
}

const v4Ranges: Range[] = (
  [
    ['0.0.0.0', 8, 'unspecified ("this network")'],
    ['10.0.0.0', 8, 'private (RFC 1918)'],
    ['100.64.0.0', 10, 'carrier-grade NAT (RFC 6598)'],
    ['127.0.0.0', 8, 'loopback'],
    ['169.254.0.0', 16, 'link-local (the cloud metadata server lives here)'],
    ['172.16.0.0', 12, 'private (RFC 1918)'],
    ['192.0.0.0', 24, 'IETF protocol assignments'],
    ['192.0.2.0', 24, 'documentation'],
    ['192.168.0.0', 16, 'private (RFC 1918)'],
    ['198.18.0.0', 15, 'benchmarking'],
    ['198.51.100.0', 24, 'documentation'],
    ['203.0.113.0', 24, 'documentation'],
    ['224.0.0.0', 4, 'multicast'],
    ['240.0.0.0', 4, 'reserved (and broadcast)'],
  ] as const
).map(([ip, prefix, name]) => ({ bytes: parseIPv4(ip)!, prefix, name }));

const v6Ranges: Range[] = (
  [
    ['::', 128, 'unspecified'],
    ['::1', 128, 'loopback'],
    ['64:ff9b:1::', 48, 'local-use NAT64'],
    ['100::', 64, 'discard-only'],
    ['2001:db8::', 32, 'documentation'],
    ['fc00::', 7, 'unique local (private)'],
    ['fe80::', 10, 'link-local'],
    ['fec0::', 10, 'site-local (deprecated)'],
    ['ff00::', 8, 'multicast'],
  ] as const
).map(([ip, prefix, name]) => ({ bytes: parseIPv6(ip)!, prefix, name }));

function inRange(bytes: Uint8Array, r: Range): boolean {
  const full = r.prefix >> 3;
  for (let i = 0; i < full; i++) if (bytes[i] !== r.bytes[i]) return false;
  const rest = r.prefix & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return ((bytes[full] ?? 0) & mask) === ((r.bytes[full] ?? 0) & mask);
}

function parseIPv4(ip: string): Uint8Array | null {
  const parts = ip.split('.');
  if (parts.length !== 4) return null;
  const out = new Uint8Array(4);
  for (const [i, p] of parts.entries()) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return null;
    out[i] = Number(p);
  }
  return out;
}

function parseIPv6(input: string): Uint8Array | null {
  let ip = input.replace(/%.*$/, ''); // a zone id (fe80::1%eth0) says nothing about the range
  const out = new Uint8Array(16);
  // An embedded dotted quad (::ffff:1.2.3.4) becomes the last two groups.
  const quad = /(\d+\.\d+\.\d+\.\d+)$/.exec(ip);
  if (quad?.[1]) {
    const v4 = parseIPv4(quad[1]);
    if (!v4) return null;
    ip = `${ip.slice(0, -quad[1].length)}${((v4[0]! << 8) | v4[1]!).toString(16)}:${((v4[2]! << 8) | v4[3]!).toString(16)}`;
  }
  const halves = ip.split('::');
  if (halves.length > 2) return null;
  const groups = (s: string | undefined): string[] => (s ? s.split(':') : []);
  const head = groups(halves[0]);
  const tail = groups(halves[1]);
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const all = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail];
  for (const [i, g] of all.entries()) {
    if (!/^[0-9a-f]{1,4}$/i.test(g)) return null;
    const n = Number.parseInt(g, 16);
    out[2 * i] = n >> 8;
    out[2 * i + 1] = n & 0xff;
  }
  return out;
}

/** The IPv4 address an IPv6 address carries and that traffic to it reaches, if any. */
function embeddedIPv4(b: Uint8Array): Uint8Array | null {
  const zeros = (from: number, to: number) => b.slice(from, to).every((x) => x === 0);
  // ::ffff:a.b.c.d (IPv4-mapped) and ::a.b.c.d (IPv4-compatible, deprecated): the socket goes to a.b.c.d.
  if (zeros(0, 10) && ((b[10] === 0xff && b[11] === 0xff) || (b[10] === 0 && b[11] === 0))) return b.slice(12);
  // 64:ff9b::a.b.c.d (NAT64): a NAT64 gateway forwards to a.b.c.d.
  if (b[0] === 0x00 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b && zeros(4, 12)) return b.slice(12);
  // 2002:aabb:ccdd::/48 (6to4): tunnelled to aa.bb.cc.dd.
  if (b[0] === 0x20 && b[1] === 0x02) return b.slice(2, 6);
  return null;
}

/**
 * Why the address may not receive webhooks (the name of its range), or null when it is public.
 * Anything that is not an IP address is refused too.
 */
export function blockedRange(ip: string): string | null {
  const family = isIP(ip.replace(/%.*$/, ''));
  if (family === 4) {
    const b = parseIPv4(ip);
    return b ? (v4Ranges.find((r) => inRange(b, r))?.name ?? null) : 'not an IP address';
  }
  if (family === 6) {
    const b = parseIPv6(ip);
    if (!b) return 'not an IP address';
    const own = v6Ranges.find((r) => inRange(b, r));
    if (own) return own.name;
    const v4 = embeddedIPv4(b);
    const inner = v4 ? v4Ranges.find((r) => inRange(v4, r)) : undefined;
    return inner ? `${inner.name}, inside an IPv6 address` : null;
  }
  return 'not an IP address';
}

/** Refusal of a webhook's target: not worth retrying until the URL (or its DNS) changes. */
export class WebhookTargetRefused extends Error {
  constructor(
    readonly host: string,
    readonly address: string,
    readonly range: string,
  ) {
    super(
      `Webhook host ${host} resolves to ${address} (${range}); webhooks go only to public internet addresses. ` +
        'Use a public URL (in local one-machine mode, private addresses are allowed).',
    );
    this.name = 'WebhookTargetRefused';
  }
}

export interface ResolveTargetOptions {
  /** True: loopback and private addresses are allowed (local one-machine mode, tests). */
  allowPrivateNetworks: boolean;
  /** Default: node:dns lookup (the system resolver, /etc/hosts included). */
  lookup?: LookupAll | undefined;
}

/**
 * Resolves the URL's host and checks every address; returns the addresses to connect to (so the
 * connection can be pinned to what was checked). Throws WebhookTargetRefused for a refused address
 * and the resolver's error when the name does not resolve.
 */
export async function resolveWebhookTarget(url: URL, opts: ResolveTargetOptions): Promise<LookupAddress[]> {
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const literal = isIP(host);
  const addresses: LookupAddress[] = literal
    ? [{ address: host, family: literal }]
    : await (opts.lookup ?? systemLookupAll)(host);
  if (addresses.length === 0) throw new Error(`Webhook host ${host} resolved to no address.`);
  if (!opts.allowPrivateNetworks) {
    for (const a of addresses) {
      const range = blockedRange(a.address);
      if (range) throw new WebhookTargetRefused(host, a.address, range);
    }
  }
  return addresses;
}
