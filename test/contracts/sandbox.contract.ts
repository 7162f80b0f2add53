import type { Sandbox, SandboxProcess, SandboxRuntime } from '@agent-platform/core/ports';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

export interface SandboxContractOptions {
  /** Whether one user's processes are kept out of another user's files (false only for the host runtime). */
  isolatesUsers: boolean;
}

/** Runs a command in a sandbox, feeding `stdin`, and collects its output and exit code. */
export async function run(
  runtime: SandboxRuntime,
  sandbox: Sandbox,
  script: string,
  stdin = '',
): Promise<{ out: string; code: number | null }> {
  const proc: SandboxProcess = runtime.spawn(sandbox, {
    command: 'sh',
    args: ['-c', script],
    cwd: sandbox.workspaceDir,
    env: { PATH: '/usr/local/bin:/usr/bin:/bin' },
  });
  let out = '';
  proc.stdout.on('data', (d: Buffer | string) => {
    out += String(d);
  });
  const code = new Promise<number | null>((resolve, reject) => {
    proc.once('exit', (c) => resolve(c));
    proc.once('error', reject);
  });
  proc.stdin.end(stdin);
  const exit = await code;
  // 'exit' can come before the last stdout chunk has been read.
  await new Promise((r) => setImmediate(r));
  return { out, code: exit };
}

/** The contract every SandboxRuntime meets; run on each runtime this machine has. */
export function describeSandboxContract(
  name: string,
  make: () => Promise<{ runtime: SandboxRuntime; cleanup: () => Promise<void> }>,
  opts: SandboxContractOptions,
): void {
  describe(`SandboxRuntime contract: ${name}`, () => {
    let runtime: SandboxRuntime;
    let cleanup: () => Promise<void>;
    const user = (n: string) => `contract-user-${n}-${process.pid}`;

    beforeAll(async () => {
      ({ runtime, cleanup } = await make());
    });
    afterAll(async () => {
      await runtime?.close();
      await cleanup?.();
    });

    it('ensure is idempotent: the same user gets the same sandbox', async () => {
      const a = await runtime.ensure(user('a'));
      const again = await runtime.ensure(user('a'));
      expect(again).toEqual(a);
      expect(a.runtime).toBe(runtime.kind);
      expect(a.userId).toBe(user('a'));
    });

    it('streams stdin to a process and its stdout back, and returns the exit code', async () => {
      const s = await runtime.ensure(user('a'));
      const r = await run(runtime, s, 'read line; echo "got:$line"; exit 3', 'hello\n');
      expect(r).toEqual({ out: 'got:hello\n', code: 3 });
    });

    it('survives input written to a process that has already exited', async () => {
      const s = await runtime.ensure(user('a'));
      for (let i = 0; i < 20; i++) {
        expect(await run(runtime, s, 'exit 0', 'x'.repeat(256 * 1024))).toEqual({ out: '', code: 0 });
      }
    });

    it('keeps the workspace files across stop and start', async () => {
      const s = await runtime.ensure(user('p'));
      expect((await run(runtime, s, 'echo kept > note.txt')).code).toBe(0);
      await runtime.stop(user('p'));
      const back = await runtime.ensure(user('p'));
      expect(await run(runtime, back, 'cat note.txt')).toEqual({ out: 'kept\n', code: 0 });
    });

    it("gives each user a workspace of their own, without the other's files", async () => {
      const a = await runtime.ensure(user('x'));
      const b = await runtime.ensure(user('y'));
      await run(runtime, a, 'echo secret-of-x > only-x.txt');
      expect((await run(runtime, b, 'ls -a')).out).not.toContain('only-x.txt');
      if (opts.isolatesUsers) {
        // Even by the path it has in the other user's sandbox, the file is out of reach.
        const r = await run(runtime, b, `cat ${JSON.stringify(`${a.workspaceDir}/only-x.txt`)} 2>/dev/null; true`);
        expect(r.out).not.toContain('secret-of-x');
      } else {
        // Without isolation, separate folders are all that keeps users apart.
        expect(a.homeDir).not.toBe(b.homeDir);
      }
    });
  });
}
