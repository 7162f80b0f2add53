import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import type Docker from 'dockerode';

/** A user-defined bridge network for sandboxes, as the firewall needs to know it. */
export interface SandboxNetwork {
  name: string;
  /** The host's bridge interface (`com.docker.network.bridge.name`). */
  bridge: string;
  /** IPv4 CIDR, e.g. `172.18.0.0/16`. */
  subnet: string;
  /** The host's address on the bridge: where sandboxes reach the runner's model proxy. */
  gateway: string;
}

const NETWORK_LABEL = 'agent-platform.network';
const ICC_OPTION = 'com.docker.network.bridge.enable_icc';
const BRIDGE_OPTION = 'com.docker.network.bridge.name';

/** `ap-` + 8 hex: stable per network name and within Linux's 15-character interface names. */
export function bridgeName(networkName: string): string {
  return `ap-${createHash('sha256').update(networkName).digest('hex').slice(0, 8)}`;
}

function statusOf(e: unknown): number | undefined {
  return (e as { statusCode?: number }).statusCode;
}

async function inspectNetwork(docker: Docker, name: string): Promise<Docker.NetworkInspectInfo | undefined> {
  try {
    const info: Docker.NetworkInspectInfo = await docker.getNetwork(name).inspect();
    // Docker also resolves ids and id prefixes; only an exact name is ours.
    return info.Name === name ? info : undefined;
  } catch (e) {
    if (statusOf(e) === 404) return undefined;
    throw e;
  }
}

/**
 * Creates (or finds and checks) the user-defined bridge network: inter-container traffic off,
 * its own bridge interface name (the firewall's rules name it), labelled `agent-platform.network=1`,
 * no IPv6 (Docker then turns IPv6 off inside the containers, so IPv4 rules are the whole story).
 * `subnet` is optional: Docker picks one from its pools when omitted. Idempotent; concurrent calls
 * for the same name (from this or another process) all get the one network.
 */
export async function ensureSandboxNetwork(
  docker: Docker,
  opts: { name: string; subnet?: string; labels?: Record<string, string> },
): Promise<SandboxNetwork> {
  const bridge = bridgeName(opts.name);
  let info = await inspectNetwork(docker, opts.name);
  if (!info) {
    try {
      await docker.createNetwork({
        Name: opts.name,
        // Docker's name check is racy: two concurrent creates can both pass it. The fixed bridge
        // name is what makes the loser fail ("networks have same bridge name"); both are caught below.
        CheckDuplicate: true,
        Driver: 'bridge',
        EnableIPv6: false,
        Internal: false, // sandboxes may reach the internet
        Options: { [ICC_OPTION]: 'false', [BRIDGE_OPTION]: bridge },
        Labels: { ...opts.labels, [NETWORK_LABEL]: '1' },
        ...(opts.subnet ? { IPAM: { Driver: 'default', Config: [{ Subnet: opts.subnet }] } } : {}),
      });
    } catch (e) {
      // Someone else is making it: theirs is as good as ours. Docker reports the clash (409 name,
      // 403 bridge name) before the winner's network can be found by name, so wait for it a little.
      const clash = statusOf(e) === 409 || statusOf(e) === 403;
      for (let i = 0; !info && i < (clash ? 100 : 1); i++) {
        if (i > 0) await new Promise((r) => setTimeout(r, 50));
        info = await inspectNetwork(docker, opts.name);
      }
      if (!info) throw e;
    }
    info ??= await inspectNetwork(docker, opts.name);
    if (!info) throw new Error(`Docker network ${opts.name} vanished right after it was created; try again`);
  }
  return describeNetwork(info, bridge, opts.subnet);
}

/** Checks that an existing network is one we would have made, and reads its addresses. */
function describeNetwork(info: Docker.NetworkInspectInfo, bridge: string, subnet?: string): SandboxNetwork {
  const problems: string[] = [];
  if (info.Driver !== 'bridge') problems.push(`driver is ${info.Driver}, not bridge`);
  if (info.Options?.[ICC_OPTION] !== 'false') problems.push(`${ICC_OPTION} is not false`);
  if (info.Options?.[BRIDGE_OPTION] !== bridge) problems.push(`${BRIDGE_OPTION} is not ${bridge}`);
  if (info.Labels?.[NETWORK_LABEL] !== '1') problems.push(`label ${NETWORK_LABEL}=1 is missing`);
  if (info.EnableIPv6) problems.push('IPv6 is on');
  const ipam = info.IPAM?.Config?.find((c) => c.Subnet?.includes('.'));
  if (!ipam?.Subnet) problems.push('it has no IPv4 subnet');
  else if (subnet && ipam.Subnet !== subnet) problems.push(`its subnet is ${ipam.Subnet}, not ${subnet}`);
  // Docker records the gateway only when it chose the subnet itself; otherwise it takes the
  // subnet's first address.
  const gateway = ipam?.Gateway ?? (ipam?.Subnet ? firstAddress(ipam.Subnet) : undefined);
  if (problems.length > 0 || !ipam?.Subnet || !gateway) {
    throw new Error(
      `Docker network ${info.Name} exists but is not a sandbox network: ${problems.join('; ')}. ` +
        `Remove it (docker network rm ${info.Name}, after removing its containers) and start again.`,
    );
  }
  return { name: info.Name, bridge, subnet: ipam.Subnet, gateway };
}

/** `10.1.2.0/24` -> `10.1.2.1`. */
function firstAddress(cidr: string): string {
  const [ip = '', bits = '32'] = cidr.split('/');
  const n = ip.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
  const mask = Number(bits) === 0 ? 0 : (0xffffffff << (32 - Number(bits))) >>> 0;
  const first = ((n & mask) >>> 0) + 1;
  return [24, 16, 8, 0].map((shift) => (first >>> shift) & 255).join('.');
}

/** Removes the network; a network that is already gone is fine. Fails while containers use it. */
export async function removeSandboxNetwork(docker: Docker, name: string): Promise<void> {
  if (!(await inspectNetwork(docker, name))) return;
  try {
    await docker.getNetwork(name).remove();
  } catch (e) {
    if (statusOf(e) !== 404) throw e;
  }
}

export interface SandboxFirewall {
  /** Installs the rules (idempotent: refills its own chains atomically, adds the jumps once). */
  install(): Promise<void>;
  /** Verifies every rule is in place; throws an Error naming what is missing. */
  check(): Promise<void>;
  /** Removes its chains and jump rules. */
  remove(): Promise<void>;
}

export interface SandboxFirewallOptions {
  /** TCP ports on the gateway that sandboxes may reach (the model proxy); every other host port is closed. */
  allowHostTcpPorts: number[];
  /**
   * Resolvers that Docker's embedded DNS forwards to. It sends those queries from inside the
   * container's network namespace, so when the host's resolver sits in a blocked range (a VPC's
   * 10.x resolver, GCP's 169.254.169.254) name resolution breaks unless the resolver is listed
   * here: usually the `nameserver` lines of the host's /etc/resolv.conf. Only port 53 is opened.
   * Default: none.
   */
  dnsServers?: string[];
  /** The iptables binary; `<iptables>-restore` must sit beside it. Default `iptables`. */
  iptables?: string;
}

/**
 * Destinations no sandbox may reach through the host: this-network, private (RFC 1918), CGNAT,
 * loopback, link-local (cloud metadata servers), multicast and reserved.
 */
export const BLOCKED_RANGES = [
  '0.0.0.0/8',
  '10.0.0.0/8',
  '100.64.0.0/10',
  '127.0.0.0/8',
  '169.254.0.0/16',
  '172.16.0.0/12',
  '192.168.0.0/16',
  '224.0.0.0/4',
  '240.0.0.0/4',
] as const;

// iptables takes a lock (-w waits for it); one call at a time from this process keeps the waits
// short and the order of our own changes predictable.
let queue: Promise<unknown> = Promise.resolve();

interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

function run(file: string, args: string[], input?: string): Promise<RunResult> {
  const next = queue.then(
    () =>
      new Promise<RunResult>((resolve, reject) => {
        const child = execFile(file, args, { timeout: 30_000 }, (err, stdout, stderr) => {
          if (!err) return resolve({ code: 0, stdout, stderr });
          // A non-zero exit is an answer (e.g. "no such rule"); a missing binary is not.
          if (typeof err.code === 'number') return resolve({ code: err.code, stdout, stderr });
          reject(new Error(`${file} ${args.join(' ')} failed: ${err.message}`));
        });
        // A command that exits without reading its stdin makes the write fail with EPIPE; its exit
        // code already says what went wrong.
        child.stdin?.on('error', () => {});
        child.stdin?.end(input);
      }),
  );
  queue = next.catch(() => undefined);
  return next;
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;

export function sandboxFirewall(net: SandboxNetwork, opts: SandboxFirewallOptions): SandboxFirewall {
  const iptables = opts.iptables ?? 'iptables';
  // The values end up in iptables-restore's input: anything odd (a newline) could add a rule.
  for (const ip of [net.gateway, ...(opts.dnsServers ?? [])]) {
    if (!IPV4.test(ip)) throw new Error(`sandboxFirewall: ${JSON.stringify(ip)} is not an IPv4 address`);
  }
  if (!/^[\w.-]{1,15}$/.test(net.bridge))
    throw new Error(`sandboxFirewall: bad bridge name ${JSON.stringify(net.bridge)}`);
  for (const port of opts.allowHostTcpPorts) {
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`sandboxFirewall: bad TCP port ${port}`);
  }
  // Own chains per network so several networks (and parallel tests) never touch each other's rules.
  const fwdChain = `AP-FWD-${net.bridge}`;
  const inChain = `AP-IN-${net.bridge}`;
  const rejectChain = `AP-REJ-${net.bridge}`;
  const REJECT = ['-j', rejectChain];
  const dns = opts.dnsServers ?? [];

  // Forwarded traffic that comes from the bridge. RETURN (not ACCEPT) hands what we allow back to
  // Docker's own rules, so this chain can only take permissions away.
  const fwdRules: string[][] = [
    // Replies to connections made towards a sandbox (a published port, say) may go to private clients.
    ['-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED', '-j', 'RETURN'],
    ...dns.flatMap((ip) => [
      ['-d', `${ip}/32`, '-p', 'udp', '-m', 'udp', '--dport', '53', '-j', 'RETURN'],
      ['-d', `${ip}/32`, '-p', 'tcp', '-m', 'tcp', '--dport', '53', '-j', 'RETURN'],
    ]),
    // Another sandbox on the same bridge (Docker's enable_icc=false drops this too, silently).
    ['-o', net.bridge, ...REJECT],
    ...BLOCKED_RANGES.map((range) => ['-d', range, ...REJECT]),
  ];
  // Traffic to the host itself, to any of its addresses (gateway, eth0, docker0, other bridges).
  const inRules: string[][] = [
    // Replies to connections the runner opens into a sandbox.
    ['-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED', '-j', 'ACCEPT'],
    ...opts.allowHostTcpPorts.map((port) => [
      '-d',
      `${net.gateway}/32`,
      '-p',
      'tcp',
      '-m',
      'tcp',
      '--dport',
      String(port),
      '-j',
      'ACCEPT',
    ]),
    REJECT,
  ];
  // Inserted first so no ACCEPT added later by someone else can shadow them.
  const jumps: Array<{ chain: string; rule: string[] }> = [
    { chain: 'DOCKER-USER', rule: ['-i', net.bridge, '-j', fwdChain] },
    { chain: 'INPUT', rule: ['-i', net.bridge, '-j', inChain] },
  ];
  // How a refusal looks: an immediate answer, never a silent drop that hangs until a timeout.
  // TCP gets a reset ("Connection refused"): the kernel rate-limits ICMP errors (6 at once, then
  // 1/s per sandbox), so a burst of refused connects would otherwise wait for SYN resends. The
  // rest gets "administratively prohibited" (EHOSTUNREACH), which says a firewall refused.
  const rejectRules: string[][] = [
    ['-p', 'tcp', '-j', 'REJECT', '--reject-with', 'tcp-reset'],
    ['-j', 'REJECT', '--reject-with', 'icmp-admin-prohibited'],
  ];
  // The reject chain comes last: remove() deletes in this order, and the others refer to it.
  const chains: Array<[string, string[][]]> = [
    [fwdChain, fwdRules],
    [inChain, inRules],
    [rejectChain, rejectRules],
  ];

  const ipt = (...args: string[]) => run(iptables, ['-w', ...args]);
  const must = async (...args: string[]) => {
    const r = await ipt(...args);
    if (r.code !== 0) throw new Error(`${iptables} ${args.join(' ')} failed (exit ${r.code}): ${r.stderr.trim()}`);
  };
  const has = async (...args: string[]) => (await ipt(...args)).code === 0;

  return {
    async install() {
      // Docker makes FORWARD jump to DOCKER-USER first; it is missing only when Docker runs without
      // iptables, and then check() reports the missing FORWARD jump.
      if (!(await has('-S', 'DOCKER-USER'))) await ipt('-N', 'DOCKER-USER');
      // One restore transaction declares (and so flushes) and refills all our chains: a re-install
      // on a running machine never leaves a moment with an empty chain behind a jump.
      const lines = ['*filter', ...chains.map(([c]) => `:${c} - [0:0]`)];
      for (const [chain, rules] of chains) lines.push(...rules.map((r) => `-A ${chain} ${r.join(' ')}`));
      lines.push('COMMIT', '');
      const restore = `${iptables}-restore`;
      const r = await run(restore, ['-w', '--noflush'], lines.join('\n'));
      if (r.code !== 0) throw new Error(`${restore} failed (exit ${r.code}): ${r.stderr.trim()}`);
      for (const { chain, rule } of jumps) {
        if (!(await has('-C', chain, ...rule))) await must('-I', chain, '1', ...rule);
      }
    },

    async check() {
      const missing: string[] = [];
      if (!(await has('-C', 'FORWARD', '-j', 'DOCKER-USER'))) missing.push('-A FORWARD -j DOCKER-USER');
      const expected = [
        ...jumps.map((j) => [j.chain, j.rule] as const),
        ...chains.flatMap(([c, rs]) => rs.map((r) => [c, r] as const)),
      ];
      for (const [chain, rule] of expected) {
        if (!(await has('-C', chain, ...rule))) missing.push(`-A ${chain} ${rule.join(' ')}`);
      }
      if (missing.length > 0) {
        throw new Error(
          `Sandbox firewall for ${net.name} (${net.bridge}) is incomplete; missing: ${missing.join(' | ')}. ` +
            'Call install() again (the runner does at start-up).',
        );
      }
      // -C cannot see order or extras: a rule added to our chains by hand could come first.
      for (const [chain, rules] of chains) {
        const listed = await ipt('-S', chain);
        const count = listed.stdout.split('\n').filter((l) => l.startsWith(`-A ${chain} `)).length;
        if (count !== rules.length) {
          throw new Error(
            `Sandbox firewall chain ${chain} has ${count} rules, expected ${rules.length}; call install() again.`,
          );
        }
      }
    },

    async remove() {
      for (const { chain, rule } of jumps) while (await has('-C', chain, ...rule)) await must('-D', chain, ...rule);
      for (const [chain] of chains) {
        if (!(await has('-S', chain))) continue;
        await must('-F', chain);
        await must('-X', chain);
      }
    },
  };
}
