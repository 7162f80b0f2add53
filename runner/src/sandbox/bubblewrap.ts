import { type ChildProcess, spawn } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { AppError } from '@agent-platform/core/errors';
import type {
  Sandbox,
  SandboxEnsureOptions,
  SandboxProcess,
  SandboxRuntime,
  SandboxSpawnOptions,
  SandboxStateChange,
} from '@agent-platform/core/ports';
import { PendingStarts, sandboxGone } from './common.js';
import { sandboxName } from './host.js';

/**
 * Cheap per-process limits, set with util-linux `prlimit` inside the sandbox (there is no cgroup
 * here: see the class comment for what that leaves out).
 */
export interface BubblewrapLimits {
  /**
   * RLIMIT_NPROC: processes and threads of the sandbox's uid. Set inside the sandbox's own user
   * namespace, so on Linux >= 5.14 it counts that one sandbox's tasks (older kernels count every
   * sandbox of the uid together). Default 512 (Claude Code alone runs a few dozen threads).
   */
  processes: number;
  /**
   * RLIMIT_AS per process: stops one runaway process (a DataFrame too big for the machine) with a
   * MemoryError instead of letting it take the machine's memory. Per process, not per sandbox.
   * Default 8 GiB (virtual: runtimes reserve far more address space than they use).
   */
  addressSpaceBytes: number;
  /** Size of the private /tmp (a tmpfs, so it is memory). Default 512 MiB, as in Docker. */
  tmpBytes: number;
}

export const defaultBubblewrapLimits: BubblewrapLimits = {
  processes: 512,
  addressSpaceBytes: 8 * 1024 ** 3,
  tmpBytes: 512 * 1024 ** 2,
};

export interface BubblewrapRuntimeOptions {
  /** Users' homes are `<dataDir>/sandboxes/<sandboxName(userId)>/home`. */
  dataDir: string;
  /** The bwrap executable. Default `bwrap` (from PATH). */
  bwrap?: string;
  /** Host path of the Claude Code native binary, bound read-only at /opt/claude/claude. */
  claudeBinary?: string;
  /** The uid processes run as, inside and (when the runner is root) outside. Default 1000. */
  uid?: number;
  /** Default 1000. */
  gid?: number;
  limits?: Partial<BubblewrapLimits>;
  /** Called with each line a sandboxed process (or bwrap itself) writes to stderr. */
  onStderr?: (userId: string, line: string) => void;
}

const HOME = '/home/agent';
const WORKSPACE = `${HOME}/workspace`;
const CLAUDE_IN_SANDBOX = '/opt/claude/claude';
const SANDBOX_PATH = `${HOME}/.local/bin:/usr/local/bin:/usr/bin:/bin`;
const PRLIMIT = '/usr/bin/prlimit';
/** How long a stopped sandbox's command has to end after SIGTERM. */
const KILL_GRACE_MS = 2000;

/**
 * The host's /etc entries a sandbox sees (read-only): the loader, certificates, fonts, time zone,
 * name resolution, Debian's alternatives and Python's site files. Not the rest: /etc holds the
 * machine's own configuration (pip.conf and gitconfig may carry credentials), and passwd/group
 * are replaced by the sandbox's own.
 */
const ETC_ENTRIES = [
  'ld.so.cache',
  'ld.so.conf',
  'ld.so.conf.d',
  'alternatives',
  'ssl',
  'ca-certificates',
  'pki',
  'crypto-policies',
  'fonts',
  'localtime',
  'timezone',
  'resolv.conf',
  'hosts',
  'host.conf',
  'nsswitch.conf',
  'gai.conf',
  'protocols',
  'services',
  'mime.types',
  'os-release',
  'debian_version',
  'matplotlibrc',
  'bash.bashrc',
  'profile',
  'inputrc',
  'magic',
];
const ETC_PATTERNS = [/^python3(\.\d+)?$/];

/** Top-level host folders the sandbox's /usr needs beside it (symlinks on merged-/usr systems). */
const ROOT_LINKS = ['bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32'];

const isRoot = (): boolean => process.getuid?.() === 0;

/**
 * True only if bwrap can really make a sandbox here (installed, and user namespaces allowed): it
 * runs `true` in one, with the namespaces every sandbox uses, as the uid sandboxes run as.
 */
export async function bubblewrapAvailable(bwrap = 'bwrap', uid = 1000, gid = 1000): Promise<boolean> {
  const args = ['--unshare-all', '--share-net', '--unshare-user', '--disable-userns', '--die-with-parent'];
  args.push('--uid', String(uid), '--gid', String(gid), '--ro-bind', '/', '/', '--proc', '/proc', '--dev', '/dev');
  args.push('--', 'true');
  return new Promise((resolve) => {
    const child = spawn(bwrap, args, { stdio: 'ignore', cwd: '/', ...(isRoot() ? { uid, gid } : {}) });
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('error', () => {
      clearTimeout(timer);
      resolve(false);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code === 0);
    });
  });
}

/**
 * For machines without a Docker engine: each process runs in a bubblewrap sandbox (new user, pid,
 * mount, ipc, uts and cgroup namespaces) as uid 1000 with no capabilities, seeing only the host's
 * /usr (read-only), a safe part of /etc, a private /tmp, fresh /proc and /dev, the Claude binary at
 * /opt/claude/claude and the user's own home, the host folder
 * `<dataDir>/sandboxes/<name>/home`, at /home/agent. Every user's home is at the same path inside,
 * so one user's paths never lead to another's files.
 *
 * There is no long-lived container: each spawn is its own sandbox over the same home, and the
 * "sandbox" this runtime ensures is the home folder. `stop` ends the user's processes.
 *
 * When the runner is root, bwrap is started as uid 1000 (not as root): bwrap maps the sandbox uid
 * to the uid that started it, so a root-started sandbox's "uid 1000" would be host root for every
 * file it can reach. Started as 1000, it is 1000 outside too. The price: bwrap resolves bind
 * sources as that uid, so every folder above the homes must be searchable by it (checked, with a
 * message saying what to change).
 *
 * What bubblewrap does NOT do that our Docker runtime does:
 * - no network filtering: the sandbox shares the host's network (the model proxy is reached at
 *   127.0.0.1), so it can reach the cloud metadata server (169.254.169.254), private ranges, the
 *   runner's other ports and anything listening on the host's loopback, including other users'
 *   servers and abstract unix sockets. A separate network namespace with a veth pair and rules
 *   needs root and is Docker's job.
 * - no memory, CPU or whole-sandbox process limits: those need a cgroup. What is set instead is
 *   per process or per user namespace (see BubblewrapLimits): RLIMIT_AS per process, RLIMIT_NPROC
 *   per sandbox, a size-bounded /tmp, no core files. Nothing stops a sandbox from using every CPU.
 * - no seccomp filter (Docker's default profile blocks ~50 system calls); nested user namespaces
 *   are refused (`--disable-userns`) instead, which covers the worst of that surface.
 * - no read-only /usr of its own: the sandbox runs the host's programs, so what Python packages a
 *   user has is what the host has (plus `pip install --user` into their home).
 */
export class BubblewrapRuntime implements SandboxRuntime {
  readonly kind = 'bubblewrap' as const;
  private readonly bwrap: string;
  private readonly uid: number;
  private readonly gid: number;
  private readonly limits: BubblewrapLimits;
  private readonly claudeReal: string | undefined;
  private readonly sandboxes = new Map<string, Sandbox>();
  private readonly pending = new PendingStarts();
  private readonly processes = new Map<string, Set<ChildProcess>>();
  private readonly listeners = new Set<(userId: string, change: SandboxStateChange) => void>();
  private readonly staticArgs: string[];
  private etcWritten = false;

  constructor(private readonly o: BubblewrapRuntimeOptions) {
    this.bwrap = o.bwrap ?? 'bwrap';
    this.uid = o.uid ?? 1000;
    this.gid = o.gid ?? 1000;
    if (this.uid === 0 || this.gid === 0) throw new Error('BubblewrapRuntime: sandboxes never run as root (uid/gid 0)');
    this.limits = { ...defaultBubblewrapLimits, ...o.limits };
    this.claudeReal = o.claudeBinary ? realpathOrSelf(o.claudeBinary) : undefined;
    this.staticArgs = this.buildStaticArgs();
  }

  /** The host folder that is the user's /home/agent (for the runner to read produced files). */
  hostHomeDir(userId: string): string {
    return path.join(this.homesRoot(), sandboxName(userId), 'home');
  }

  async ensure(userId: string, opts: SandboxEnsureOptions = {}): Promise<Sandbox> {
    const known = this.sandboxes.get(userId);
    if (known) return known;
    return this.pending.run(userId, () => this.makeReady(userId, opts.onState ?? (() => {})));
  }

  spawn(sandbox: Sandbox, opts: SandboxSpawnOptions): SandboxProcess {
    const known = this.sandboxes.get(sandbox.userId);
    if (!known || known.sandboxId !== sandbox.sandboxId) {
      throw sandboxGone();
    }
    const userId = sandbox.userId;
    const command = this.isClaude(opts.command) ? CLAUDE_IN_SANDBOX : opts.command;
    const child = this.start(userId, opts.cwd ?? WORKSPACE, [command, ...opts.args], opts.env, opts.signal);
    const set = this.processes.get(userId) ?? new Set<ChildProcess>();
    this.processes.set(userId, set);
    set.add(child);
    child.once('exit', () => set.delete(child));
    return child as unknown as SandboxProcess;
  }

  async stop(userId: string): Promise<void> {
    await this.pending.settled(userId);
    const had = this.sandboxes.delete(userId);
    await this.killAll(userId);
    if (had) this.emit(userId, { state: 'stopped', why: 'request' });
  }

  watch(listener: (userId: string, change: SandboxStateChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    const running = [...this.processes].filter(([, set]) => set.size > 0).map(([u]) => u);
    const users = [...new Set([...this.sandboxes.keys(), ...running])];
    this.sandboxes.clear();
    await Promise.all(users.map((u) => this.killAll(u)));
    for (const u of users) this.emit(u, { state: 'stopped', why: 'shutdown' });
  }

  private async makeReady(userId: string, onState: (c: SandboxStateChange) => void): Promise<Sandbox> {
    const began = performance.now();
    const report = (c: SandboxStateChange) => {
      onState(c);
      this.emit(userId, c);
    };
    try {
      report({ state: 'starting', step: 'create', progress: 0.1 });
      this.prepareHome(userId);
      // One real sandbox start per user and incarnation: a broken setup fails here, with bwrap's
      // own words, rather than as a Claude process that dies at once.
      await this.probe(userId);
    } catch (e) {
      const message = e instanceof AppError ? e.message : `Your workspace could not be started (${errorText(e)}).`;
      report({ state: 'failed', reason: 'start_failed', message });
      throw e instanceof AppError ? e : new AppError('SANDBOX_UNAVAILABLE', message, { reason: 'start_failed' });
    }
    const name = sandboxName(userId);
    const sandbox: Sandbox = {
      userId,
      runtime: this.kind,
      homeDir: HOME,
      workspaceDir: WORKSPACE,
      sandboxId: `bwrap-${name}`,
      runnerAddress: '127.0.0.1',
    };
    this.sandboxes.set(userId, sandbox);
    report({ state: 'ready', ms: Math.round(performance.now() - began) });
    return sandbox;
  }

  private homesRoot(): string {
    return path.join(path.resolve(this.o.dataDir), 'sandboxes');
  }

  /** Makes the user's home (owned by the sandbox uid) and the sandbox's passwd and group files. */
  private prepareHome(userId: string): void {
    const root = this.homesRoot();
    const userDir = path.join(root, sandboxName(userId));
    const home = path.join(userDir, 'home');
    // Search-only for others: the sandbox uid must pass through, nobody may list the users.
    mkdirSync(userDir, { recursive: true, mode: 0o711 });
    chmodSync(root, 0o711);
    chmodSync(userDir, 0o711);
    mkdirSync(path.join(home, 'workspace'), { recursive: true, mode: 0o700 });
    if (isRoot()) {
      for (const dir of [home, path.join(home, 'workspace')]) {
        const st = statSync(dir);
        if (st.uid !== this.uid || st.gid !== this.gid) chownSync(dir, this.uid, this.gid);
      }
    }
    if (!this.etcWritten) {
      const etc = path.join(root, '.etc');
      mkdirSync(etc, { recursive: true, mode: 0o755 });
      chmodSync(etc, 0o755);
      const passwd = [
        'root:x:0:0:root:/root:/usr/sbin/nologin',
        `agent:x:${this.uid}:${this.gid}:agent:${HOME}:/bin/bash`,
        'nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin',
      ];
      const group = ['root:x:0:', `agent:x:${this.gid}:`, 'nogroup:x:65534:'];
      writeFileSync(path.join(etc, 'passwd'), `${passwd.join('\n')}\n`, { mode: 0o644 });
      writeFileSync(path.join(etc, 'group'), `${group.join('\n')}\n`, { mode: 0o644 });
      this.etcWritten = true;
    }
    if (isRoot()) {
      const targets = [
        home,
        ...(this.o.claudeBinary ? [this.o.claudeBinary, realpathOrSelf(this.o.claudeBinary)] : []),
      ];
      const blocked = targets
        .map((p) => ({ p, dir: unsearchableAncestor(p, this.uid, this.gid) }))
        .find((b) => b.dir !== null);
      if (blocked?.dir) {
        throw new AppError(
          'SANDBOX_UNAVAILABLE',
          `The bubblewrap sandbox runs as uid ${this.uid}, which cannot reach ${blocked.p} because ${blocked.dir} is closed to it. Let it pass through that folder (chmod o+x ${blocked.dir}, or setfacl -m u:${this.uid}:x ${blocked.dir}: search only, no listing), move DATA_DIR under a folder it can pass through, or use Docker.`,
          { reason: 'start_failed' },
        );
      }
    }
  }

  private async probe(userId: string): Promise<void> {
    const child = this.start(userId, WORKSPACE, ['true'], {}, undefined, false);
    let stderr = '';
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (d: string) => {
      stderr += d;
    });
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', (e: NodeJS.ErrnoException) => {
        const missing = e.code === 'ENOENT' || e.code === 'EACCES';
        const text = missing
          ? `${this.bwrap} cannot be run here (${e.code}): install it with apt-get install bubblewrap, or use Docker.`
          : `bubblewrap could not start your workspace (${e.message}).`;
        reject(new AppError('SANDBOX_UNAVAILABLE', text, { reason: 'start_failed' }));
      });
      child.once('exit', (c) => resolve(c));
    });
    if (code !== 0) {
      const why = existsSync(PRLIMIT)
        ? stderr.trim().slice(0, 500) || 'no message'
        : `${PRLIMIT} is missing: apt-get install util-linux`;
      throw new AppError(
        'SANDBOX_UNAVAILABLE',
        `bubblewrap could not start your workspace (exit ${code}: ${why}). Check that bwrap works here (apt-get install bubblewrap; user namespaces enabled) or use Docker.`,
        { reason: 'start_failed' },
      );
    }
  }

  /** Starts `argv` in a new sandbox over the user's home. */
  private start(
    userId: string,
    cwd: string,
    argv: string[],
    env: Record<string, string | undefined>,
    signal: AbortSignal | undefined,
    streamStderr = true,
  ): ChildProcess {
    const l = this.limits;
    const args = [
      ...this.staticArgs,
      '--bind',
      this.hostHomeDir(userId),
      HOME,
      '--remount-ro',
      '/',
      '--chdir',
      cwd,
      '--',
      // prlimit sets soft and hard limits, and execs: the command is the sandbox's second process.
      PRLIMIT,
      `--nproc=${l.processes}`,
      `--as=${l.addressSpaceBytes}`,
      '--core=0',
      '--',
      ...argv,
    ];
    const child = spawn(this.bwrap, args, {
      // bwrap hands its own environment to the command, which keeps secrets (the model token) out
      // of its argument list, where `ps` would show them; so no --clearenv/--setenv.
      env: this.sandboxEnv(env),
      // The runner's own folder may be closed to the sandbox uid; the sandbox's is set by --chdir.
      cwd: '/',
      stdio: ['pipe', 'pipe', 'pipe'],
      signal,
      ...(isRoot() ? { uid: this.uid, gid: this.gid } : {}),
    });
    if (streamStderr) {
      let buf = '';
      child.stderr?.setEncoding('utf8');
      child.stderr?.on('data', (d: string) => {
        buf += d;
        for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
          this.o.onStderr?.(userId, buf.slice(0, i));
          buf = buf.slice(i + 1);
        }
      });
      child.stderr?.on('end', () => {
        if (buf) this.o.onStderr?.(userId, buf);
        buf = '';
      });
    }
    // The SDK listens for 'error' too and ends the session; this only keeps the reason in the log.
    child.on('error', (e) => this.o.onStderr?.(userId, `process error: ${e.message}`));
    // Writing to a process that has just exited fails with EPIPE on its stdin; the exit is what
    // matters, and an unhandled stream error would take the whole runner down.
    child.stdin?.on('error', (e) => this.o.onStderr?.(userId, `stdin: ${e.message}`));
    return child;
  }

  private sandboxEnv(env: Record<string, string | undefined>): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
    return {
      ...out,
      // Host paths mean nothing inside.
      PATH: SANDBOX_PATH,
      HOME,
      USER: 'agent',
      LOGNAME: 'agent',
      CLAUDE_CONFIG_DIR: `${HOME}/.claude`,
      CLAUDE_CODE_TMPDIR: '/tmp',
      TMPDIR: '/tmp',
    };
  }

  /**
   * The argument list shared by every sandbox (all but the home, the working directory and the
   * command). Each choice and why:
   * - `--unshare-all --share-net`: new user, pid, mount, ipc, uts and cgroup namespaces; the
   *   host's network, for the model proxy at 127.0.0.1 (see the class comment).
   * - `--unshare-user --uid --gid`: required, never silently skipped; the process is uid 1000.
   * - `--disable-userns`: the sandbox cannot make user namespaces of its own (kernel surface).
   * - `--die-with-parent`: if the runner dies, its sandboxes die with it; and killing bwrap's pid
   *   (what the SDK's kill() does) kills the whole pid namespace, as its init gets SIGKILL. bwrap
   *   forwards no signal, so stop() signals the command itself first (see `end`).
   * - `--new-session`: no controlling terminal of the runner's (TIOCSTI injection).
   * - `--cap-drop ALL`: no capabilities, even inside the namespace.
   * - `--hostname workspace`: the host's name is none of the sandbox's business.
   * - /usr and the top-level links read-only, the safe /etc subset, our passwd and group, fresh
   *   /proc and /dev, a size-bounded /tmp, the Claude binary, and finally `--remount-ro /` so that
   *   the root (a tmpfs bwrap makes) cannot be written either; only the home and /tmp can.
   */
  private buildStaticArgs(): string[] {
    const a = ['--unshare-all', '--share-net', '--unshare-user', '--disable-userns'];
    a.push('--uid', String(this.uid), '--gid', String(this.gid), '--hostname', 'workspace');
    a.push('--die-with-parent', '--new-session', '--cap-drop', 'ALL');
    a.push('--ro-bind', '/usr', '/usr');
    for (const name of ROOT_LINKS) {
      const p = `/${name}`;
      const st = lstatOrNull(p);
      if (st?.isSymbolicLink()) a.push('--symlink', readlinkSync(p), p);
      else if (st?.isDirectory()) a.push('--ro-bind', p, p);
    }
    for (const name of etcEntries()) a.push('--ro-bind-try', `/etc/${name}`, `/etc/${name}`);
    const etc = path.join(this.homesRoot(), '.etc');
    a.push('--ro-bind', path.join(etc, 'passwd'), '/etc/passwd', '--ro-bind', path.join(etc, 'group'), '/etc/group');
    a.push('--proc', '/proc', '--dev', '/dev');
    a.push('--size', String(this.limits.tmpBytes), '--tmpfs', '/tmp');
    if (this.o.claudeBinary) a.push('--ro-bind', this.o.claudeBinary, CLAUDE_IN_SANDBOX);
    return a;
  }

  private isClaude(command: string): boolean {
    if (!this.o.claudeBinary || !this.claudeReal) return false;
    if (command === this.o.claudeBinary) return true;
    return path.isAbsolute(command) && realpathOrSelf(command) === this.claudeReal;
  }

  /** Ends each of the user's processes (see `end`). */
  private async killAll(userId: string): Promise<void> {
    const set = this.processes.get(userId);
    if (set) await Promise.all([...set].map((child) => end(child)));
  }

  private emit(userId: string, change: SandboxStateChange): void {
    for (const l of this.listeners) {
      try {
        l(userId, change);
      } catch (e) {
        this.o.onStderr?.(userId, `sandbox listener failed: ${errorText(e)}`);
      }
    }
  }
}

/**
 * SIGTERM to the sandboxed command, SIGKILL to the sandbox after 2 s. bwrap forwards no signal,
 * and killing bwrap's own pid ends the sandbox at once (its pid-namespace init dies with it): so
 * the command is signalled directly, to let it end cleanly (Claude Code writes its transcript).
 * The SIGKILL goes to the namespace's init, which takes every process of the namespace with it
 * before bwrap exits: when this resolves, nothing of the sandbox runs.
 */
async function end(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // bwrap (outside) → bwrap as init (inside) → the command → what it started.
  const tree = child.pid ? descendantsOf(child.pid) : [];
  const init = tree[0];
  const command = init ? childrenOf(init)[0] : undefined;
  if (!(command && signal(command, 'SIGTERM'))) child.kill('SIGTERM');
  const timer = setTimeout(() => {
    if (!(init && signal(init, 'SIGKILL'))) child.kill('SIGKILL');
  }, KILL_GRACE_MS);
  await exited;
  clearTimeout(timer);
  // bwrap exits as soon as its init reports the command's status, a moment before the init (and
  // with it the namespace) is gone: wait for that moment, so that "stopped" means stopped.
  for (let waited = 0; tree.some(running) && waited < 1000; waited += 10) {
    await new Promise((r) => setTimeout(r, 10));
  }
  for (const pid of tree.filter(running)) signal(pid, 'SIGKILL');
}

function descendantsOf(pid: number): number[] {
  const out: number[] = [];
  for (let queue = childrenOf(pid); queue.length > 0; ) {
    const next = queue.shift() as number;
    out.push(next);
    queue = [...queue, ...childrenOf(next)];
  }
  return out;
}

/** Present and not a zombie (orphans are reaped by the machine's init in its own time). */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    // Gone already, or a kernel without the children list: the caller falls back to bwrap's pid.
    return [];
  }
}

function signal(pid: number, sig: NodeJS.Signals): boolean {
  try {
    process.kill(pid, sig);
    return true;
  } catch {
    return false;
  }
}

function etcEntries(): string[] {
  let present: string[] = [];
  try {
    present = readdirSync('/etc');
  } catch {
    // No /etc to list: the fixed entries are tried one by one anyway.
  }
  return [...new Set([...ETC_ENTRIES, ...present.filter((n) => ETC_PATTERNS.some((re) => re.test(n)))])];
}

function lstatOrNull(p: string): ReturnType<typeof lstatSync> | null {
  try {
    return lstatSync(p);
  } catch {
    return null;
  }
}

function realpathOrSelf(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return path.resolve(p);
  }
}

/**
 * The first folder on the way to `target` that uid/gid may not pass through (no search
 * permission), or null. Mirrors the kernel's check for an unprivileged process.
 */
function unsearchableAncestor(target: string, uid: number, gid: number): string | null {
  const dirs: string[] = [];
  for (let d = path.dirname(path.resolve(target)); ; d = path.dirname(d)) {
    dirs.unshift(d);
    if (d === path.dirname(d)) break;
  }
  for (const d of dirs) {
    const st = statSync(d);
    const bit = st.uid === uid ? 0o100 : st.gid === gid ? 0o010 : 0o001;
    if ((st.mode & bit) === 0) return d;
  }
  return null;
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
