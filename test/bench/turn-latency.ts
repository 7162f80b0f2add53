/**
 * Turn latency: the platform's warm path against the floor (a bare persistent Agent SDK query())
 * and the seeds' way (a new `claude -p --resume` process per message), in one run on one machine,
 * so the ratios hold even when the machine is noisy. The same warm path is measured through the
 * cloud shape too (the API in the functions framework, Firestore, Pub/Sub and Auth emulators, one
 * runner process), interleaved with the others, with a breakdown of where its time goes.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createPubSubBus } from '@agent-platform/core/bus/pubsub';
import { type ChatTurnJob, type MeResponse, Topics } from '@agent-platform/core/protocol';
import { openFirestoreStore } from '@agent-platform/core/store/firestore';
import { FirebaseAuth } from '@agent-platform/functions/auth/firebase';
import { loadConfig } from '@agent-platform/runner/config';
import { claudeEnvironment, startLocalPlatform } from '@agent-platform/runner/local';
import { AsyncQueue } from '@agent-platform/runner/sessions/async-queue';
import { PLATFORM_PROMPT } from '@agent-platform/runner/sessions/manager';
import { query, type SDKUserMessage } from '@anthropic-ai/claude-agent-sdk';
import { startCloudShape } from '../fixtures/cloud-shape.js';
import { type EventStream, PlatformClient } from '../fixtures/platform-client.js';
import { lastUserText, type ScriptedModel, startScriptedModel } from '../fixtures/scripted-model.js';
import { percentile, round, spread, spreads } from './stats.js';

const MESSAGES = 20;
const PUBSUB_WARMUP_MESSAGES = 3;
const STREAM_FIRST_TOKEN_DELAY_MS = 100;
const STREAM_TOKENS = 60;
const STREAM_CHUNK_DELAY_MS = 16; // 60 deltas over about one second

/** Stages of one turn, in ms, each from the previous point (see `breakdown.stages` in the result). */
const STAGES = [
  'post_to_202',
  '202_to_job_seen',
  'job_seen_to_model_request',
  '202_to_model_request',
  'model_request_to_thinking_event',
  'thinking_event_to_delta_event',
  'delta_event_to_client',
  'post_to_first_text',
  'post_to_result',
] as const;
type Stage = (typeof STAGES)[number];
type TurnTiming = Partial<Record<Stage, number>>;

/** Store, auth and bus calls on the cloud shape's path, timed one by one from the bench. */
const COMPONENTS = [
  'auth_verify_id_token',
  'firestore_get_user',
  'firestore_get_session',
  'firestore_insert_message',
  'firestore_place_user',
  'pubsub_publish',
  'firestore_get_placement',
  'firestore_get_message',
  'firestore_append_event',
] as const;
type Component = (typeof COMPONENTS)[number];

export async function runTurnLatency(): Promise<Record<string, unknown>> {
  const model = await startScriptedModel();
  model.fallback = { text: 'ok' };
  const work = mkdtempSync(path.join(tmpdir(), 'ap-bench-'));
  const cleanups: (() => unknown)[] = [];
  try {
    const platform = await platformProbe(model, work);
    cleanups.push(platform.close);
    const floor = await sdkFloorProbe(model, work);
    cleanups.push(floor.close);
    const seeds = seedsProbe(model, work);
    const cloud = await cloudProbe(model);
    cleanups.push(cloud.close);

    const first = await platform.ask('hello');
    await floor.ask('hello');
    await seeds.ask('hello');
    const cloudFirst = await cloud.ask('hello');
    // Not measured: the cloud shape is five fresh processes (three of them JVMs) warming up on their
    // first requests, where the local path runs in this process, warm already.
    for (let i = 0; i < PUBSUB_WARMUP_MESSAGES; i++) {
      await cloud.ask(`warm-up ${i}`);
      await cloud.components();
    }
    // Interleaved, message by message, so that whatever else the machine does weighs on all four alike.
    const warm: TurnTiming[] = [];
    const sdkFloor: number[] = [];
    const baseline: number[] = [];
    const pubsub: TurnTiming[] = [];
    const components: Partial<Record<Component, number>>[] = [];
    for (let i = 0; i < MESSAGES; i++) {
      warm.push(await platform.ask(`message ${i}`));
      sdkFloor.push(await floor.ask(`message ${i}`));
      baseline.push(await seeds.ask(`message ${i}`));
      pubsub.push(await cloud.ask(`message ${i}`));
      components.push(await cloud.components());
    }
    const streamed = await platform.streamed();
    const warmMs = warm.map((t) => t.post_to_first_text as number);
    const pubsubMs = pubsub.map((t) => t.post_to_first_text as number);
    const result = {
      messages: MESSAGES,
      warm_p50_ms: percentile(warmMs, 50),
      warm_p95_ms: percentile(warmMs, 95),
      first_message_ms: round(first.post_to_first_text as number),
      sdk_floor_p50_ms: percentile(sdkFloor, 50),
      seeds_baseline_p50_ms: percentile(baseline, 50),
      overhead_p50_ms: round(percentile(warmMs, 50) - percentile(sdkFloor, 50)),
      ratio: round(percentile(baseline, 50) / percentile(warmMs, 50)),
      pubsub_warm_p50_ms: percentile(pubsubMs, 50),
      pubsub_warm_p95_ms: percentile(pubsubMs, 95),
      pubsub_overhead_p50_ms: round(percentile(pubsubMs, 50) - percentile(warmMs, 50)),
      pubsub_first_message_ms: round(cloudFirst.post_to_first_text as number),
      pubsub_warmup_messages: PUBSUB_WARMUP_MESSAGES,
      streamed_first_token_delay_ms: STREAM_FIRST_TOKEN_DELAY_MS,
      streamed_first_text_ms: round(streamed.first),
      streamed_message_end_ms: round(streamed.end),
      targets: {
        overhead_p50_ms: 5,
        ratio: 25,
        streamed_first_text_ms: 100 + STREAM_FIRST_TOKEN_DELAY_MS,
        pubsub_warm_p50_ms: 80,
      },
      breakdown: {
        about:
          'Warm turns, ms, measured after each turn from the bench clock, the scripted model (request ' +
          "arrival) and the runner's event `at` stamps (one machine, one wall clock). Stages run from the " +
          'end of the one before: post_to_202 (the API); 202_to_job_seen (pubsub only: the job delivered ' +
          'to a second subscription on runner-jobs, pulled in the bench as the runner pulls); ' +
          'job_seen_to_model_request (the runner reads, then Claude Code); 202_to_model_request (the two ' +
          'before together); model_request_to_thinking_event (the runner stamps status:thinking); ' +
          'thinking_event_to_delta_event (appends are chained: mostly the thinking event being stored); ' +
          'delta_event_to_client (the delta being stored, then the WebSocket). post_to_first_text is the warm ' +
          'figure, post_to_result the same to turn.result. Each stage has its own p50/p95 (they need not add ' +
          "up). sdk_floor_push_to_model_request: Claude Code's own part, the floor's push → model request. " +
          'pubsub_components: single calls timed from the bench on the same emulators, as the API makes them ' +
          '(auth_verify to pubsub_publish, on a topic of its own) and then the runner (get_placement to ' +
          'append_event).',
        sdk_floor_push_to_model_request: spread(floor.pushToModelRequest.slice(1)),
        local: spreads(warm, STAGES),
        pubsub: spreads(pubsub, STAGES),
        pubsub_components: spreads(components, COMPONENTS),
      },
      samples: {
        warm: warmMs.map(round),
        sdk_floor: sdkFloor.map(round),
        seeds_baseline: baseline.map(round),
        pubsub_warm: pubsubMs.map(round),
      },
      load_average: loadavg().map(round),
      at: new Date().toISOString(),
    };
    const out = path.join(path.dirname(fileURLToPath(import.meta.url)), 'results', 'turn-latency.json');
    mkdirSync(path.dirname(out), { recursive: true });
    writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
    return result;
  } finally {
    for (const close of cleanups.reverse()) {
      await Promise.resolve()
        .then(close)
        .catch((e: unknown) => console.error('turn-latency cleanup:', e));
    }
    await model.close();
    rmSync(work, { recursive: true, force: true });
  }
}

/** Milliseconds since the epoch, sub-millisecond, comparable with Date.now() in other processes here. */
const wallNow = () => performance.timeOrigin + performance.now();

/**
 * One warm turn as the browser sees it: POST of a message → the turn's first assistant text delta at
 * the WebSocket client (the figure), then on to its turn.result. The stages come from the bench's own
 * clock, the scripted model's arrival time and the runner's event timestamps, read after the turn.
 */
async function timeTurn(
  o: { client: PlatformClient; ws: EventStream; sessionId: string; model: ScriptedModel },
  text: string,
  jobSeenAt?: (messageId: string) => number | undefined,
): Promise<TurnTiming> {
  const { client, ws, sessionId, model } = o;
  const requestsBefore = model.requests.length;
  const t0 = performance.now();
  const messageId = await client.send(sessionId, text);
  const accepted = performance.now();
  await ws.waitForEvent((e) => e.type === 'assistant.delta' && e.messageId === messageId);
  const firstText = performance.now();
  await ws.waitForEvent((e) => e.type === 'turn.result' && e.messageId === messageId);
  const result = performance.now();

  const acceptedAt = performance.timeOrigin + accepted;
  const request = model.requests.slice(requestsBefore).find((r) => lastUserText(r) === text);
  const thinking = ws.events.find((e) => e.type === 'status' && e.state === 'thinking' && e.messageId === messageId);
  const delta = ws.events.find((e) => e.type === 'assistant.delta' && e.messageId === messageId);
  const seen = jobSeenAt?.(messageId);
  const timing: TurnTiming = {
    post_to_202: accepted - t0,
    post_to_first_text: firstText - t0,
    post_to_result: result - t0,
  };
  if (seen !== undefined) timing['202_to_job_seen'] = seen - acceptedAt;
  if (request) {
    timing['202_to_model_request'] = request.receivedAt - acceptedAt;
    if (seen !== undefined) timing.job_seen_to_model_request = request.receivedAt - seen;
    if (thinking) timing.model_request_to_thinking_event = thinking.at - request.receivedAt;
  }
  if (thinking && delta) timing.thinking_event_to_delta_event = delta.at - thinking.at;
  if (delta) timing.delta_event_to_client = firstText + performance.timeOrigin - delta.at;
  return timing;
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

  const ask = (text: string) => timeTurn({ client, ws, sessionId, model }, text);
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

/**
 * Through the cloud shape: the same warm path (POST → first text delta at the runner's WebSocket),
 * with one runner on SANDBOX=host like the local probe. A second subscription on runner-jobs (the
 * tap) tells when Pub/Sub delivers each job; `components` times single calls of the path's store,
 * auth and bus work against the same emulators.
 */
async function cloudProbe(model: ScriptedModel) {
  const shape = await startCloudShape({
    runners: 1,
    runnerEnv: { ANTHROPIC_BASE_URL: model.url, ANTHROPIC_API_KEY: 'bench-key', SANDBOX: 'host', LOG_LEVEL: 'error' },
    // The runner's own defaults (RUNNER_HEARTBEAT_MS, RUNNER_LEASE_MS), not the failover tests' quick ones:
    // heartbeats are store transactions, and their traffic would weigh on the turns measured.
    heartbeatMs: 5000,
    leaseMs: 15_000,
  });
  const closers: (() => Promise<unknown>)[] = [shape.stop];
  const close = async () => {
    for (const c of closers.reverse()) await c().catch((e: unknown) => console.error('cloud probe cleanup:', e));
    closers.length = 0;
  };
  try {
    const { projectId } = shape;
    const bus = await createPubSubBus({
      projectId,
      emulatorHost: shape.pubsub.host,
      topics: [Topics.runnerJobs, BENCH_TOPIC],
      deadLetterSubscription: false,
    });
    closers.push(() => bus.close());
    const seen = new Map<string, number>();
    await bus.subscribe<ChatTurnJob>(Topics.runnerJobs, 'runner-jobs-bench-tap', async (msg) => {
      seen.set(msg.data.messageId, wallNow());
    });
    const store = openFirestoreStore({ projectId, emulatorHost: shape.firestore.host });
    closers.push(() => store.close());
    const auth = new FirebaseAuth({ projectId, emulatorHost: shape.auth.host });
    closers.push(() => auth.close());

    const signIn = await shape.auth.signInWithGoogle({ email: 'bench@example.com', name: 'Bench' });
    const client = new PlatformClient(shape.apiUrl);
    client.credential = signIn.idToken;
    const me = await client.request('GET', '/api/me');
    if (me.status !== 200) throw new Error(`GET /api/me: ${me.status} ${JSON.stringify(me.body)}`);
    const sessionId = await client.createSession('bench');
    const ws = await client.connect((me.body as MeResponse).wsUrl);
    closers.push(async () => ws.close());
    ws.subscribe(sessionId);
    await ws.waitForFrame((f) => f.type === 'subscribed');

    // The components' writes go to a session of their own, which no job ever names.
    const scratchSession = await client.createSession('bench components');
    let scratchSeq = 0;
    let lastMessageId = '';
    const timed = async (out: Partial<Record<Component, number>>, key: Component, f: () => Promise<unknown>) => {
      const t0 = performance.now();
      await f();
      out[key] = performance.now() - t0;
    };
    const components = async () => {
      const out: Partial<Record<Component, number>> = {};
      const uid = signIn.uid;
      const now = Date.now();
      await timed(out, 'auth_verify_id_token', async () => {
        const r = await auth.verify(signIn.idToken);
        if (!r.ok) throw new Error(`verify: ${r.reason}`);
      });
      await timed(out, 'firestore_get_user', () => store.getUser(uid));
      await timed(out, 'firestore_get_session', () => store.getSession(uid, sessionId));
      await timed(out, 'firestore_insert_message', () =>
        store.insertMessage({
          id: randomUUID(),
          sessionId: scratchSession,
          ownerId: uid,
          clientMessageId: randomUUID(),
          text: 'component probe',
          now,
        }),
      );
      await timed(out, 'firestore_place_user', () => store.placeUser(uid, now));
      await timed(out, 'pubsub_publish', () =>
        bus.publish(BENCH_TOPIC, { probe: true }, { orderingKey: scratchSession, attributes: { type: 'probe' } }),
      );
      await timed(out, 'firestore_get_placement', () => store.getPlacement(uid));
      await timed(out, 'firestore_get_message', () => store.getMessage(sessionId, lastMessageId));
      await timed(out, 'firestore_append_event', () =>
        store.appendEvents([
          {
            v: 1,
            type: 'status',
            state: 'thinking',
            sessionId: scratchSession,
            seq: scratchSeq++,
            messageId: null,
            at: now,
          },
        ]),
      );
      return out;
    };
    const ask = (text: string) =>
      timeTurn({ client, ws, sessionId, model }, text, (id) => {
        lastMessageId = id;
        return seen.get(id);
      });
    return { ask, components, close };
  } catch (e) {
    await close();
    throw e;
  }
}

/** A topic of the bench's own, for timing a publish as the API makes it without running a job. */
const BENCH_TOPIC = 'bench-publish-probe';

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
  /** Push → the model gets the request, per ask: Claude Code's own part of a warm turn. */
  const pushToModelRequest: number[] = [];
  const ask = async (text: string): Promise<number> => {
    const requestsBefore = model.requests.length;
    const t0 = performance.now();
    input.push({ type: 'user', message: { role: 'user', content: text }, parent_tool_use_id: null, session_id: '' });
    let t = -1;
    for (;;) {
      const { value, done } = await it.next();
      if (done) throw new Error('query ended early');
      if (t < 0 && value.type === 'stream_event' && value.event.type === 'content_block_delta') {
        t = performance.now() - t0;
      }
      if (value.type === 'result') break;
    }
    const request = model.requests.slice(requestsBefore).find((r) => lastUserText(r) === text);
    if (request) pushToModelRequest.push(request.receivedAt - (performance.timeOrigin + t0));
    return t;
  };
  return {
    ask,
    pushToModelRequest,
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
