import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';

/**
 * Where each exec writes its in-container pid, so that kill() can reach it with a second exec. On
 * the container's tmpfs: a few bytes per process, gone when the container stops.
 */
const PID_DIR = '/tmp/.ap-exec';

export interface DockerExecOptions {
  docker: Docker;
  container: Docker.Container;
  cmd: string[];
  cwd: string;
  env: string[];
  user: string;
  signal?: AbortSignal | undefined;
  onStderr: (line: string) => void;
}

/**
 * A process started with `docker exec -i` in a sandbox container, shaped like a ChildProcess for
 * the Agent SDK: stdin and stdout stream over the hijacked connection; exit code from the exec's
 * inspect; kill() signals the process inside the container (an exec cannot be killed through the
 * API, and closing the connection does not end it).
 */
export class DockerExecProcess extends EventEmitter {
  readonly stdin = new PassThrough();
  readonly stdout = new PassThrough();
  private readonly stderr = new PassThrough();
  private readonly id = randomBytes(8).toString('hex');
  private exec: Docker.Exec | undefined;
  private stream: Duplex | undefined;
  private _exitCode: number | null = null;
  private exited = false;
  private killedWith: NodeJS.Signals | null = null;
  /** The pid inside the container, known once the wrapper has written it. */
  pid: number | undefined = undefined;

  constructor(private readonly o: DockerExecOptions) {
    super();
    // Until the exec is attached, input waits in the PassThrough.
    this.stdin.on('error', () => {});
    void this.start().catch((e: unknown) => this.fail(e instanceof Error ? e : new Error(String(e))));
    o.signal?.addEventListener('abort', () => this.kill('SIGKILL'), { once: true });
  }

  get exitCode(): number | null {
    return this._exitCode;
  }

  get killed(): boolean {
    return this.killedWith !== null;
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): boolean {
    if (this.exited) return false;
    this.killedWith = signal;
    void this.signalInside(signal);
    return true;
  }

  private async start(): Promise<void> {
    const { container, cmd, cwd, env, user } = this.o;
    // The wrapper records its pid (which `exec` hands to the command), makes the working directory
    // if it is missing (a fresh volume), and replaces itself with the command.
    const wrapper = `mkdir -p ${PID_DIR} && echo $$ > ${PID_DIR}/${this.id} && mkdir -p "$1" && cd "$1" && shift && exec "$@"`;
    this.exec = await container.exec({
      Cmd: ['/bin/sh', '-c', wrapper, 'sh', cwd, ...cmd],
      AttachStdin: true,
      AttachStdout: true,
      AttachStderr: true,
      Tty: false,
      User: user,
      WorkingDir: '/',
      Env: env,
    });
    const stream = (await this.exec.start({ hijack: true, stdin: true })) as Duplex;
    this.stream = stream;
    this.o.docker.modem.demuxStream(stream, this.stdout, this.stderr);
    this.readStderr();
    stream.on('error', (e) => this.o.onStderr(`exec stream: ${e.message}`));
    stream.once('end', () => void this.finish());
    stream.once('close', () => void this.finish());
    this.stdin.pipe(stream);
    if (this.killedWith) void this.signalInside(this.killedWith);
  }

  private readStderr(): void {
    let buf = '';
    this.stderr.setEncoding('utf8');
    this.stderr.on('data', (d: string) => {
      buf += d;
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        this.o.onStderr(buf.slice(0, i));
        buf = buf.slice(i + 1);
      }
    });
  }

  private async finish(): Promise<void> {
    if (this.exited) return;
    this.exited = true;
    let code: number | null = null;
    try {
      const info = await this.exec?.inspect();
      if (info && typeof info.ExitCode === 'number') code = info.ExitCode;
    } catch {
      // The container is gone (killed, OOM): there is no exit code to read.
    }
    this._exitCode = code;
    this.stdout.end();
    this.stderr.end();
    this.stdin.unpipe();
    this.stream?.destroy();
    const bySignal = this.killedWith !== null && (code === null || code > 128);
    this.emit('exit', bySignal ? null : code, bySignal ? this.killedWith : null);
  }

  private fail(e: Error): void {
    if (this.exited) return;
    this.o.onStderr(`exec failed: ${e.message}`);
    // An 'error' nobody listens to would throw; the exit below is what every caller waits for.
    if (this.listenerCount('error') > 0) this.emit('error', e);
    this.exited = true;
    this.stdout.end();
    this.emit('exit', null, null);
  }

  /** Signals the process through a second exec (same user, so it may). */
  private async signalInside(signal: NodeJS.Signals): Promise<void> {
    const file = `${PID_DIR}/${this.id}`;
    try {
      const ex = await this.o.container.exec({
        // The wrapper may not have written its pid yet when kill() comes right after the start.
        Cmd: [
          '/bin/sh',
          '-c',
          `i=0; while [ ! -s ${file} ] && [ $i -lt 40 ]; do sleep 0.05; i=$((i+1)); done; kill -s ${signal.replace('SIG', '')} "$(cat ${file})"`,
        ],
        AttachStdout: false,
        AttachStderr: false,
        User: this.o.user,
      });
      await ex.start({ Detach: true });
    } catch {
      // Container already gone: the process is too.
    }
  }
}
