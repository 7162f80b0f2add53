import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { SandboxStateChange } from '@agent-platform/core/ports';
import Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import { describeSandboxContract, run } from '../../../test/contracts/sandbox.contract.js';
import { createLogger } from '../log.js';
import { DockerRuntime } from './docker.js';

const claudeBinary = path.resolve('node_modules/@anthropic-ai/claude-agent-sdk-linux-x64/claude');
const image = process.env.SANDBOX_IMAGE ?? 'agent-platform/workspace:latest';

async function makeRuntime(extra: Partial<ConstructorParameters<typeof DockerRuntime>[0]> = {}) {
  const docker = new Docker();
  await docker.ping().catch((e: Error) => {
    throw new Error(
      `No Docker engine answers (${e.message}). Run docker/ensure-docker.sh, then docker/workspace/build-offline.sh.`,
    );
  });
  const runtime = new DockerRuntime({
    docker,
    image,
    network: { name: 'bridge', gateway: '172.17.0.1' },
    instance: `t${randomBytes(4).toString('hex')}`,
    claudeBinary,
    idleMs: 0,
    log: createLogger('error'),
    ...extra,
  });
  await runtime.init();
  return runtime;
}

describeSandboxContract(
  'docker',
  async () => {
    const runtime = await makeRuntime();
    return { runtime, cleanup: () => runtime.destroyAll() };
  },
  { isolatesUsers: true },
);

describe('DockerRuntime', () => {
  const user = (n: string) => `docker-user-${n}-${process.pid}`;

  it('hardens the container: non-root, no capabilities, no new privileges, read-only root, limits, only the volume and the read-only Claude binary', async () => {
    const runtime = await makeRuntime({ limits: { memoryBytes: 512 * 1024 ** 2, cpus: 0.5, pids: 128 } });
    try {
      const s = await runtime.ensure(user('h'));
      const info = await new Docker().getContainer(runtime.containerName(user('h'))).inspect();
      const hc = info.HostConfig;
      expect(info.Config.User).toBe('1000:1000');
      expect(hc.CapDrop).toEqual(['ALL']);
      expect(hc.CapAdd ?? []).toEqual([]);
      expect(hc.SecurityOpt).toContain('no-new-privileges:true');
      expect(hc.ReadonlyRootfs).toBe(true);
      expect(hc.Privileged).toBe(false);
      expect([hc.Memory, hc.MemorySwap, hc.NanoCpus, hc.PidsLimit]).toEqual([
        512 * 1024 ** 2,
        512 * 1024 ** 2,
        5e8,
        128,
      ]);
      expect(info.Mounts.map((m) => [m.Type, m.Destination, m.RW])).toEqual(
        expect.arrayContaining([
          ['volume', '/home/agent', true],
          ['bind', '/opt/claude/claude', false],
        ]),
      );
      expect(info.Mounts).toHaveLength(2);
      expect(info.Mounts.some((m) => m.Source.includes('docker.sock'))).toBe(false);
      const r = await run(
        runtime,
        s,
        'id -u; touch /etc/x 2>/dev/null || echo ro-root; touch /tmp/x && echo tmp-ok; ls /var/run/docker.sock 2>/dev/null || echo no-socket; /opt/claude/claude --version >/dev/null && echo claude-runs; pwd',
      );
      expect(r.out.split('\n')).toEqual([
        '1000',
        'ro-root',
        'tmp-ok',
        'no-socket',
        'claude-runs',
        '/home/agent/workspace',
        '',
      ]);
    } finally {
      await runtime.destroyAll();
    }
  });

  it('reports progress while starting, then ready; a second ensure is instant and silent', async () => {
    const runtime = await makeRuntime();
    try {
      const seen: string[] = [];
      await runtime.ensure(user('e'), {
        onState: (c) => seen.push(c.state === 'starting' ? `starting:${c.step}` : c.state),
      });
      expect(seen).toEqual(['starting:create', 'starting:start', 'ready']);
      const again: string[] = [];
      await runtime.ensure(user('e'), { onState: (c) => again.push(c.state) });
      expect(again).toEqual([]);
      await runtime.stop(user('e'));
      const restart: string[] = [];
      await runtime.ensure(user('e'), {
        onState: (c) => restart.push(c.state === 'starting' ? `starting:${c.step}` : c.state),
      });
      expect(restart).toEqual(['starting:start', 'ready']);
    } finally {
      await runtime.destroyAll();
    }
  });

  it('kills a process inside the container and reports the exit', async () => {
    const runtime = await makeRuntime();
    try {
      const s = await runtime.ensure(user('k'));
      const proc = runtime.spawn(s, { command: 'sleep', args: ['100'], env: {} });
      const exit = new Promise<[number | null, string | null]>((r) => proc.once('exit', (c, sig) => r([c, sig])));
      await new Promise((r) => setTimeout(r, 300));
      expect(proc.kill('SIGTERM')).toBe(true);
      expect(await exit).toEqual([null, 'SIGTERM']);
      expect(proc.killed).toBe(true);
      expect((await run(runtime, s, 'pgrep -f "^sleep 100$" || echo none')).out).toBe('none\n');
    } finally {
      await runtime.destroyAll();
    }
  });

  it('a new runtime adopts the running container of an earlier one, with its files', async () => {
    const instance = `t${randomBytes(4).toString('hex')}`;
    const first = await makeRuntime({ instance });
    const second = await makeRuntime({ instance });
    try {
      const a = await first.ensure(user('a'));
      await run(first, a, 'echo from-first > f.txt');
      await first.close();
      const seen: string[] = [];
      const b = await second.ensure(user('a'), { onState: (c) => seen.push(c.state) });
      expect(b.sandboxId).toBe(a.sandboxId);
      expect(seen).toEqual(['ready']);
      expect((await run(second, b, 'cat f.txt')).out).toBe('from-first\n');
      const named = await new Docker().listContainers({
        all: true,
        filters: { name: [second.containerName(user('a'))] },
      });
      expect(named).toHaveLength(1);
    } finally {
      await second.destroyAll();
    }
  });

  it('hands a new user a container from the warm pool, and refills it', async () => {
    const runtime = await makeRuntime({ warmPool: 1 });
    try {
      const docker = new Docker();
      const poolOf = async () =>
        (await docker.listContainers({ filters: { label: [`agent-platform.role=pool`] } })).filter((c) =>
          c.Names.some((n) => n.startsWith(`/${runtime.containerName('x').split('-u-')[0]}-pool-`)),
        );
      await expect.poll(async () => (await poolOf()).length, { timeout: 10_000 }).toBe(1);
      const [pooled] = await poolOf();
      const seen: string[] = [];
      const s = await runtime.ensure(user('w'), {
        onState: (c) => seen.push(c.state === 'starting' ? c.step : c.state),
      });
      expect(seen).toEqual(['pool', 'ready']);
      expect(s.sandboxId).toBe(pooled?.Id);
      expect((await run(runtime, s, 'echo ok > w.txt && cat w.txt')).out).toBe('ok\n');
      await expect.poll(async () => (await poolOf()).length, { timeout: 10_000 }).toBe(1);
      // Stopped and started again, it is still the same home.
      await runtime.stop(user('w'));
      const back = await runtime.ensure(user('w'));
      expect((await run(runtime, back, 'cat w.txt')).out).toBe('ok\n');
    } finally {
      await runtime.destroyAll();
    }
  });

  it('reports a program stopped at the memory limit, and the container lives on', async () => {
    const runtime = await makeRuntime({ limits: { memoryBytes: 128 * 1024 ** 2, cpus: 1, pids: 64 } });
    const changes: SandboxStateChange[] = [];
    runtime.watch((u, c) => {
      if (u === user('m')) changes.push(c);
    });
    try {
      const s = await runtime.ensure(user('m'));
      const hog = await run(runtime, s, 'python3 -c "a = bytearray(512 * 1024 * 1024)"; echo "exit:$?"');
      expect(hog.out).toBe('exit:137\n');
      await expect
        .poll(() => changes.find((c) => c.state === 'failed'), { timeout: 10_000 })
        .toMatchObject({
          state: 'failed',
          reason: 'oom',
          message: expect.stringContaining('more than 128 MiB'),
        });
      expect((await run(runtime, s, 'echo alive')).out).toBe('alive\n');
    } finally {
      await runtime.destroyAll();
    }
  });

  it('reports a container that was killed, with its exit code, then starts it again with the files', async () => {
    const runtime = await makeRuntime();
    const changes: string[] = [];
    runtime.watch((u, c) => {
      if (u === user('o')) changes.push(c.state === 'failed' ? `failed:${c.reason}:${c.exitCode}` : c.state);
    });
    try {
      const s = await runtime.ensure(user('o'));
      await run(runtime, s, 'echo kept > k.txt');
      const docker = new Docker();
      await docker.getContainer(runtime.containerName(user('o'))).kill({ signal: 'SIGKILL' });
      await expect.poll(() => changes.includes('failed:exited:137'), { timeout: 10_000 }).toBe(true);
      const back = await runtime.ensure(user('o'));
      expect((await run(runtime, back, 'cat k.txt')).out).toBe('kept\n');
    } finally {
      await runtime.destroyAll();
    }
  });

  it('stops a container that has had no process for the idle time, and says why', async () => {
    const runtime = await makeRuntime({ idleMs: 300 });
    const changes: string[] = [];
    runtime.watch((u, c) => {
      if (u === user('i')) changes.push(c.state === 'stopped' ? `stopped:${c.why}` : c.state);
    });
    try {
      const s = await runtime.ensure(user('i'));
      // A process keeps it awake past the idle time.
      expect((await run(runtime, s, 'sleep 0.6; echo awake')).out).toBe('awake\n');
      expect(changes).not.toContain('stopped:idle');
      await expect.poll(() => changes.includes('stopped:idle'), { timeout: 5_000 }).toBe(true);
      const info = await new Docker().getContainer(runtime.containerName(user('i'))).inspect();
      expect(info.State.Running).toBe(false);
    } finally {
      await runtime.destroyAll();
    }
  });

  it('reports a container that cannot be created as a failed start with the reason', async () => {
    // Docker refuses a memory limit this small: a real engine error, not a stand-in.
    const runtime = await makeRuntime({ limits: { memoryBytes: 1024 * 1024, cpus: 1, pids: 64 } });
    try {
      const seen: string[] = [];
      const err = await runtime
        .ensure(user('f'), { onState: (c) => seen.push(c.state === 'failed' ? `failed:${c.reason}` : c.state) })
        .catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'SANDBOX_UNAVAILABLE', details: { reason: 'start_failed' } });
      expect((err as Error).message).toMatch(/Your workspace could not be started \(.*memory/i);
      expect(seen).toEqual(['starting', 'failed:start_failed']);
    } finally {
      await runtime.destroyAll();
    }
  });

  it('says how to build the image when it is missing', async () => {
    await expect(makeRuntime({ image: 'agent-platform/workspace:not-built' })).rejects.toThrow(
      /not installed\. Build it with docker\/workspace\/build-offline\.sh/,
    );
  });
});
