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
  /** Makes sure the user's sandbox exists and runs; idempotent. */
  ensure(userId: string): Promise<Sandbox>;
  /** Starts a process in the user's sandbox (the sandbox must have been ensured). */
  spawn(sandbox: Sandbox, opts: SandboxSpawnOptions): SandboxProcess;
  /** Stops the user's sandbox (its files stay). */
  stop(userId: string): Promise<void>;
  close(): Promise<void>;
}
