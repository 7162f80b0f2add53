import { chmodSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { AppError } from '@agent-platform/core/errors';
import type { SandboxRuntime } from '@agent-platform/core/ports';
import Docker from 'dockerode';
import type { RunnerConfig } from '../config.js';
import type { Logger } from '../log.js';
import { BubblewrapRuntime, bubblewrapAvailable } from './bubblewrap.js';
import { DockerRuntime, removeDockerSandboxes } from './docker.js';
import { HostRuntime } from './host.js';
import { ensureSandboxNetwork, removeSandboxNetwork, sandboxFirewall } from './network.js';

/** The sandbox runtime a runner uses, and what it needs around it. */
export interface SandboxSetup {
  runtime: SandboxRuntime;
  /** The address the model proxy listens on: where sandboxes reach the runner. */
  proxyHost: string;
  /** Once the model proxy listens: shuts the sandboxes off from everything on this machine but it. */
  secure(proxyPort: number): Promise<void>;
  /** Said at start-up when the runtime is weaker than Docker. */
  warning: string | undefined;
  close(): Promise<void>;
  /** Removes every sandbox, volume and firewall rule this setup made (tests, uninstall). */
  destroy(): Promise<void>;
}

/** The Claude Code native binary that the Agent SDK installed (mounted or bound into sandboxes). */
export function claudeBinaryPath(): string {
  const require = createRequire(import.meta.url);
  return path.join(
    path.dirname(require.resolve(`@anthropic-ai/claude-agent-sdk-${process.platform}-${process.arch}/package.json`)),
    'claude',
  );
}

/** The IPv4 resolvers of this machine (loopback stubs excluded: Docker does not use them). */
export function hostNameservers(file = '/etc/resolv.conf'): string[] {
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const out = new Set<string>();
  for (const line of text.split('\n')) {
    const m = /^\s*nameserver\s+(\d{1,3}(?:\.\d{1,3}){3})\s*$/.exec(line);
    if (m?.[1] && !m[1].startsWith('127.')) out.add(m[1]);
  }
  return [...out];
}

async function engineAnswers(docker: Docker): Promise<boolean> {
  try {
    await Promise.race([
      docker.ping(),
      new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 2000).unref()),
    ]);
    return true;
  } catch {
    return false;
  }
}

const HOST_WARNING =
  'Sandbox: host. Claude Code runs directly on this machine, without isolation: for one local user only.';
const BWRAP_WARNING =
  'Sandbox: bubblewrap. Files and processes are isolated, but network access is not filtered and there are no memory or CPU limits: use Docker for several users.';

/**
 * Picks the runtime SANDBOX asks for. `auto`: Docker when an engine answers and the workspace
 * image is there, else bubblewrap when it works here, else the host (with a warning).
 */
export async function setUpSandboxes(config: RunnerConfig, log: Logger): Promise<SandboxSetup> {
  const want = config.sandbox.kind;
  const claudeBinary = claudeBinaryPath();
  const onStderr = (userId: string, line: string) => log.debug('sandbox stderr', { userId, line: line.slice(0, 2000) });

  if (want === 'docker' || want === 'auto') {
    const docker = new Docker();
    if (await engineAnswers(docker)) {
      try {
        return await dockerSetup(config, log, docker, claudeBinary);
      } catch (e) {
        if (want === 'docker') throw e;
        log.warn('Docker answers but cannot host sandboxes; trying the next runtime', {
          error: e instanceof Error ? e.message : String(e),
        });
      }
    } else if (want === 'docker') {
      throw new AppError(
        'SANDBOX_UNAVAILABLE',
        'SANDBOX=docker but no Docker engine answers (DOCKER_HOST or /var/run/docker.sock). Start dockerd (docker/ensure-docker.sh) or set SANDBOX=auto.',
        { reason: 'engine_unreachable' },
      );
    }
  }
  if (want === 'bubblewrap' || want === 'auto') {
    if (await bubblewrapAvailable()) {
      // bwrap runs as the sandbox's uid (1000), which must pass through the data folder to reach
      // the homes under it: traversable, not listable; the files in it are owner-only.
      if (process.getuid?.() === 0) chmodSync(config.dataDir, 0o711);
      const runtime = new BubblewrapRuntime({ dataDir: config.dataDir, claudeBinary, onStderr });
      return plain(runtime, BWRAP_WARNING);
    }
    if (want === 'bubblewrap') {
      throw new AppError(
        'SANDBOX_UNAVAILABLE',
        'SANDBOX=bubblewrap but bwrap cannot make a sandbox here. Install it (apt-get install bubblewrap) or set SANDBOX=auto.',
        { reason: 'start_failed' },
      );
    }
  }
  return plain(new HostRuntime({ dataDir: config.dataDir, onStderr }), HOST_WARNING);
}

function plain(runtime: SandboxRuntime, warning: string): SandboxSetup {
  return {
    runtime,
    proxyHost: '127.0.0.1',
    secure: async () => {},
    warning,
    close: () => runtime.close(),
    destroy: () => runtime.close(),
  };
}

async function dockerSetup(
  config: RunnerConfig,
  log: Logger,
  docker: Docker,
  claudeBinary: string,
): Promise<SandboxSetup> {
  const s = config.sandbox;
  const network = await ensureSandboxNetwork(docker, {
    name: s.network,
    ...(s.subnet ? { subnet: s.subnet } : {}),
  });
  const runtime = new DockerRuntime({
    docker,
    image: s.image,
    network,
    instance: s.instance,
    claudeBinary,
    limits: s.limits,
    idleMs: s.idleMs,
    warmPool: s.warmPool,
    log,
  });
  let firewall: ReturnType<typeof sandboxFirewall> | undefined;
  return {
    runtime,
    proxyHost: network.gateway,
    secure: async (proxyPort) => {
      // Docker's embedded DNS forwards from inside the sandbox: the host's resolvers must stay
      // reachable on port 53 (only), even where they sit in a blocked range.
      firewall = sandboxFirewall(network, { allowHostTcpPorts: [proxyPort], dnsServers: hostNameservers() });
      await firewall.install();
      await firewall.check();
      log.info('sandbox network shut', { network: network.name, bridge: network.bridge, proxyPort });
      // Only now may sandboxes run: adopt the earlier run's containers and fill the pool.
      await runtime.init();
    },
    warning: undefined,
    close: () => runtime.close(),
    destroy: async () => {
      await runtime.destroyAll();
      await firewall?.remove();
      await removeSandboxNetwork(docker, network.name);
    },
  };
}

/**
 * Removes what a Docker runner instance left on this engine: its containers and volumes, the
 * sandbox network's firewall rules and the network (tests, uninstall).
 */
export async function removeDockerInstance(opts: { instance: string; network: string }): Promise<void> {
  const docker = new Docker();
  await removeDockerSandboxes(docker, opts.instance);
  const nets = await docker.listNetworks({ filters: { name: [opts.network] } });
  if (!nets.some((n) => n.Name === opts.network)) return;
  const network = await ensureSandboxNetwork(docker, { name: opts.network });
  await sandboxFirewall(network, { allowHostTcpPorts: [] }).remove();
  await removeSandboxNetwork(docker, opts.network);
}
