/**
 * Turn latency: the platform's warm path against the floor (a bare persistent Agent SDK query())
 * and the seeds' way (a new `claude -p --resume` process per message), in one run on one machine,
 * so the ratios hold even when the machine is noisy.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '@agent-platform/runner/config';
import { claudeEnvironment, startLocalPlatform } from '@agent-platform/runner/local';
import { AsyncQueue } from '@agent-platform/runner/sessions/async-queue';
import { PLATFORM_PROMPT } from '@agent-platform/runner/sessions/manager';
import { query, type SDKUserMessage } from '@anthropic-ai/claude-agent-sdk';
import { PlatformClient } from '../fixtures/platform-client.js';
import { type ScriptedModel, startScriptedModel } from '../fixtures/scripted-model.js';
import { percentile, round } from './stats.js';

const MESSAGES = 20;
const STREAM_FIRST_TOKEN_DELAY_MS = 100;
const STREAM_TOKENS = 60;
const STREAM_CHUNK_DELAY_MS = 16; // 60 deltas over about one second

export async function runTurnLatency(): Promise<Record<string, unknown>> {
  const model = await startScriptedModel();
  model.fallback = { text: 'ok' };
  const work = mkdtempSync(path.join(tmpdir(), 'ap-bench-'));
  const platform = await platformProbe(model, work);
  const floor = await sdkFloorProbe(model, work);
  const seeds = seedsProbe(model, work);
  try {
    const first = await platform.ask('hello');
    await floor.ask('hello');
    await seeds.ask('hello');
    // Interleaved, message by message, so that whatever else the machine does weighs on all three alike.
    const warm: number[] = [];
    const sdkFloor: number[] = [];
    const baseline: number[] = [];
    for (let i = 0; i < MESSAGES; i++) {
      warm.push(await platform.ask(`message ${i}`));
      sdkFloor.push(await floor.ask(`message ${i}`));
      baseline.push(await seeds.ask(`message ${i}`));
    }
    const streamed = await platform.streamed();
    const result = {
      messages: MESSAGES,
      warm_p50_ms: percentile(warm, 50),
      warm_p95_ms: percentile(warm, 95),
      first_message_ms: round(first),
      sdk_floor_p50_ms: percentile(sdkFloor, 50),
      seeds_baseline_p50_ms: percentile(baseline, 50),
      overhead_p50_ms: round(percentile(warm, 50) - percentile(sdkFloor, 50)),
      ratio: round(percentile(baseline, 50) / percentile(warm, 50)),
      streamed_first_token_delay_ms: STREAM_FIRST_TOKEN_DELAY_MS,
      streamed_first_text_ms: round(streamed.first),
      streamed_message_end_ms: round(streamed.end),
      targets: { overhead_p50_ms: 5, ratio: 25, streamed_first_text_ms: 100 + STREAM_FIRST_TOKEN_DELAY_MS },
      samples: { warm: warm.map(round), sdk_floor: sdkFloor.map(round), seeds_baseline: baseline.map(round) },
      load_average: loadavg().map(round),
      at: new Date().toISOString(),
    };
    const out = path.join(path.dirname(fileURLToPath(import.meta.url)), 'results', 'turn-latency.json');
    mkdirSync(path.dirname(out), { recursive: true });
    writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
    return result;
  } finally {
    floor.close();
    await platform.close();
    await model.close();
    rmSync(work, { recursive: true, force: true });
  }
}

/** Through the platform: POST of a message → the first assistant text delta at a WebSocket client. */
async function platformProbe(model: ScriptedModel, work: string) {
  const config = loadConfig({
    PORT: '0',
    DATA_DIR: path.join(work, 'platform'),
    ANTHROPIC_BASE_URL: model.url,
    ANTHROPIC_API_KEY: 'bench-key',
    LOG_LEVEL: 'error',
    // Compared with the bare CLI on this machine: the sandbox's own cost is `npm run bench -- sandbox`.
    SANDBOX: 'host',
  });
  const platform = await startLocalPlatform(config);
  const client = new PlatformClient(platform.url);
  await client.signIn(platform.auth.signInToken);
  const sessionId = await client.createSession('bench');
  const ws = await client.connect();
  ws.subscribe(sessionId);
  await ws.waitForFrame((f) => f.type === 'subscribed');

  const ask = async (text: string): Promise<number> => {
    const t0 = performance.now();
    const messageId = await client.send(sessionId, text);
    await ws.waitForEvent((e) => e.type === 'assistant.delta' && e.messageId === messageId);
    const t = performance.now() - t0;
    await ws.waitForEvent((e) => e.type === 'turn.result' && e.messageId === messageId);
    return t;
  };
  /** A 60-token reply streamed over about a second: when does its first text arrive, when its end? */
  const streamed = async () => {
    model.script([
      {
        firstTokenDelayMs: STREAM_FIRST_TOKEN_DELAY_MS,
        chunkDelayMs: STREAM_CHUNK_DELAY_MS,
        chunks: Array.from({ length: STREAM_TOKENS }, (_, i) => `word${i} `),
      },
    ]);
    const t0 = performance.now();
    const messageId = await client.send(sessionId, 'tell me a long story');
    await ws.waitForEvent((e) => e.type === 'assistant.delta' && e.messageId === messageId);
    const first = performance.now() - t0;
    await ws.waitForEvent((e) => e.type === 'assistant.message' && e.messageId === messageId);
    return { first, end: performance.now() - t0 };
  };
  return {
    ask,
    streamed,
    close: async () => {
      ws.close();
      await platform.close();
    },
  };
}

/** The floor: one bare persistent query() with the platform's Claude options, push → first text delta. */
async function sdkFloorProbe(model: ScriptedModel, work: string) {
  const cwd = path.join(work, 'floor');
  mkdirSync(cwd, { recursive: true });
  const input = new AsyncQueue<SDKUserMessage>();
  const q = query({
    prompt: input,
    options: {
      cwd,
      env: { ...benchEnv(model), HOME: cwd, CLAUDE_CONFIG_DIR: path.join(cwd, '.claude') },
      // The same Claude options as the platform's sessions, so only the platform's own work differs.
      includePartialMessages: true,
      permissionMode: 'bypassPermissions',
      allowDangerouslySkipPermissions: true,
      systemPrompt: { type: 'preset', preset: 'claude_code', append: PLATFORM_PROMPT },
    },
  });
  const it = q[Symbol.asyncIterator]();
  const ask = async (text: string): Promise<number> => {
    const t0 = performance.now();
    input.push({ type: 'user', message: { role: 'user', content: text }, parent_tool_use_id: null, session_id: '' });
    let t = -1;
    for (;;) {
      const { value, done } = await it.next();
      if (done) throw new Error('query ended early');
      if (t < 0 && value.type === 'stream_event' && value.event.type === 'content_block_delta') {
        t = performance.now() - t0;
      }
      if (value.type === 'result') return t;
    }
  };
  return {
    ask,
    close: () => {
      input.end();
      q.close();
    },
  };
}

/** The seeds' way: a new `claude -p --resume <id>` process per message, spawn → first text delta. */
function seedsProbe(model: ScriptedModel, work: string) {
  const cwd = path.join(work, 'seeds');
  mkdirSync(cwd, { recursive: true });
  const env = { ...benchEnv(model), HOME: cwd, CLAUDE_CONFIG_DIR: path.join(cwd, '.claude') };
  const bin = claudeBinary();
  let sessionId: string | null = null;
  const ask = (text: string) =>
    new Promise<number>((resolve, reject) => {
      const t0 = performance.now();
      const args = ['-p', text, '--output-format', 'stream-json', '--verbose', '--include-partial-messages'];
      args.push('--permission-mode', 'bypassPermissions', '--append-system-prompt', PLATFORM_PROMPT);
      if (sessionId) args.push('--resume', sessionId);
      const child = spawn(bin, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let buf = '';
      let first = -1;
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (d: string) => {
        buf += d;
        for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
          const line = buf.slice(0, i);
          buf = buf.slice(i + 1);
          if (!line.trim()) continue;
          const msg = JSON.parse(line) as { type: string; session_id?: string; event?: { type: string } };
          if (msg.session_id) sessionId = msg.session_id;
          if (first < 0 && msg.type === 'stream_event' && msg.event?.type === 'content_block_delta') {
            first = performance.now() - t0;
          }
        }
      });
      child.on('error', reject);
      child.on('exit', (code) =>
        first >= 0 ? resolve(first) : reject(new Error(`claude -p exited ${code} without text`)),
      );
    });
  return { ask };
}

function benchEnv(model: ScriptedModel): Record<string, string> {
  return { ...claudeEnvironment(process.env), ANTHROPIC_BASE_URL: model.url, ANTHROPIC_API_KEY: 'bench-key' };
}

function claudeBinary(): string {
  const require = createRequire(import.meta.url);
  const sdk = require.resolve('@anthropic-ai/claude-agent-sdk');
  const req = createRequire(sdk);
  return path.join(path.dirname(req.resolve('@anthropic-ai/claude-agent-sdk-linux-x64/package.json')), 'claude');
}
