/**
 * The bubblewrap runtime for real: the shared contract, what bubblewrap adds (uid 1000, a home of
 * one's own at /home/agent, nothing else of the host), and the real Claude Code CLI run inside it
 * through the real Agent SDK against the scripted model.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { isAppError } from '@agent-platform/core/errors';
import type { SandboxProcess, SandboxStateChange } from '@agent-platform/core/ports';
import { query, type SDKMessage, type SpawnedProcess } from '@anthropic-ai/claude-agent-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeSandboxContract, run } from '../../../test/contracts/sandbox.contract.js';
import { type ScriptedModel, startScriptedModel, toolResults } from '../../../test/fixtures/scripted-model.js';
import { BubblewrapRuntime, bubblewrapAvailable } from './bubblewrap.js';

const MISSING =
  'bubblewrap cannot make a sandbox on this machine: install it (apt-get install bubblewrap) and allow unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1 where that exists).';
const available = await bubblewrapAvailable();
const runnerIsRoot = process.getuid?.() === 0;

/** The Claude Code native binary the Agent SDK installed. */
function claudeBinaryPath(): string {
  const require = createRequire(import.meta.url);
  const pkg = `@anthropic-ai/claude-agent-sdk-${process.platform}-${process.arch}/package.json`;
  return path.join(path.dirname(require.resolve(pkg)), 'claude');
}

/** A data dir the sandbox uid can pass through (mkdtemp makes 0700 folders, closed to uid 1000). */
function makeDataDir(prefix: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  chmodSync(dir, 0o711);
  return dir;
}

/** Host pids of a process and all its descendants (bwrap, its pid-namespace init, the command...). */
function processTree(pid: number): number[] {
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    const p = out[i] as number;
    let children = '';
    try {
      children = readFileSync(`/proc/${p}/task/${p}/children`, 'utf8');
    } catch {
      continue;
    }
    for (const c of children.trim().split(/\s+/)) if (c) out.push(Number(c));
  }
  return out;
}

/** Still running: present and not a zombie (the machine's init reaps orphans in its own time). */
const alive = (pid: number): boolean => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
};

const exited = (proc: SandboxProcess) =>
  new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    if (proc.exitCode !== null) resolve({ code: proc.exitCode, signal: null });
    else proc.once('exit', (code, signal) => resolve({ code, signal }));
  });

/** Resolves once the process has written `text` to stdout. */
const printed = (proc: SandboxProcess, text: string) =>
  new Promise<void>((resolve) => {
    let out = '';
    proc.stdout.on('data', (d: Buffer | string) => {
      out += String(d);
      if (out.includes(text)) resolve();
    });
  });

describe('bubblewrap on this machine', () => {
  it('can make a sandbox here', () => {
    expect(available, MISSING).toBe(true);
  });
});

describeSandboxContract(
  'bubblewrap',
  async () => {
    if (!available) throw new Error(MISSING);
    const dir = makeDataDir('ap-bwrap-contract-');
    return {
      runtime: new BubblewrapRuntime({ dataDir: dir }),
      cleanup: async () => rmSync(dir, { recursive: true, force: true }),
    };
  },
  { isolatesUsers: true },
);

describe('BubblewrapRuntime', () => {
  let dataDir: string;
  let binDir: string;
  let standIn: string;
  let runtime: BubblewrapRuntime;
  const stderr: string[] = [];
  const changes: Array<[string, SandboxStateChange]> = [];

  beforeAll(() => {
    if (!available) throw new Error(MISSING);
    dataDir = makeDataDir('ap-bwrap-');
    // A stand-in for the Claude binary, in a folder the sandbox uid can read.
    binDir = mkdtempSync(path.join(tmpdir(), 'ap-bwrap-bin-'));
    chmodSync(binDir, 0o755);
    standIn = path.join(binDir, 'claude');
    writeFileSync(standIn, '#!/bin/sh\necho "argv0=$0 args=$*"\n', { mode: 0o755 });
    runtime = new BubblewrapRuntime({
      dataDir,
      claudeBinary: standIn,
      onStderr: (_user, line) => stderr.push(line),
    });
    runtime.watch((user, change) => changes.push([user, change]));
  });

  afterAll(async () => {
    await runtime?.close();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(binDir, { recursive: true, force: true });
  });

  it('describes the sandbox as the paths it has inside', async () => {
    const s = await runtime.ensure('alice');
    expect(s).toEqual({
      userId: 'alice',
      runtime: 'bubblewrap',
      homeDir: '/home/agent',
      workspaceDir: '/home/agent/workspace',
      sandboxId: expect.stringMatching(/^bwrap-u-[0-9a-f]{16}$/),
      runnerAddress: '127.0.0.1',
    });
    expect(changes).toContainEqual(['alice', { state: 'ready', ms: expect.any(Number) }]);
  });

  it('runs as uid 1000, inside and on the host, never as root', async () => {
    const s = await runtime.ensure('alice');
    expect(await run(runtime, s, 'id -u; id -g; id -un')).toEqual({ out: '1000\n1000\nagent\n', code: 0 });
    const proc = runtime.spawn(s, { command: 'sleep', args: ['100'], env: {} });
    await new Promise((r) => setTimeout(r, 300));
    const tree = processTree(proc.pid as number);
    // bwrap, its init in the pid namespace, prlimit's exec of sleep.
    expect(tree.length).toBeGreaterThanOrEqual(3);
    for (const pid of tree) {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      const uids = /^Uid:\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)/m.exec(status)?.slice(1) ?? [];
      const want = runnerIsRoot ? '1000' : String(process.getuid?.());
      expect(uids, `host uids of pid ${pid}`).toEqual([want, want, want, want]);
      expect(status).toMatch(/^CapEff:\s+0+$/m);
    }
    proc.kill('SIGKILL');
    await exited(proc);
  });

  it('gives HOME=/home/agent, the workspace as working directory, and only the given environment', async () => {
    const s = await runtime.ensure('alice');
    const proc = runtime.spawn(s, { command: 'env', args: [], env: { GIVEN: 'given-value', UNSET: undefined } });
    let out = '';
    proc.stdout.on('data', (d: Buffer | string) => {
      out += String(d);
    });
    proc.stdin.end();
    // The environment never travels on bwrap's command line, where `ps` would show it.
    expect(readFileSync(`/proc/${proc.pid}/cmdline`, 'utf8')).not.toContain('given-value');
    await exited(proc);
    await new Promise((r) => setImmediate(r));
    expect(out.trim().split('\n').sort()).toEqual([
      'CLAUDE_CODE_TMPDIR=/tmp',
      'CLAUDE_CONFIG_DIR=/home/agent/.claude',
      'GIVEN=given-value',
      'HOME=/home/agent',
      'LOGNAME=agent',
      'PATH=/home/agent/.local/bin:/usr/local/bin:/usr/bin:/bin',
      'PWD=/home/agent/workspace',
      'TMPDIR=/tmp',
      'USER=agent',
    ]);
  });

  it('can write its home and /tmp, but not /, /usr or /etc', async () => {
    const s = await runtime.ensure('alice');
    const script = [
      'for p in /x /usr/x /etc/x /opt/x; do touch $p 2>/dev/null && echo "wrote $p"; done',
      'touch /tmp/x && echo tmp-ok',
      'touch ~/x && echo home-ok',
    ].join('; ');
    expect(await run(runtime, s, script)).toEqual({ out: 'tmp-ok\nhome-ok\n', code: 0 });
    // The home is the host folder, owned by the sandbox uid.
    expect(existsSync(path.join(runtime.hostHomeDir('alice'), 'x'))).toBe(true);
  });

  it("sees neither the runner's data dir, another user's folder, nor the host's private places", async () => {
    const a = await runtime.ensure('alice');
    const b = await runtime.ensure('bob');
    expect((await run(runtime, a, 'echo alice-secret > ~/secret.txt')).code).toBe(0);
    const hostPaths = [
      dataDir,
      runtime.hostHomeDir('alice'),
      path.join(runtime.hostHomeDir('alice'), 'secret.txt'),
      '/root',
      '/var/run/docker.sock',
      '/run',
      process.cwd(),
      path.join(process.cwd(), 'package.json'),
    ];
    const script = hostPaths.map((p) => `[ -e ${JSON.stringify(p)} ] && echo "sees ${p}"`).join('; ');
    expect(await run(runtime, b, `${script}; cat /home/agent/secret.txt 2>/dev/null; true`)).toEqual({
      out: '',
      code: 0,
    });
    // Nor any other process of the machine.
    // The shell expands the glob itself: the namespace's init (bwrap) and the shell are all there is.
    expect(await run(runtime, b, 'echo /proc/[0-9]*')).toEqual({ out: '/proc/1 /proc/2\n', code: 0 });
  });

  it('runs the Claude binary by its host path as /opt/claude/claude', async () => {
    const s = await runtime.ensure('alice');
    const proc = runtime.spawn(s, { command: standIn, args: ['--print', 'hi'], env: {} });
    let out = '';
    proc.stdout.on('data', (d: Buffer | string) => {
      out += String(d);
    });
    proc.stdin.end();
    expect(await exited(proc)).toEqual({ code: 0, signal: null });
    await new Promise((r) => setImmediate(r));
    expect(out).toBe('argv0=/opt/claude/claude args=--print hi\n');
  });

  it('runs the real Claude Code binary inside: /opt/claude/claude --version', async () => {
    const dir = makeDataDir('ap-bwrap-real-');
    const real = new BubblewrapRuntime({ dataDir: dir, claudeBinary: claudeBinaryPath() });
    try {
      const s = await real.ensure('alice');
      const r = await run(real, s, '/opt/claude/claude --version');
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/^\d+\.\d+\.\d+ \(Claude Code\)\n$/);
    } finally {
      await real.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('kill() ends the sandboxed process and everything under it, and exit fires', async () => {
    const s = await runtime.ensure('alice');
    const proc = runtime.spawn(s, { command: 'sh', args: ['-c', 'sleep 100 & echo started; wait'], env: {} });
    await printed(proc, 'started');
    const tree = processTree(proc.pid as number);
    expect(proc.kill('SIGTERM')).toBe(true);
    expect(await exited(proc)).toEqual({ code: null, signal: 'SIGTERM' });
    // The namespace dies with bwrap (--die-with-parent), a moment after it.
    for (let i = 0; i < 100 && tree.some(alive); i++) await new Promise((r) => setTimeout(r, 10));
    expect(tree.filter(alive)).toEqual([]);
  });

  it('stop() ends a running `sleep 100` and reports the stop to watchers', async () => {
    const s = await runtime.ensure('carol');
    const proc = runtime.spawn(s, { command: 'sh', args: ['-c', 'echo started; exec sleep 100'], env: {} });
    await printed(proc, 'started');
    const tree = processTree(proc.pid as number);
    const began = performance.now();
    await runtime.stop('carol');
    expect(performance.now() - began).toBeLessThan(1500);
    expect(proc.exitCode !== null || (proc as unknown as { signalCode: string | null }).signalCode !== null).toBe(true);
    expect(tree.filter(alive)).toEqual([]);
    expect(changes).toContainEqual(['carol', { state: 'stopped', why: 'request' }]);
    // Stopped means stopped: a process needs the sandbox ensured again.
    expect(() => runtime.spawn(s, { command: 'true', args: [], env: {} })).toThrow(/stopped/);
    const again = await runtime.ensure('carol');
    expect(again).toEqual(s);
    expect((await run(runtime, again, 'echo back')).out).toBe('back\n');
  });

  it('stop() lets the command end cleanly on SIGTERM, and kills one that ignores it after 2 s', async () => {
    const s = await runtime.ensure('dave');
    const polite = runtime.spawn(s, {
      command: 'sh',
      args: ['-c', 'trap "echo got-term; exit 0" TERM; echo started; sleep 100 & wait'],
      env: {},
    });
    let said = '';
    polite.stdout.on('data', (d: Buffer | string) => {
      said += String(d);
    });
    const stubborn = runtime.spawn(s, {
      command: 'sh',
      args: ['-c', 'trap "" TERM; echo started; sleep 100 & wait'],
      env: {},
    });
    await Promise.all([printed(polite, 'started'), printed(stubborn, 'started')]);
    const trees = [...processTree(polite.pid as number), ...processTree(stubborn.pid as number)];
    const began = performance.now();
    await runtime.stop('dave');
    const tookMs = performance.now() - began;
    expect(tookMs).toBeGreaterThanOrEqual(1900);
    expect(tookMs).toBeLessThan(4000);
    expect(said).toContain('got-term');
    expect(polite.exitCode).toBe(0);
    expect(stubborn.exitCode).toBe(128 + 9);
    expect(trees.filter(alive)).toEqual([]);
  });

  it('honours an abort signal', async () => {
    const s = await runtime.ensure('alice');
    const ac = new AbortController();
    const proc = runtime.spawn(s, {
      command: 'sh',
      args: ['-c', 'echo started; exec sleep 100'],
      env: {},
      signal: ac.signal,
    });
    proc.on('error', () => {});
    await printed(proc, 'started');
    ac.abort();
    expect((await exited(proc)).signal).toBe('SIGTERM');
  });

  it('sends stderr line by line to onStderr', async () => {
    const s = await runtime.ensure('alice');
    stderr.length = 0;
    await run(runtime, s, 'echo one >&2; printf "two\\nthree" >&2');
    await new Promise((r) => setTimeout(r, 50));
    expect(stderr).toEqual(['one', 'two', 'three']);
  });

  it('bounds processes per sandbox, address space per process and /tmp', async () => {
    const s = await runtime.ensure('alice');
    const r = await run(
      runtime,
      s,
      'grep -E "^Max (processes|address space|core)" /proc/self/limits; df -k /tmp | tail -1',
    );
    expect(r.out).toMatch(/Max core file size\s+0\s+0/);
    expect(r.out).toMatch(/Max processes\s+512\s+512/);
    expect(r.out).toMatch(/Max address space\s+8589934592\s+8589934592/);
    expect(r.out).toMatch(/^tmpfs\s+524288\s/m);
  });

  it('says to install bubblewrap when bwrap cannot be run', async () => {
    const rt = new BubblewrapRuntime({ dataDir, bwrap: '/nonexistent/bwrap' });
    const failure = await rt.ensure('alice').then(
      () => null,
      (e: unknown) => e,
    );
    expect(isAppError(failure) && failure.code).toBe('SANDBOX_UNAVAILABLE');
    expect((failure as Error).message).toContain('apt-get install bubblewrap');
    await rt.close();
  });

  it.runIf(runnerIsRoot)('says what to change when the sandbox uid cannot reach the data dir', async () => {
    const closed = mkdtempSync(path.join(tmpdir(), 'ap-bwrap-closed-'));
    mkdirSync(path.join(closed, 'data'));
    const rt = new BubblewrapRuntime({ dataDir: path.join(closed, 'data') });
    try {
      const failure = await rt.ensure('alice').then(
        () => null,
        (e: unknown) => e,
      );
      expect(isAppError(failure) && failure.code).toBe('SANDBOX_UNAVAILABLE');
      expect((failure as Error).message).toContain(`chmod o+x ${closed}`);
    } finally {
      await rt.close();
      rmSync(closed, { recursive: true, force: true });
    }
  });
});

describe('Claude Code in bubblewrap, through the Agent SDK', () => {
  let model: ScriptedModel;
  let dataDir: string;
  let runtime: BubblewrapRuntime;

  beforeAll(async () => {
    if (!available) throw new Error(MISSING);
    model = await startScriptedModel();
    dataDir = makeDataDir('ap-bwrap-sdk-');
    runtime = new BubblewrapRuntime({ dataDir, claudeBinary: claudeBinaryPath() });
  });

  afterAll(async () => {
    await runtime?.close();
    await model?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('runs a Bash tool as uid 1000 with permissions bypassed', async () => {
    const sandbox = await runtime.ensure('sdk-user');
    let command = '';
    model.script([
      { text: 'Checking who I am.', toolUse: [{ name: 'Bash', input: { command: 'id -u' } }] },
      { expect: (req) => expect(toolResults(req)[0]?.text.trim()).toBe('1000'), text: 'I am uid 1000.' },
    ]);
    const messages: SDKMessage[] = [];
    for await (const m of query({
      prompt: 'who are you?',
      options: {
        pathToClaudeCodeExecutable: claudeBinaryPath(),
        cwd: sandbox.workspaceDir,
        env: {
          ANTHROPIC_BASE_URL: model.url,
          ANTHROPIC_API_KEY: 'test-key',
          CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
          DISABLE_AUTOUPDATER: '1',
        },
        permissionMode: 'bypassPermissions',
        allowDangerouslySkipPermissions: true,
        maxTurns: 3,
        spawnClaudeCodeProcess: (opts) => {
          command = opts.command;
          return runtime.spawn(sandbox, opts) as unknown as SpawnedProcess;
        },
      },
    })) {
      messages.push(m);
    }
    expect(model.failures).toEqual([]);
    expect(command).toBe(claudeBinaryPath());
    const result = messages.find((m) => m.type === 'result');
    expect(result).toMatchObject({ subtype: 'success', is_error: false, result: 'I am uid 1000.' });
    expect(toolResults(model.requests.at(-1)!)[0]).toMatchObject({ text: '1000', isError: false });
    // Claude's config and transcript went to the user's home, on the host side of the bind.
    expect(existsSync(path.join(runtime.hostHomeDir('sdk-user'), '.claude', 'projects'))).toBe(true);
  });
});
