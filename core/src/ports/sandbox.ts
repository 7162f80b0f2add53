/**
 * Where a user's Claude Code runs. One sandbox per user; the runtime is chosen once at start-up
 * (host, bubblewrap or docker). Types are structural so that core needs no Node or SDK imports.
 */
export interface Sandbox {
  userId: string;
  /** The runtime that made it (host, bubblewrap, docker). */
  runtime: string;
  /** The user's home inside the sandbox: the conversation's working directory lives under it. */
  homeDir: string;
  /** Working directory for chat sessions, inside the sandbox. */
  workspaceDir: string;
  /**
   * This incarnation of the sandbox (a container id, a process group): changes when it is made
   * again, so per-sandbox credentials can be issued and revoked with it.
   */
  sandboxId: string;
  /** The address at which processes in the sandbox reach the runner (its model proxy). */
  runnerAddress: string;
}

/** A change in a sandbox's life, reported by the runtime (see SandboxEvent in the protocol). */
export type SandboxStateChange =
  | { state: 'starting'; step: 'pool' | 'create' | 'start'; progress: number }
  | { state: 'ready'; ms: number }
  | { state: 'stopped'; why: 'idle' | 'shutdown' | 'request' }
  | {
      state: 'failed';
      reason: 'oom' | 'exited' | 'start_failed' | 'image_missing' | 'engine_unreachable';
      exitCode?: number | undefined;
      message: string;
    }
  /** The incarnation is gone for good (its credentials must be revoked). */
  | { state: 'removed'; sandboxId: string };

export interface SandboxEnsureOptions {
  /** Progress while the sandbox is being made ready, for the user who is waiting. */
  onState?: (change: SandboxStateChange) => void;
}

export interface SandboxSpawnOptions {
  command: string;
  args: string[];
  /** Working directory inside the sandbox. */
  cwd?: string | undefined;
  env: Record<string, string | undefined>;
  signal?: AbortSignal | undefined;
}

/** A process inside a sandbox; shaped like the Agent SDK's SpawnedProcess. */
export interface SandboxProcess {
  readonly pid: number | undefined;
  stdin: NodeJS.WritableStream;
  stdout: NodeJS.ReadableStream;
  readonly killed: boolean;
  readonly exitCode: number | null;
  kill(signal: NodeJS.Signals): boolean;
  on(event: 'exit', listener: (code: number | null, signal: NodeJS.Signals | null) => void): void;
  on(event: 'error', listener: (error: Error) => void): void;
  once(event: 'exit', listener: (code: number | null, signal: NodeJS.Signals | null) => void): void;
  once(event: 'error', listener: (error: Error) => void): void;
  off(event: 'exit', listener: (code: number | null, signal: NodeJS.Signals | null) => void): void;
  off(event: 'error', listener: (error: Error) => void): void;
}

export interface SandboxRuntime {
  readonly kind: 'host' | 'bubblewrap' | 'docker';
  /**
   * Makes sure the user's sandbox exists and runs; idempotent. Throws an AppError with code
   * SANDBOX_UNAVAILABLE (details.reason as in SandboxStateChange) when it cannot be made ready.
   */
  ensure(userId: string, opts?: SandboxEnsureOptions): Promise<Sandbox>;
  /** Starts a process in the user's sandbox (the sandbox must have been ensured). */
  spawn(sandbox: Sandbox, opts: SandboxSpawnOptions): SandboxProcess;
  /** Stops the user's sandbox (its files stay). */
  stop(userId: string): Promise<void>;
  /**
   * Every state change of every sandbox after `ensure` (died, OOM, idle stop, removed). Returns
   * the function that unsubscribes.
   */
  watch(listener: (userId: string, change: SandboxStateChange) => void): () => void;
  close(): Promise<void>;
}
