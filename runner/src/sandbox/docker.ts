import { randomBytes } from 'node:crypto';
import { AppError } from '@agent-platform/core/errors';
import type {
  Sandbox,
  SandboxEnsureOptions,
  SandboxProcess,
  SandboxRuntime,
  SandboxSpawnOptions,
  SandboxStateChange,
} from '@agent-platform/core/ports';
import type Docker from 'dockerode';
import type { Logger } from '../log.js';
import { PendingStarts, sandboxGone } from './common.js';
import { DockerExecProcess } from './docker-process.js';
import { sandboxName } from './host.js';

export interface SandboxLimits {
  memoryBytes: number;
  cpus: number;
  pids: number;
}

export const defaultSandboxLimits: SandboxLimits = { memoryBytes: 1024 ** 3, cpus: 1, pids: 256 };

export interface DockerRuntimeOptions {
  docker: Docker;
  /** The workspace image (docker/workspace). */
  image: string;
  /** The sandbox bridge network and its gateway (the address sandboxes reach the runner at). */
  network: { name: string; gateway: string };
  /**
   * Names this runner's containers and volumes (`ap-<instance>-...`) and labels them, so that a
   * restarted runner adopts exactly its own and two runners on one engine never meet.
   */
  instance: string;
  /** Host path of the Claude Code native binary, mounted read-only at /opt/claude/claude. */
  claudeBinary: string;
  limits?: SandboxLimits;
  /** A container with no process for this long is stopped (its volume stays). 0: never. */
  idleMs: number;
  /** Started, unassigned containers kept ready for users who have none yet. */
  warmPool?: number;
  log: Logger;
}

const HOME = '/home/agent';
const CLAUDE_IN_SANDBOX = '/opt/claude/claude';
const USER = '1000:1000';
const LABEL_INSTANCE = 'agent-platform.instance';
const LABEL_ROLE = 'agent-platform.role';
const POOL_REFILL_DELAY_MS = 3000;
const SANDBOX_PATH = `${HOME}/.local/bin:/usr/local/bin:/usr/bin:/bin`;

interface Slot {
  userId: string;
  container: Docker.Container;
  sandbox: Sandbox;
  processes: number;
  idleTimer: NodeJS.Timeout | undefined;
  /** Set while we stop it ourselves, so its death is not reported as a failure. */
  stopping: boolean;
}

const isNotFound = (e: unknown): boolean => (e as { statusCode?: number } | null)?.statusCode === 404;
const isConflict = (e: unknown): boolean => (e as { statusCode?: number } | null)?.statusCode === 409;

/**
 * One hardened container per user (dockerode): created on first need from the warm pool or the
 * image, reused, stopped when idle and started again on demand; the user's volume at /home/agent
 * keeps workspace files and Claude's transcripts. Claude Code runs in it through `docker exec`.
 */
export class DockerRuntime implements SandboxRuntime {
  readonly kind = 'docker' as const;
  private readonly slots = new Map<string, Slot>();
  private readonly byName = new Map<string, string>();
  private readonly pending = new PendingStarts();
  /** Stops under way: a start waits for them, so it never finds a container about to go down. */
  private readonly stopping = new Map<string, Promise<void>>();
  private readonly listeners = new Set<(userId: string, change: SandboxStateChange) => void>();
  private readonly pool: Docker.Container[] = [];
  private poolFilling: Promise<void> | null = null;
  private refillTimer: NodeJS.Timeout | undefined;
  private events: NodeJS.ReadableStream | null = null;
  private closed = false;
  private readonly limits: SandboxLimits;

  constructor(private readonly o: DockerRuntimeOptions) {
    this.limits = o.limits ?? defaultSandboxLimits;
  }

  /** The container's name for a user. */
  containerName(userId: string): string {
    return `ap-${this.o.instance}-${sandboxName(userId)}`;
  }

  /**
   * Checks the engine and the image, adopts this instance's containers left by an earlier run
   * (running ones are reused, stale pool members removed), watches container deaths, and fills
   * the warm pool.
   */
  async init(): Promise<void> {
    await this.checkImage();
    await this.adopt();
    await this.watchEngine();
    this.fillPool();
  }

  async ensure(userId: string, opts: SandboxEnsureOptions = {}): Promise<Sandbox> {
    const slot = this.slots.get(userId);
    if (slot && !slot.stopping) return slot.sandbox;
    return this.pending.run(userId, () => this.makeReady(userId, opts.onState ?? (() => {})));
  }

  spawn(sandbox: Sandbox, opts: SandboxSpawnOptions): SandboxProcess {
    const slot = this.slots.get(sandbox.userId);
    if (!slot || slot.sandbox.sandboxId !== sandbox.sandboxId) {
      throw sandboxGone();
    }
    clearTimeout(slot.idleTimer);
    slot.processes++;
    const command = opts.command === this.o.claudeBinary ? CLAUDE_IN_SANDBOX : opts.command;
    const env = Object.entries({
      ...opts.env,
      PATH: SANDBOX_PATH,
      HOME,
      CLAUDE_CONFIG_DIR: `${HOME}/.claude`,
      TMPDIR: '/tmp',
      USER: 'agent',
    })
      .filter((e): e is [string, string] => e[1] !== undefined)
      .map(([k, v]) => `${k}=${v}`);
    const proc = new DockerExecProcess({
      docker: this.o.docker,
      container: slot.container,
      cmd: [command, ...opts.args],
      cwd: opts.cwd ?? sandbox.workspaceDir,
      env,
      user: USER,
      signal: opts.signal,
      onStderr: (line) => this.o.log.debug('sandbox stderr', { userId: sandbox.userId, line: line.slice(0, 2000) }),
    });
    proc.once('exit', () => {
      slot.processes--;
      this.armIdle(slot);
    });
    return proc as unknown as SandboxProcess;
  }

  async stop(userId: string): Promise<void> {
    await this.pending.settled(userId);
    const slot = this.slots.get(userId);
    if (!slot) return;
    await this.stopSlot(slot, 'request');
  }

  watch(listener: (userId: string, change: SandboxStateChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Removes a user's container (its volume stays unless `withVolume`); revokes its credentials. */
  async remove(userId: string, opts: { withVolume?: boolean } = {}): Promise<void> {
    const slot = this.slots.get(userId);
    if (slot) slot.stopping = true;
    const container = this.o.docker.getContainer(this.containerName(userId));
    const info = await container.inspect().catch((e: unknown) => (isNotFound(e) ? null : Promise.reject(e)));
    if (!info) return;
    await container.remove({ force: true });
    this.forget(userId);
    this.emit(userId, { state: 'removed', sandboxId: info.Id });
    if (opts.withVolume) {
      for (const m of info.Mounts) if (m.Type === 'volume' && m.Name) await this.removeVolume(m.Name);
    }
  }

  /** Stops the watcher and the pool; user containers keep running for the next runner to adopt. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.refillTimer);
    (this.events as { destroy?: () => void } | null)?.destroy?.();
    for (const slot of this.slots.values()) clearTimeout(slot.idleTimer);
    await this.poolFilling;
    await Promise.all(
      this.pool.splice(0).map(async (c) => {
        const info = await c.inspect().catch(() => null);
        await c.remove({ force: true }).catch(() => {});
        for (const m of info?.Mounts ?? []) if (m.Type === 'volume' && m.Name) await this.removeVolume(m.Name);
      }),
    );
  }

  /** Stops and removes every container and volume of this instance (tests, uninstall). */
  async destroyAll(): Promise<void> {
    await this.close();
    await removeDockerSandboxes(this.o.docker, this.o.instance);
    this.slots.clear();
  }

  private async makeReady(userId: string, onState: (c: SandboxStateChange) => void): Promise<Sandbox> {
    const began = performance.now();
    await this.stopping.get(userId);
    const report = (c: SandboxStateChange) => {
      onState(c);
      this.emit(userId, c);
    };
    const name = this.containerName(userId);
    try {
      let container = this.o.docker.getContainer(name);
      let info = await container.inspect().catch((e: unknown) => (isNotFound(e) ? null : Promise.reject(e)));
      // A container from the pool keeps the volume it was made with: its home is found through it.
      const homeVolume = info?.Mounts.find((m) => m.Destination === HOME)?.Name ?? `${name}-home`;
      if (info && !info.State.Running) {
        report({ state: 'starting', step: 'start', progress: 0.3 });
        try {
          await container.start();
        } catch (e) {
          // A container that cannot start again is made anew on the same volume.
          this.o.log.warn('sandbox did not start again; recreating it', { userId, error: e });
          await container.remove({ force: true });
          this.emit(userId, { state: 'removed', sandboxId: info.Id });
          info = null;
        }
      }
      if (!info) {
        // The pool is for users with no home yet; one whose container was removed keeps their volume.
        const fresh = !info && !(await this.volumeExists(homeVolume));
        const pooled = fresh ? this.takeFromPool() : undefined;
        if (pooled) {
          report({ state: 'starting', step: 'pool', progress: 0.5 });
          await pooled.rename({ name });
          container = this.o.docker.getContainer(name);
        } else {
          report({ state: 'starting', step: 'create', progress: 0.1 });
          container = await this.create(name, homeVolume, 'sandbox');
          report({ state: 'starting', step: 'start', progress: 0.5 });
          await container.start();
        }
        info = await container.inspect();
      }
      const slot = this.remember(userId, container, info.Id);
      report({ state: 'ready', ms: Math.round(performance.now() - began) });
      this.armIdle(slot);
      this.fillPoolSoon();
      return slot.sandbox;
    } catch (e) {
      const failure = this.describeFailure(e);
      report({ state: 'failed', reason: failure.reason, message: failure.message });
      throw new AppError('SANDBOX_UNAVAILABLE', failure.message, { reason: failure.reason });
    }
  }

  private describeFailure(e: unknown): {
    reason: 'image_missing' | 'engine_unreachable' | 'start_failed';
    message: string;
  } {
    if (e instanceof AppError && e.details?.reason === 'image_missing')
      return { reason: 'image_missing', message: e.message };
    const code = (e as { code?: string } | null)?.code;
    if (code === 'ECONNREFUSED' || code === 'ENOENT' || code === 'EACCES') {
      return {
        reason: 'engine_unreachable',
        message: 'The Docker engine does not answer, so your workspace cannot start.',
      };
    }
    if (isNotFound(e) && String((e as Error).message).includes('image')) return this.imageMissing();
    const why = e instanceof Error ? e.message : String(e);
    return { reason: 'start_failed', message: `Your workspace could not be started (${why.slice(0, 300)}).` };
  }

  private imageMissing(): { reason: 'image_missing'; message: string } {
    return {
      reason: 'image_missing',
      message: `The workspace image ${this.o.image} is not installed. Build it with docker/workspace/build-offline.sh (no registry needed) or \`docker build -t ${this.o.image} docker/workspace\`.`,
    };
  }

  private async checkImage(): Promise<void> {
    try {
      await this.o.docker.getImage(this.o.image).inspect();
    } catch (e) {
      if (!isNotFound(e)) throw e;
      const m = this.imageMissing();
      throw new AppError('SANDBOX_UNAVAILABLE', m.message, { reason: m.reason });
    }
  }

  private async create(name: string, volume: string, role: 'sandbox' | 'pool'): Promise<Docker.Container> {
    const { limits } = this;
    try {
      return await this.o.docker.createContainer({
        name,
        Image: this.o.image,
        User: USER,
        WorkingDir: HOME,
        Hostname: 'workspace',
        Labels: { [LABEL_INSTANCE]: this.o.instance, [LABEL_ROLE]: role },
        Env: [`HOME=${HOME}`, `PATH=${SANDBOX_PATH}`],
        HostConfig: {
          NetworkMode: this.o.network.name,
          Memory: limits.memoryBytes,
          // No swap beyond the memory limit: a hog is stopped, not slowed to a crawl.
          MemorySwap: limits.memoryBytes,
          NanoCpus: Math.round(limits.cpus * 1e9),
          PidsLimit: limits.pids,
          CapDrop: ['ALL'],
          SecurityOpt: ['no-new-privileges:true'],
          ReadonlyRootfs: true,
          Tmpfs: { '/tmp': 'rw,nosuid,nodev,size=512m', '/run': 'rw,nosuid,nodev,noexec,size=16m' },
          Mounts: [
            { Type: 'volume', Source: volume, Target: HOME },
            { Type: 'bind', Source: this.o.claudeBinary, Target: CLAUDE_IN_SANDBOX, ReadOnly: true },
          ],
          RestartPolicy: { Name: 'no' },
        },
      });
    } catch (e) {
      if (isNotFound(e)) {
        const m = this.imageMissing();
        throw new AppError('SANDBOX_UNAVAILABLE', m.message, { reason: m.reason });
      }
      throw e;
    }
  }

  private remember(userId: string, container: Docker.Container, id: string): Slot {
    const old = this.slots.get(userId);
    if (old) clearTimeout(old.idleTimer);
    const slot: Slot = {
      userId,
      container,
      processes: 0,
      idleTimer: undefined,
      stopping: false,
      sandbox: {
        userId,
        runtime: this.kind,
        homeDir: HOME,
        workspaceDir: `${HOME}/workspace`,
        sandboxId: id,
        runnerAddress: this.o.network.gateway,
      },
    };
    this.slots.set(userId, slot);
    this.byName.set(this.containerName(userId), userId);
    return slot;
  }

  private forget(userId: string): void {
    const slot = this.slots.get(userId);
    if (slot) clearTimeout(slot.idleTimer);
    this.slots.delete(userId);
  }

  private armIdle(slot: Slot): void {
    clearTimeout(slot.idleTimer);
    if (this.o.idleMs <= 0 || slot.processes > 0 || this.closed) return;
    slot.idleTimer = setTimeout(() => void this.stopSlot(slot, 'idle'), this.o.idleMs);
    slot.idleTimer.unref();
  }

  private async stopSlot(slot: Slot, why: 'idle' | 'request'): Promise<void> {
    if (this.slots.get(slot.userId) !== slot) return;
    slot.stopping = true;
    clearTimeout(slot.idleTimer);
    this.forget(slot.userId);
    try {
      await slot.container.stop({ t: 2 });
    } catch (e) {
      // 304: already stopped; 404: already gone. Either way it is not running.
      const status = (e as { statusCode?: number }).statusCode;
      if (status !== 304 && !isNotFound(e))
        this.o.log.warn('could not stop a sandbox', { userId: slot.userId, error: e });
    }
    this.emit(slot.userId, { state: 'stopped', why });
  }

  /** Reports deaths the runtime did not cause (OOM, killed, crashed). */
  private async watchEngine(): Promise<void> {
    const stream = await this.o.docker.getEvents({
      filters: { type: ['container'], event: ['die', 'oom'], label: [`${LABEL_INSTANCE}=${this.o.instance}`] },
    });
    this.events = stream;
    let buf = '';
    stream.on('data', (d: Buffer) => {
      buf += d.toString('utf8');
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        void this.onEngineEvent(line);
      }
    });
    stream.on('error', (e: Error) => {
      if (!this.closed) this.o.log.warn('docker event stream failed', { error: e.message });
    });
  }

  private async onEngineEvent(line: string): Promise<void> {
    let ev: { Action?: string; Actor?: { ID?: string; Attributes?: Record<string, string> } };
    try {
      ev = JSON.parse(line);
    } catch {
      return;
    }
    const name = ev.Actor?.Attributes?.name;
    const userId = name ? this.byName.get(name) : undefined;
    if (!userId) return;
    const slot = this.slots.get(userId);
    if (!slot || slot.stopping || slot.sandbox.sandboxId !== ev.Actor?.ID) return;
    const mib = Math.round(this.limits.memoryBytes / 1024 ** 2);
    const limit = mib % 1024 === 0 ? `${mib / 1024} GiB` : `${mib} MiB`;
    if (ev.Action === 'oom') {
      // The kernel stopped a process in the container at the memory limit; the container itself
      // usually lives on (if it dies too, the 'die' that follows says so).
      this.emit(userId, {
        state: 'failed',
        reason: 'oom',
        message: `A program in your workspace needed more than ${limit} of memory and was stopped. Your files are kept.`,
      });
      return;
    }
    this.forget(userId);
    const info = await slot.container.inspect().catch(() => null);
    const exitCode = info?.State.ExitCode ?? Number(ev.Actor?.Attributes?.exitCode ?? Number.NaN);
    const oom = info?.State.OOMKilled === true;
    const gib = limit;
    this.emit(userId, {
      state: 'failed',
      reason: oom ? 'oom' : 'exited',
      exitCode: Number.isFinite(exitCode) ? exitCode : undefined,
      message: oom
        ? `Your workspace ran out of memory (${gib}) and was stopped. Your files are kept; send a message to start it again.`
        : `Your workspace stopped unexpectedly (exit code ${exitCode}). Your files are kept; send a message to start it again.`,
    });
  }

  /**
   * Containers of this instance left by an earlier run: a user's container (named for the user)
   * is adopted when it is found again; pool members are removed (a new pool is made).
   */
  private async adopt(): Promise<void> {
    const list = await this.o.docker.listContainers({
      all: true,
      filters: { label: [`${LABEL_INSTANCE}=${this.o.instance}`] },
    });
    const poolPrefix = `/ap-${this.o.instance}-pool-`;
    for (const c of list) {
      if (c.Names.some((n) => n.startsWith(poolPrefix))) {
        await this.o.docker
          .getContainer(c.Id)
          .remove({ force: true })
          .catch(() => {});
        for (const m of c.Mounts) if (m.Type === 'volume' && m.Name) await this.removeVolume(m.Name);
      }
    }
    const kept = list.length - list.filter((c) => c.Names.some((n) => n.startsWith(poolPrefix))).length;
    if (kept > 0) this.o.log.info('found sandboxes of an earlier run', { containers: kept });
  }

  private takeFromPool(): Docker.Container | undefined {
    return this.pool.shift();
  }

  /**
   * Refills the pool a little later: making a container right away competes for the CPU with the
   * Claude start-up that the user who took one is waiting for (measured: +150 ms on 2 cores).
   */
  private fillPoolSoon(): void {
    if (this.refillTimer || this.closed) return;
    this.refillTimer = setTimeout(() => {
      this.refillTimer = undefined;
      this.fillPool();
    }, POOL_REFILL_DELAY_MS);
    this.refillTimer.unref();
  }

  private fillPool(): void {
    const want = this.o.warmPool ?? 0;
    if (this.closed || this.poolFilling || this.pool.length >= want) return;
    this.poolFilling = (async () => {
      try {
        while (!this.closed && this.pool.length < want) {
          const name = `ap-${this.o.instance}-pool-${randomBytes(6).toString('hex')}`;
          const c = await this.create(name, `${name}-home`, 'pool');
          await c.start();
          if (this.closed) {
            await c.remove({ force: true });
            await this.removeVolume(`${name}-home`);
          } else {
            this.pool.push(c);
          }
        }
      } catch (e) {
        this.o.log.warn('could not fill the warm pool', { error: e });
      } finally {
        this.poolFilling = null;
      }
    })();
  }

  private async volumeExists(name: string): Promise<boolean> {
    try {
      await this.o.docker.getVolume(name).inspect();
      return true;
    } catch (e) {
      if (isNotFound(e)) return false;
      throw e;
    }
  }

  private async removeVolume(name: string): Promise<void> {
    try {
      await this.o.docker.getVolume(name).remove();
    } catch (e) {
      if (!isNotFound(e) && !isConflict(e)) this.o.log.warn('could not remove a volume', { volume: name, error: e });
    }
  }

  private emit(userId: string, change: SandboxStateChange): void {
    for (const l of this.listeners) {
      try {
        l(userId, change);
      } catch (e) {
        this.o.log.error('sandbox listener failed', { error: e });
      }
    }
  }
}

/** Removes every container of a runner instance, with its volumes (tests, uninstall). */
export async function removeDockerSandboxes(docker: Docker, instance: string): Promise<void> {
  const list = await docker.listContainers({ all: true, filters: { label: [`${LABEL_INSTANCE}=${instance}`] } });
  for (const c of list) {
    await docker
      .getContainer(c.Id)
      .remove({ force: true })
      .catch(() => {});
    for (const m of c.Mounts) {
      if (m.Type !== 'volume' || !m.Name) continue;
      await docker
        .getVolume(m.Name)
        .remove()
        .catch(() => {});
    }
  }
}
