/**
 * Claude Code in a real Docker sandbox, driven through the platform as the browser drives it, with
 * the scripted model's Bash tool calls probing the walls from inside. The upstream key is known only
 * to this runner (the scripted model refuses any other); each probe asserts on the tool result.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SessionEvent } from '@agent-platform/core/protocol';
import type { DockerRuntime } from '@agent-platform/runner/sandbox/docker';
import Docker from 'dockerode';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { modelEnv, startTestPlatform, type TestPlatform } from '../fixtures/platform.js';
import type { EventStream } from '../fixtures/platform-client.js';
import { type ScriptedModel, startScriptedModel, toolResults, transcriptText } from '../fixtures/scripted-model.js';

const UPSTREAM_KEY = `sk-ant-upstream-${randomBytes(12).toString('hex')}`;
const USAGE = { input_tokens: 1200, output_tokens: 34, cache_read_input_tokens: 5, cache_creation_input_tokens: 7 };

let model: ScriptedModel;
let test: TestPlatform;
let runtime: DockerRuntime;
let gateway: string;
/** A port of "the runner" on the sandbox gateway that is not the model proxy. */
let privateServer: Server;
let privatePort: number;

beforeAll(async () => {
  await new Docker().ping().catch((e: Error) => {
    throw new Error(
      `No Docker engine answers (${e.message}): run docker/ensure-docker.sh and docker/workspace/build-offline.sh.`,
    );
  });
  model = await startScriptedModel({ requireApiKey: UPSTREAM_KEY });
  model.fallback = { text: 'ok', usage: USAGE };
  test = await startTestPlatform({ ...modelEnv(model.url), ANTHROPIC_API_KEY: UPSTREAM_KEY, SANDBOX: 'docker' });
  runtime = test.platform.sandboxes.runtime as DockerRuntime;
  gateway = test.platform.sandboxes.proxyHost;
  privateServer = createServer((_req, res) => res.end('private'));
  await new Promise<void>((r) => privateServer.listen(0, gateway, r));
  privatePort = (privateServer.address() as AddressInfo).port;
}, 120_000);

afterAll(async () => {
  await new Promise((r) => privateServer?.close(r));
  await test?.close();
  await model?.close();
});

afterEach(() => {
  const failures = [...model.failures];
  model.reset();
  model.fallback = { text: 'ok', usage: USAGE };
  expect(failures).toEqual([]);
});

/** A value from the container's cgroup (v1 with cgroupfs, as here; v2 with systemd elsewhere). */
async function readCgroup(id: string, controller: string, file: string): Promise<number> {
  for (const p of [
    `/sys/fs/cgroup/${controller}/docker/${id}/${file}`,
    `/sys/fs/cgroup/system.slice/docker-${id}.scope/${file}`,
  ]) {
    const text = await readFile(p, 'utf8').catch(() => null);
    if (text !== null) return Number(text.trim());
  }
  throw new Error(`no cgroup file ${file} for container ${id}`);
}

let ws: EventStream;
let sessionId: string;

/** Runs one Bash command through Claude in the sandbox and returns the tool result's text. */
async function bash(command: string, timeoutMs = 60_000): Promise<string> {
  let output = '';
  model.script([
    { toolUse: [{ name: 'Bash', input: { command, timeout: timeoutMs } }], usage: USAGE },
    (req) => {
      output = toolResults(req)[0]?.text ?? '';
      return { text: 'done', usage: USAGE };
    },
  ]);
  const m = await test.client.send(sessionId, `run: ${command.slice(0, 40)}`);
  await ws.waitForEvent((e) => e.type === 'turn.result' && e.messageId === m, timeoutMs + 30_000);
  return output;
}

describe('Claude Code in a Docker sandbox', () => {
  beforeAll(async () => {
    sessionId = await test.client.createSession('probes');
    ws = await test.client.connect();
    ws.subscribe(sessionId);
    await ws.waitForFrame((f) => f.type === 'subscribed');
  });

  it('starts the sandbox with progress the browser sees, and runs Claude in it as the agent user', async () => {
    const out = await bash('id -u; id -un; pwd; echo "$HOME"');
    expect(out.trim().split('\n')).toEqual(['1000', 'agent', '/home/agent/workspace', '/home/agent']);
    const sandboxEvents = ws.events.filter((e) => e.type === 'sandbox') as Extract<SessionEvent, { type: 'sandbox' }>[];
    expect(sandboxEvents.map((e) => e.state)).toEqual(['starting', 'starting', 'ready']);
    expect(sandboxEvents.every((e) => e.runtime === 'docker')).toBe(true);
    expect(sandboxEvents.at(-1)?.ms).toBeGreaterThan(0);
  });

  it('keeps the upstream key out of the environment, /proc and every file under /home/agent', async () => {
    const b64 = Buffer.from(UPSTREAM_KEY).toString('base64');
    const out = await bash(
      [
        'env | sort',
        'for f in /proc/[0-9]*/environ; do tr "\\0" "\\n" < "$f" 2>/dev/null; done | sort -u',
        // The key is looked for by its value, which is never written in this command (the command is
        // kept in Claude's transcript under /home/agent).
        `k=$(echo ${b64} | base64 -d); grep -rlaF "$k" /home/agent /tmp 2>/dev/null | sed 's/^/LEAK:/'`,
        'echo files:$(find /home/agent -type f | wc -l)',
      ].join('; '),
    );
    expect(out).toContain('ANTHROPIC_API_KEY=ap-sbx-');
    expect(out).toMatch(/ANTHROPIC_BASE_URL=http:\/\/[\d.]+:\d+/);
    expect(out).not.toContain(UPSTREAM_KEY);
    expect(out).not.toContain('LEAK:');
    expect(Number(/files:(\d+)/.exec(out)?.[1])).toBeGreaterThan(0);
  });

  it("cannot reach the runner's other ports, the host's services or another user's container", async () => {
    const other = await runtime.ensure(`other-user-${process.pid}`);
    const server = runtime.spawn(other, { command: 'python3', args: ['-m', 'http.server', '8000'], env: {} });
    try {
      const info = await new Docker().getContainer(runtime.containerName(other.userId)).inspect();
      const otherIp = Object.values(info.NetworkSettings.Networks)[0]?.IPAddress;
      expect(otherIp).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
      const probe = (name: string, url: string) =>
        `if curl -s -o /dev/null -m 3 ${url}; then echo "${name}:reached"; else echo "${name}:blocked"; fi`;
      const proxyPort = new URL(test.platform.proxy.url).port;
      const out = await bash(
        [
          `sleep 1`,
          probe('proxy', `http://${gateway}:${proxyPort}/`),
          probe('runner-private', `http://${gateway}:${privatePort}/`),
          probe('runner-api', `http://${gateway}:${new URL(test.platform.url).port}/api/health`),
          probe('other-user', `http://${otherIp}:8000/`),
        ].join('; '),
      );
      expect(out.trim().split('\n')).toEqual([
        // The proxy answers (with an error: no token), which is how Claude reaches the model.
        'proxy:reached',
        'runner-private:blocked',
        'runner-api:blocked',
        'other-user:blocked',
      ]);
      // The other user's server was up all along: it answers inside its own sandbox.
      const self = runtime.spawn(other, {
        command: 'curl',
        args: ['-s', '-o', '/dev/null', '-w', '%{http_code}', 'http://127.0.0.1:8000/'],
        env: {},
      });
      let code = '';
      self.stdout.on('data', (d: Buffer) => {
        code += String(d);
      });
      self.stdin.end();
      await new Promise((r) => self.once('exit', r));
      await new Promise((r) => setImmediate(r));
      expect(code).toBe('200');
    } finally {
      server.kill('SIGKILL');
      await runtime.remove(other.userId, { withVolume: true });
    }
  });

  it('has no Docker socket, and cannot write outside /home/agent and /tmp', async () => {
    const out = await bash(
      [
        'ls /var/run/docker.sock /run/docker.sock 2>&1 | grep -c "No such file"',
        'for p in /x /etc/x /usr/x /opt/claude/x /var/x; do touch $p 2>/dev/null && echo "wrote:$p" || echo "refused:$p"; done',
        'touch /home/agent/ok /tmp/ok && echo writable-ok',
      ].join('; '),
    );
    expect(out.trim().split('\n')).toEqual([
      '2',
      'refused:/x',
      'refused:/etc/x',
      'refused:/usr/x',
      'refused:/opt/claude/x',
      'refused:/var/x',
      'writable-ok',
    ]);
  });

  it('contains a memory hog: the program is stopped, the user is told, and the sandbox and runner go on', async () => {
    const out = await bash('python3 -c "a = bytearray(3 * 1024**3)"; echo "exit:$?"');
    expect(out).toMatch(/exit:(137|1)\b/);
    await ws.waitForEvent((e) => e.type === 'sandbox' && e.state === 'failed' && e.reason === 'oom', 10_000);
    expect((await fetch(`${test.platform.url}/api/health`)).status).toBe(200);
    expect((await bash('echo still-here')).trim()).toBe('still-here');
  });

  it('contains a fork bomb within the process limit; the runner stays up and a restart clears it', async () => {
    const out = await bash('timeout -s KILL 8 bash -c "b(){ b | b & }; b" 2>/dev/null; echo bomb-ended', 30_000);
    expect(out).toContain('bomb-ended');
    const id = (await new Docker().getContainer(runtime.containerName('local')).inspect()).Id;
    // The bomb's orphans go on forking until the container's process table is full, and no further.
    const pids = () => readCgroup(id, 'pids', 'pids.current');
    await expect.poll(pids, { timeout: 15_000 }).toBeGreaterThanOrEqual(250);
    expect(await pids()).toBeLessThanOrEqual(256);
    expect((await fetch(`${test.platform.url}/api/health`)).status).toBe(200);
    // Starting the sandbox again clears them.
    await test.platform.sessions.stop(sessionId);
    await runtime.stop('local');
    expect((await bash('echo back')).trim()).toBe('back');
  });

  it('renders a Korean matplotlib chart without missing glyphs', async () => {
    const script = [
      'import os, warnings, matplotlib',
      'import matplotlib.pyplot as plt',
      'from matplotlib import font_manager as fm',
      'from matplotlib.ft2font import FT2Font',
      'text = "월별 매출 추이 서울 부산"',
      'path = fm.findfont(fm.FontProperties(family=matplotlib.rcParams["font.family"]), fallback_to_default=False)',
      'font = FT2Font(path)',
      'missing = [c for c in text if c != " " and font.get_char_index(ord(c)) == 0]',
      'with warnings.catch_warnings(record=True) as caught:',
      '    warnings.simplefilter("always")',
      '    fig, ax = plt.subplots()',
      '    ax.plot([1, 2, 3], [3, 1, 2], label="서울")',
      '    ax.set_title(text); ax.set_xlabel("월"); ax.legend()',
      '    fig.savefig("chart.png")',
      'print("font=" + os.path.basename(path))',
      'print("missing=" + "".join(missing))',
      'print("glyph_warnings=%d" % sum("missing from" in str(w.message) for w in caught))',
      'print("png=%s" % (os.path.getsize("chart.png") > 1000))',
    ].join('\n');
    const out = await bash(`python3 - <<'PY'\n${script}\nPY`);
    const lines = out.trim().split('\n');
    // A Hangul-capable font (the image's matplotlib is set to Nanum, with Noto CJK as fallback), not
    // matplotlib's default DejaVu, which has no Hangul and draws boxes.
    expect(lines[0]).toMatch(/^font=(NanumGothic|Noto\w*CJK)/);
    expect(lines.slice(1)).toEqual(['missing=', 'glyph_warnings=0', 'png=True']);
  });

  it('continues the conversation after its container was stopped and started again', async () => {
    model.script([{ text: 'The secret word is pelican.', usage: USAGE }]);
    const m1 = await test.client.send(sessionId, 'remember a word for me');
    await ws.waitForEvent((e) => e.type === 'turn.result' && e.messageId === m1);
    const before = await test.platform.store.getSession('local', sessionId);
    await test.platform.sessions.stop(sessionId);
    await runtime.stop('local');
    expect((await new Docker().getContainer(runtime.containerName('local')).inspect()).State.Running).toBe(false);

    model.script([
      {
        // Claude's transcript lives in the user's volume: the resumed process sends the earlier turn.
        expect: (req) => expect(transcriptText(req)).toContain('The secret word is pelican.'),
        text: 'It was pelican.',
        usage: USAGE,
      },
    ]);
    const m2 = await test.client.send(sessionId, 'which word?');
    await ws.waitForEvent((e) => e.type === 'turn.result' && e.messageId === m2);
    const after = await test.platform.store.getSession('local', sessionId);
    expect(after?.claudeSessionId).toBe(before?.claudeSessionId);
    const restarted = ws.events.flatMap((e) => (e.type === 'sandbox' && e.messageId === m2 ? [e.state] : []));
    expect(restarted).toEqual(['starting', 'ready']);
  });

  it('meters every model response through the proxy, exactly as the model reported it', async () => {
    const before = await test.platform.store.usageSince('local', 0);
    const answeredBefore = model.allRequests.filter(
      (r) => r.path.startsWith('/v1/messages') && r.kind !== 'count_tokens',
    ).length;
    await bash('echo metered');
    await test.platform.proxy.idle();
    const after = await test.platform.store.usageSince('local', 0);
    const answered =
      model.allRequests.filter((r) => r.path.startsWith('/v1/messages') && r.kind !== 'count_tokens').length -
      answeredBefore;
    expect(answered).toBeGreaterThanOrEqual(2);
    expect(after.responses - before.responses).toBe(answered);
    expect(after.inputTokens - before.inputTokens).toBe(answered * USAGE.input_tokens);
    expect(after.outputTokens - before.outputTokens).toBe(answered * USAGE.output_tokens);
    expect(after.cacheReadTokens - before.cacheReadTokens).toBe(answered * USAGE.cache_read_input_tokens);
    expect(after.cacheCreationTokens - before.cacheCreationTokens).toBe(answered * USAGE.cache_creation_input_tokens);
  });

  it("refuses a removed sandbox's token at the proxy", async () => {
    const token = (await bash('printf %s "$ANTHROPIC_API_KEY"')).trim();
    expect(token).toMatch(/^ap-sbx-/);
    const ask = () =>
      fetch(`${test.platform.proxy.url}/v1/messages`, {
        method: 'POST',
        headers: { 'x-api-key': token, 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
        body: JSON.stringify({ model: 'claude-scripted', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }),
      });
    expect((await ask()).status).toBe(200);
    await test.platform.sessions.stop(sessionId);
    await runtime.remove('local');
    expect((await ask()).status).toBe(401);
    // The next message makes a new container with a new token, on the same files.
    expect((await bash('cat /home/agent/ok && echo same-home')).trim()).toBe('same-home');
  });
});
