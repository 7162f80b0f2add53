import { type ChildProcess, execFile, spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bridgeName,
  ensureSandboxNetwork,
  removeSandboxNetwork,
  type SandboxFirewall,
  type SandboxNetwork,
  sandboxFirewall,
} from './network.js';

// Proves the sandbox firewall on this machine's real kernel, without sending a packet off it:
// the "outside" (a link-local address like the metadata server's, a private address and an
// allowed public-looking one) lives in a network namespace this test makes, reached through a
// veth pair with host routes. Needs root, dockerd and the workspace image.

const image = 'agent-platform/workspace:latest';
const pid = process.pid;
// Addresses derived from the pid, so parallel runs of this file do not share routes.
const idx = pid % 60_000;
const [o3, o4] = [1 + Math.floor(idx / 250), 1 + (idx % 250)];
const NS = `ap-t-${pid}`;
const VETH_HOST = `apt${pid}h`; // pids have at most 7 digits: 11 characters, under the 15 allowed
const VETH_NS = `apt${pid}n`;
const HOST_VETH_IP = `10.78.${o3}.${o4}`;
const LINK_LOCAL = `169.254.${o3}.${o4}`; // o3 <= 240: never the real 169.254.169.254
const PRIVATE = `10.77.${o3}.${o4}`;
const CONTROL = `198.18.${o3}.${o4}`; // benchmarking range: not blocked, never routed on the internet
const NS_PORT = 8080;
const NET_NAME = `ap-t-${pid}`;
const SANDBOX_A = `ap-t-${pid}-a`;
const SANDBOX_B = `ap-t-${pid}-b`;

const docker = new Docker();
let net: SandboxNetwork;
let fw: SandboxFirewall;
let nsServer: ChildProcess | undefined;
const hostServers: http.Server[] = [];
let proxyPort = 0;
let otherPort = 0;
let closedPort = 0;
let sandboxBIp = '';
/** This machine's own addresses other than the bridge gateway (eth0's, docker0's, the veth's). */
let hostAddresses: string[] = [];

function sh(file: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: 20_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${file} ${args.join(' ')}: ${stderr.trim() || err.message}`));
      else resolve(stdout);
    });
  });
}

/** Runs a cleanup step that may find nothing to clean; any other failure is kept for the end. */
async function gone(what: string, step: () => Promise<unknown>, errors: string[]): Promise<void> {
  try {
    await step();
  } catch (e) {
    const msg = (e as Error).message;
    if (!/not exist|no such|cannot find|not found|no chain/i.test(msg)) errors.push(`${what}: ${msg}`);
  }
}

// Connects from inside a sandbox and says what happened: "open <first bytes of the answer>", an
// errno name (ECONNREFUSED: a reset or port-unreachable; EHOSTUNREACH: our firewall's
// admin-prohibited) or "timeout" (a silent drop). With "udp", sends one datagram and waits for
// the ICMP error a refusal brings.
const PROBE = `
import errno, json, socket, sys, time
t = time.monotonic()
try:
    if sys.argv[3:] == ["udp"]:
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.settimeout(3)
        u.connect((sys.argv[1], int(sys.argv[2])))
        u.send(b"x")
        r = "open " + u.recv(64).decode(errors="replace")
    else:
        s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=3)
        s.sendall(b"GET / HTTP/1.0\\r\\nHost: probe\\r\\n\\r\\n")
        data = b""
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        r = "open " + data.split(b"\\r\\n\\r\\n", 1)[-1][:40].decode(errors="replace").strip()
except socket.timeout:
    r = "timeout"
except OSError as e:
    r = errno.errorcode.get(e.errno, str(e))
print(json.dumps({"r": r, "ms": round((time.monotonic() - t) * 1000)}))
`;

async function probe(container: string, host: string, port: number, udp = false): Promise<{ r: string; ms: number }> {
  const args = ['exec', container, 'python3', '-c', PROBE, host, String(port), ...(udp ? ['udp'] : [])];
  return JSON.parse(await sh('docker', args));
}

/** Packets our firewall has refused so far: a refusal by it, not by a closed port, raises this. */
async function refusals(): Promise<number> {
  const out = await sh('iptables', ['-w', '-L', `AP-REJ-${net.bridge}`, '-v', '-x', '-n']);
  return [...out.matchAll(/^\s*(\d+)\s+\d+\s+REJECT\b/gm)].reduce((n, m) => n + Number(m[1]), 0);
}

// One server in the namespace answers on all its addresses and says which one was reached.
const NS_SERVER = `
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = ("ns " + self.connection.getsockname()[0]).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
s = http.server.ThreadingHTTPServer(("0.0.0.0", int(sys.argv[1])), H)
print("ready", flush=True)
s.serve_forever()
`;

function startNsServer(): Promise<ChildProcess> {
  const child = spawn('ip', ['netns', 'exec', NS, 'python3', '-c', NS_SERVER, String(NS_PORT)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let err = '';
    child.stderr.on('data', (d) => {
      err += d;
    });
    child.stdout.on('data', (d) => String(d).includes('ready') && resolve(child));
    child.once('exit', (code) => reject(new Error(`namespace server exited (${code}): ${err}`)));
  });
}

function listen(host: string, label: string): Promise<http.Server> {
  const server = http.createServer((_req, res) => res.end(label));
  hostServers.push(server);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve(server));
  });
}

const portOf = (s: http.Server) => (s.address() as AddressInfo).port;

async function ourRules(): Promise<string[]> {
  return (await sh('iptables', ['-w', '-S'])).split('\n').filter((l) => l.includes(net.bridge));
}

beforeAll(async () => {
  if (process.getuid?.() !== 0) throw new Error('network.int.test.ts needs root (network namespaces, iptables).');
  try {
    await docker.ping();
  } catch (e) {
    throw new Error(`No Docker engine answers (${(e as Error).message}). Run docker/ensure-docker.sh as root.`);
  }
  try {
    await docker.getImage(image).inspect();
  } catch {
    throw new Error(`Image ${image} is missing. Build it with docker/workspace/build-offline.sh.`);
  }
  // A crashed earlier run with this pid may have left its things behind.
  await cleanup();

  // The namespace that plays "the rest of the world"; its addresses sit on its loopback.
  await sh('ip', ['netns', 'add', NS]);
  await sh('ip', ['link', 'add', VETH_HOST, 'type', 'veth', 'peer', 'name', VETH_NS]);
  await sh('ip', ['link', 'set', VETH_NS, 'netns', NS]);
  await sh('ip', ['addr', 'add', `${HOST_VETH_IP}/32`, 'dev', VETH_HOST]);
  await sh('ip', ['link', 'set', VETH_HOST, 'up']);
  const inNs = (...args: string[]) => sh('ip', ['netns', 'exec', NS, 'ip', ...args]);
  await inNs('link', 'set', 'lo', 'up');
  await inNs('link', 'set', VETH_NS, 'up');
  for (const addr of [LINK_LOCAL, PRIVATE, CONTROL]) {
    await inNs('addr', 'add', `${addr}/32`, 'dev', 'lo');
    await sh('ip', ['route', 'add', `${addr}/32`, 'dev', VETH_HOST]);
    // Never probe an address whose packets could leave this machine.
    expect(await sh('ip', ['-4', 'route', 'get', addr])).toContain(`dev ${VETH_HOST}`);
  }
  // Docker masquerades sandbox traffic to the veth's address: the only way back.
  await inNs('route', 'add', `${HOST_VETH_IP}/32`, 'dev', VETH_NS);
  nsServer = await startNsServer();

  net = await ensureSandboxNetwork(docker, { name: NET_NAME, labels: { 'agent-platform.test': String(pid) } });
  proxyPort = portOf(await listen(net.gateway, 'host proxy'));
  otherPort = portOf(await listen(net.gateway, 'host other'));
  // Held open so nothing else takes it: on the host's other addresses this port is closed. No
  // server listens there (they may face other machines); the firewall's counters tell its
  // refusals from a closed port's.
  closedPort = portOf(await listen('127.0.0.1', 'loopback'));
  // A resolver in a blocked range, as on GCP (169.254.169.254) or here (a 10.x address).
  fw = sandboxFirewall(net, { allowHostTcpPorts: [proxyPort], dnsServers: [PRIVATE] });

  const local = Object.values(networkInterfaces())
    .flat()
    .filter((a) => a?.family === 'IPv4' && !a.internal)
    .map((a) => a?.address);
  // The default route's source address (eth0's); `ip route get` only reads the routing table.
  const main = /src (\S+)/.exec(await sh('ip', ['-4', 'route', 'get', '1.1.1.1']))?.[1];
  const docker0 = networkInterfaces()['docker0']?.find((a) => a.family === 'IPv4')?.address;
  hostAddresses = [main, docker0, HOST_VETH_IP].filter((a): a is string => !!a && local.includes(a));
  expect(hostAddresses).toContain(HOST_VETH_IP);

  const hardened = (name: string, cmd?: string[]) =>
    docker.createContainer({
      name,
      Image: image,
      User: '1000:1000',
      Labels: { 'agent-platform.test': String(pid) },
      ...(cmd ? { Cmd: cmd } : {}),
      HostConfig: { NetworkMode: net.name, CapDrop: ['ALL'], SecurityOpt: ['no-new-privileges'], Init: true },
    });
  const [a, b] = await Promise.all([
    hardened(SANDBOX_A),
    hardened(SANDBOX_B, ['python3', '-m', 'http.server', '8080', '--bind', '0.0.0.0']),
  ]);
  await Promise.all([a.start(), b.start()]);
  sandboxBIp = (await b.inspect()).NetworkSettings.Networks[net.name]?.IPAddress ?? '';
  expect(sandboxBIp).not.toBe('');
  // B's own server answers from inside B, so a refusal from A is the network's doing.
  for (let i = 0; ; i++) {
    if ((await probe(SANDBOX_B, '127.0.0.1', 8080)).r.startsWith('open')) break;
    if (i === 50) throw new Error('the server in the second sandbox did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
});

async function cleanup(): Promise<void> {
  const errors: string[] = [];
  await Promise.all(
    [SANDBOX_A, SANDBOX_B].map((c) => gone(c, () => docker.getContainer(c).remove({ force: true }), errors)),
  );
  // Before beforeAll made the network, its chains can still be named (and removed) from its name.
  const named = { name: NET_NAME, bridge: bridgeName(NET_NAME), subnet: '0.0.0.0/32', gateway: '0.0.0.0' };
  await gone('firewall', () => (fw ?? sandboxFirewall(named, { allowHostTcpPorts: [] })).remove(), errors);
  await gone('network', () => removeSandboxNetwork(docker, NET_NAME), errors);
  for (const s of hostServers.splice(0)) s.close();
  if (nsServer?.pid && nsServer.exitCode === null) {
    const exited = new Promise((r) => nsServer?.once('exit', r));
    process.kill(nsServer.pid, 'SIGTERM');
    await exited;
  }
  // Deleting one end of the veth pair deletes the other and the host routes through it.
  await gone('veth', () => sh('ip', ['link', 'del', VETH_HOST]), errors);
  await gone('netns', () => sh('ip', ['netns', 'del', NS]), errors);
  if (errors.length > 0) throw new Error(`cleanup left things behind:\n${errors.join('\n')}`);
}

afterAll(cleanup);

describe('sandbox network and firewall', () => {
  it('without the firewall, a sandbox reaches the link-local and private targets and the host', async () => {
    const [ll, priv, gw, host, llUdp] = await Promise.all([
      probe(SANDBOX_A, LINK_LOCAL, NS_PORT),
      probe(SANDBOX_A, PRIVATE, NS_PORT),
      probe(SANDBOX_A, net.gateway, otherPort),
      probe(SANDBOX_A, HOST_VETH_IP, closedPort),
      probe(SANDBOX_A, LINK_LOCAL, 53, true),
    ]);
    // So the targets are real and routed: the firewall is what blocks them below.
    expect(ll.r).toBe(`open ns ${LINK_LOCAL}`);
    expect(priv.r).toBe(`open ns ${PRIVATE}`);
    expect(gw.r).toBe('open host other');
    expect(host.r).toBe('ECONNREFUSED');
    expect(llUdp.r).toBe('ECONNREFUSED'); // the namespace's port-unreachable
  });

  it('with the firewall, link-local, private, host and other-sandbox addresses are refused at once', async () => {
    await fw.install();
    await fw.check();
    const targets: Array<[string, number]> = [
      [LINK_LOCAL, NS_PORT],
      [PRIVATE, NS_PORT],
      [net.gateway, otherPort],
      ...hostAddresses.map((a): [string, number] => [a, closedPort]),
      ...hostAddresses.map((a): [string, number] => [a, proxyPort]),
      [sandboxBIp, 8080],
    ];
    // One at a time, so each refusal shows in the counter.
    for (const [host, port] of targets) {
      const before = await refusals();
      const res = await probe(SANDBOX_A, host, port);
      // A reset at once, not a silent drop that hangs until the timeout.
      expect({ host, port, r: res.r, fast: res.ms < 1000 }).toEqual({ host, port, r: 'ECONNREFUSED', fast: true });
      expect(await refusals(), `${host}:${port} refused by the firewall`).toBeGreaterThan(before);
    }
    // Not TCP: "administratively prohibited".
    expect((await probe(SANDBOX_A, LINK_LOCAL, 53, true)).r).toBe('EHOSTUNREACH');
  });

  it('with the firewall, the internet (here a stand-in) and the model proxy port still answer', async () => {
    const [control, proxy] = await Promise.all([
      probe(SANDBOX_A, CONTROL, NS_PORT),
      probe(SANDBOX_A, net.gateway, proxyPort),
    ]);
    expect(control.r).toBe(`open ns ${CONTROL}`);
    expect(proxy.r).toBe('open host proxy');
  });

  it('with the firewall, the listed DNS server is reachable on port 53 only', async () => {
    const [dns, web] = await Promise.all([probe(SANDBOX_A, PRIVATE, 53, true), probe(SANDBOX_A, PRIVATE, NS_PORT)]);
    expect(dns.r).toBe('ECONNREFUSED'); // the namespace answered (nothing listens on 53 there)
    expect(web.r).toBe('ECONNREFUSED');
    const before = await refusals();
    await probe(SANDBOX_A, PRIVATE, 53, true);
    expect(await refusals()).toBe(before);
  });

  it("with the firewall, Docker's embedded DNS resolves sandbox names, and IPv6 is off", async () => {
    const resolve = (name: string) =>
      sh('docker', [
        'exec',
        SANDBOX_A,
        'python3',
        '-c',
        'import socket,sys; print(socket.gethostbyname(sys.argv[1]))',
        name,
      ]);
    expect((await resolve(SANDBOX_B)).trim()).toBe(sandboxBIp);
    expect((await resolve(SANDBOX_A)).trim()).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    // With IPv6 off in the sandbox, the IPv4 rules are the whole story.
    const v6 = await sh('docker', ['exec', SANDBOX_A, 'cat', '/proc/sys/net/ipv6/conf/all/disable_ipv6']);
    expect(v6.trim()).toBe('1');
  });

  it('check() names a rule deleted by hand; install() puts it back without doubling the jumps', async () => {
    const chain = `AP-FWD-${net.bridge}`;
    await sh('iptables', ['-w', '-D', chain, '-d', '169.254.0.0/16', '-j', `AP-REJ-${net.bridge}`]);
    await expect(fw.check()).rejects.toThrow(/169\.254\.0\.0\/16/);
    await fw.install();
    await fw.check();
    await sh('iptables', ['-w', '-I', chain, '1', '-j', 'RETURN']);
    await expect(fw.check()).rejects.toThrow(/expected/);
    await fw.install();
    await fw.check();
    const jumps = (await ourRules()).filter((l) => /^-A (DOCKER-USER|INPUT) /.test(l));
    expect(jumps).toEqual([
      `-A INPUT -i ${net.bridge} -j AP-IN-${net.bridge}`,
      `-A DOCKER-USER -i ${net.bridge} -j ${chain}`,
    ]);
    expect((await probe(SANDBOX_A, LINK_LOCAL, NS_PORT)).r).toBe('ECONNREFUSED');
  });

  it('remove() takes every rule away, and the link-local target answers again', async () => {
    await fw.remove();
    await fw.remove();
    expect((await ourRules()).filter((l) => l.includes('AP-'))).toEqual([]);
    await expect(fw.check()).rejects.toThrow(/missing/);
    expect((await probe(SANDBOX_A, LINK_LOCAL, NS_PORT)).r).toBe(`open ns ${LINK_LOCAL}`);
  });

  it('sandboxFirewall refuses values that would not be one iptables argument', () => {
    const ok = { name: 'n', bridge: 'ap-00000000', subnet: '10.0.0.0/24', gateway: '10.0.0.1' };
    expect(() =>
      sandboxFirewall(ok, { allowHostTcpPorts: [8080], dnsServers: ['1.1.1.1\n-A INPUT -j ACCEPT'] }),
    ).toThrow(/not an IPv4 address/);
    expect(() => sandboxFirewall({ ...ok, bridge: 'br 0' }, { allowHostTcpPorts: [] })).toThrow(/bridge name/);
    expect(() => sandboxFirewall(ok, { allowHostTcpPorts: [70000] })).toThrow(/TCP port/);
  });

  it('ensureSandboxNetwork: concurrent calls make one network; a foreign one of that name is refused', async () => {
    const name = `ap-t-${pid}-x`;
    const subnet = `10.${200 + (o3 % 50)}.${o4}.0/24`;
    try {
      const nets = await Promise.all([1, 2, 3, 4].map(() => ensureSandboxNetwork(docker, { name, subnet })));
      const gateway = subnet.replace(/0\/24$/, '1');
      for (const n of nets) expect(n).toEqual({ name, bridge: bridgeName(name), subnet, gateway });
      expect(await ensureSandboxNetwork(docker, { name })).toEqual(nets[0]);
      expect(await docker.listNetworks({ filters: { name: [name] } })).toHaveLength(1);
      await expect(ensureSandboxNetwork(docker, { name, subnet: '10.199.0.0/24' })).rejects.toThrow(/subnet/);
    } finally {
      await removeSandboxNetwork(docker, name);
      await removeSandboxNetwork(docker, name);
    }
    const foreign = `ap-t-${pid}-y`;
    await docker.createNetwork({ Name: foreign, Labels: { 'agent-platform.test': String(pid) } });
    try {
      await expect(ensureSandboxNetwork(docker, { name: foreign })).rejects.toThrow(/not a sandbox network/);
    } finally {
      await removeSandboxNetwork(docker, foreign);
    }
  });
});
