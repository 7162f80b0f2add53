import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type {
  Sandbox,
  SandboxProcess,
  SandboxRuntime,
  SandboxSpawnOptions,
  SandboxStateChange,
} from '@agent-platform/core/ports';

export interface HostRuntimeOptions {
  /** Users' folders are made under `<dataDir>/workspaces/<hash of user id>`. */
  dataDir: string;
  /** Called with each line the process writes to stderr (for logs). */
  onStderr?: (userId: string, line: string) => void;
}

/** A stable, path-safe name for a user's sandbox (user ids may hold any character). */
export function sandboxName(userId: string): string {
  return `u-${createHash('sha256').update(userId).digest('hex').slice(0, 16)}`;
}

/**
 * Runs Claude Code directly on this machine, in a per-user folder. No isolation: for one-user
 * local use only (the server shows a warning). Docker and bubblewrap replace it elsewhere.
 */
export class HostRuntime implements SandboxRuntime {
  readonly kind = 'host' as const;
  private readonly processes = new Set<SandboxProcess>();

  constructor(private readonly opts: HostRuntimeOptions) {}

  async ensure(userId: string): Promise<Sandbox> {
    const homeDir = path.join(this.opts.dataDir, 'workspaces', sandboxName(userId));
    const workspaceDir = path.join(homeDir, 'workspace');
    mkdirSync(workspaceDir, { recursive: true });
    mkdirSync(path.join(homeDir, '.tmp'), { recursive: true });
    return {
      userId,
      runtime: this.kind,
      homeDir,
      workspaceDir,
      // One folder, one incarnation: the folder is the sandbox.
      sandboxId: `host-${sandboxName(userId)}`,
      runnerAddress: '127.0.0.1',
    };
  }

  spawn(sandbox: Sandbox, opts: SandboxSpawnOptions): SandboxProcess {
    const child = spawn(opts.command, opts.args, {
      cwd: opts.cwd ?? sandbox.workspaceDir,
      // The user's folder is HOME, so Claude's config and transcripts stay per user.
      env: {
        ...opts.env,
        HOME: sandbox.homeDir,
        CLAUDE_CONFIG_DIR: path.join(sandbox.homeDir, '.claude'),
        // Otherwise Claude Code leaves its scratch files in the machine's shared /tmp.
        CLAUDE_CODE_TMPDIR: path.join(sandbox.homeDir, '.tmp'),
      },
      stdio: ['pipe', 'pipe', 'pipe'],
      signal: opts.signal,
    });
    let buf = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => {
      buf += d;
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        this.opts.onStderr?.(sandbox.userId, buf.slice(0, i));
        buf = buf.slice(i + 1);
      }
    });
    // The SDK listens for 'error' too and ends the session; this only keeps the reason in the log.
    child.on('error', (e) => this.opts.onStderr?.(sandbox.userId, `process error: ${e.message}`));
    // Writing to a process that has just exited fails with EPIPE on its stdin; the exit is what
    // matters, and an unhandled stream error would take the whole runner down.
    child.stdin.on('error', (e) => this.opts.onStderr?.(sandbox.userId, `stdin: ${e.message}`));
    const proc = child as unknown as SandboxProcess;
    this.processes.add(proc);
    child.once('exit', () => this.processes.delete(proc));
    return proc;
  }

  async stop(_userId: string): Promise<void> {}

  watch(_listener: (userId: string, change: SandboxStateChange) => void): () => void {
    // A folder does not die or idle: there is nothing to report.
    return () => {};
  }

  async close(): Promise<void> {
    for (const p of this.processes) p.kill('SIGTERM');
  }
}
