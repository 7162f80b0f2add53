/**
 * Sandbox bench: what the Docker sandbox costs a conversation on this machine. Figures that say
 * "first text" are measured as the browser sees them (POST of a message → the first
 * `assistant.delta` at a WebSocket client); sandbox-only figures at the runtime (`ensure`).
 *
 * Parts (BENCH_PARTS, comma-separated; default all):
 * - latency: cold start, cold first text, new conversation, warm pool, Claude start-up (host
 *   runtime), and a profile of where the time goes (docker create/start/exec, Claude's own start,
 *   and what the Agent SDK's `startup()` / `prewarm()` would save). Interleaved round by round, so
 *   whatever else the machine does weighs on all figures alike.
 * - ramp: memory per active conversation, idle sandbox memory, and how many live conversations one
 *   runner holds while messages still get their first text within a second.
 *
 * Env: BENCH_ROUNDS (6), BENCH_WARMUP (1), BENCH_RSS_SESSIONS (10), BENCH_RAMP_STEPS
 * (10,20,…,200: it stops earlier on the memory floor), BENCH_RAMP_WINDOW_S (30), BENCH_RAMP_SETTLE_MS (5000),
 * BENCH_MIN_FREE_MB (3072), BENCH_PARTS (latency,ramp).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Sandbox } from '@agent-platform/core/ports';
import type { ServerFrame } from '@agent-platform/core/protocol';
import { claudeEnvironment } from '@agent-platform/runner/local';
import type { DockerRuntime } from '@agent-platform/runner/sandbox/docker';
import { AsyncQueue } from '@agent-platform/runner/sessions/async-queue';
import { PLATFORM_PROMPT } from '@agent-platform/runner/sessions/manager';
import {
  type Options,
  prewarm,
  type Query,
  query,
  type SDKUserMessage,
  type SpawnedProcess,
  startup,
} from '@anthropic-ai/claude-agent-sdk';
import Docker from 'dockerode';
import { z } from 'zod';
import { modelEnv, startTestPlatform, type TestPlatform } from '../fixtures/platform.js';
import type { EventStream, PlatformClient } from '../fixtures/platform-client.js';
import { lastUserText, type ScriptedModel, startScriptedModel } from '../fixtures/scripted-model.js';
import { percentile, round } from './stats.js';

const BenchEnv = z.object({
  BENCH_ROUNDS: z.coerce.number().int().min(1).default(6),
  BENCH_WARMUP: z.coerce.number().int().min(0).default(1),
  BENCH_RSS_SESSIONS: z.coerce.number().int().min(1).default(10),
  BENCH_RAMP_STEPS: z
    .string()
    .regex(/^\d+(,\d+)*$/)
    .default('10,20,40,60,80,100,120,140,160,180,200'),
  BENCH_RAMP_WINDOW_S: z.coerce.number().int().min(1).default(30),
  BENCH_RAMP_SETTLE_MS: z.coerce.number().int().min(0).default(5000),
  BENCH_MIN_FREE_MB: z.coerce.number().int().min(0).default(3072),
  BENCH_PARTS: z.string().default('latency,ramp'),
});
type BenchEnv = z.infer<typeof BenchEnv>;

const TARGETS = {
  cold_start_ms: 1000,
  new_conversation_ms: 700,
  warm_pool_over_claude_startup_ms: 150,
  active_sessions_held: 80,
  first_text_in_ramp_ms: 1000,
};
/** Raised for the ramp only: there all conversations share the one local user's container. */
const RAMP_LIMITS = { SANDBOX_PIDS: '100000', SANDBOX_MEMORY_MB: '20000' };
const LONG_MS = String(6 * 3600_000);
/** Quiet time after removing a container before the next cold or pooled start is measured. */
const AFTER_REMOVE_MS = 1000;

const log = (line: string) => console.error(`[sandbox bench] ${line}`);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** p50/p90/n of a sample with its description, as in every figure of the JSON. */
function figure(description: string, sample: number[], extra: Record<string, unknown> = {}) {
  if (sample.length === 0) return { description, n: 0, ...extra };
  return {
    description,
    p50: percentile(sample, 50),
    p90: percentile(sample, 90),
    n: sample.length,
    min: round(Math.min(...sample)),
    max: round(Math.max(...sample)),
    ...extra,
    samples: sample.map(round),
  };
}

function p50OrNull(sample: Array<number | null | undefined>): number | null {
  const s = sample.filter((x): x is number => typeof x === 'number');
  return s.length > 0 ? percentile(s, 50) : null;
}

export async function runSandboxBench(): Promise<Record<string, unknown>> {
  const env = BenchEnv.parse(process.env);
  const parts = new Set(env.BENCH_PARTS.split(',').map((p) => p.trim()));
  const docker = new Docker();
  await docker.ping().catch((e: Error) => {
    throw new Error(`No Docker engine answers (${e.message}): run docker/ensure-docker.sh first.`);
  });
  const model = await startScriptedModel();
  // Each main-loop request's arrival, by the user text that caused it: when Claude asked the model.
  const modelSeen = new Map<string, number>();
  model.fallback = (req) => {
    const text = lastUserText(req);
    if (!modelSeen.has(text)) modelSeen.set(text, performance.now());
    return { text: 'ok' };
  };
  const cleanups = new Cleanups();
  const result: Record<string, unknown> = {
    machine: {
      cpus: cpus().length,
      total_memory_gb: round(totalmem() / 1024 ** 3),
      load_average_at_start: loadavg().map(round),
    },
  };
  try {
    if (parts.has('latency')) Object.assign(result, await latencyPart(env, docker, model, modelSeen, cleanups));
    if (parts.has('ramp')) Object.assign(result, await rampPart(env, docker, model, modelSeen, cleanups));
  } finally {
    await cleanups.run();
    await model.close();
  }
  result['load_average_at_end'] = loadavg().map(round);
  result['at'] = new Date().toISOString();
  const out = path.join(path.dirname(fileURLToPath(import.meta.url)), 'results', 'sandbox.json');
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
  return result;
}

// ---------------------------------------------------------------------------------------------
// Latency: cold start, cold first text, new conversation, warm pool, Claude start-up.

async function latencyPart(
  env: BenchEnv,
  docker: Docker,
  model: ScriptedModel,
  modelSeen: Map<string, number>,
  cleanups: Cleanups,
): Promise<Record<string, unknown>> {
  const common = { ...modelEnv(model.url), SESSION_IDLE_MS: LONG_MS, SANDBOX_IDLE_MS: '0' };
  log('starting the docker, warm-pool and host platforms');
  const cold = await Probe.start('dock', { ...common, SANDBOX: 'docker', SANDBOX_WARM_POOL: '0' }, modelSeen, cleanups);
  const pooled = await Probe.start(
    'pool',
    { ...common, SANDBOX: 'docker', SANDBOX_WARM_POOL: '1' },
    modelSeen,
    cleanups,
  );
  const host = await Probe.start('host', { ...common, SANDBOX: 'host' }, modelSeen, cleanups);
  const runtime = cold.dockerRuntime();

  const coldStart: number[] = [];
  const coldSteps: Array<Record<string, number>> = [];
  const restart: number[] = [];
  const execTrue: number[] = [];
  const unpause: number[] = [];
  const noNetwork: Array<{ create: number; start: number }> = [];
  const coldFirst: Turn[] = [];
  const newConv: Turn[] = [];
  const hostStart: Turn[] = [];
  const warm: Turn[] = [];
  const sdkQuery: SdkTimeline[] = [];
  const sdkRefill: SdkTimeline[] = [];
  const sdkFresh: SdkTimeline[] = [];
  const sdkUsed: SdkTimeline[] = [];
  const sdkStartup: SdkTimeline[] = [];
  const sdkPrewarm: SdkTimeline[] = [];
  const settle = async () => {
    await pooled.waitForPool(1);
    await sleep(300);
  };

  const total = env.BENCH_WARMUP + env.BENCH_ROUNDS;
  for (let i = 0; i < total; i++) {
    const keep = i >= env.BENCH_WARMUP;
    log(`latency round ${i + 1}/${total}${keep ? '' : ' (warm-up, not counted)'}`);
    await settle();

    // Sandbox only: a user with no container and no volume → ready; then the restart of a stopped
    // container, an exec round trip, pause/unpause, and a container on no network (profiles).
    const user = `bench-cold-${i}`;
    const steps = new Map<string, number>();
    const t0 = performance.now();
    const sandbox = await runtime.ensure(user, {
      onState: (c) => {
        const key = c.state === 'starting' ? c.step : c.state;
        if (!steps.has(key)) steps.set(key, performance.now());
      },
    });
    const t1 = performance.now();
    const t2 = performance.now();
    await execOnce(runtime, sandbox);
    const t3 = performance.now();
    if (keep) {
      coldStart.push(t1 - t0);
      execTrue.push(t3 - t2);
      const at = (k: string) => steps.get(k) ?? Number.NaN;
      coldSteps.push({
        inspect_and_volume_check_ms: round(at('create') - t0),
        create_ms: round(at('start') - at('create')),
        start_and_inspect_ms: round(at('ready') - at('start')),
        after_ready_ms: round(t1 - at('ready')),
      });
    }
    await runtime.stop(user);
    const t4 = performance.now();
    const again = await runtime.ensure(user);
    const t5 = performance.now();
    await execOnce(runtime, again);
    const container = docker.getContainer(runtime.containerName(user));
    await container.pause();
    const t6 = performance.now();
    await container.unpause();
    await execOnce(runtime, again);
    const t7 = performance.now();
    if (keep) {
      restart.push(t5 - t4);
      unpause.push(t7 - t6);
    }
    // Claude's first start in this brand-new home, then its second start there (same container).
    const fresh = await sdkProbe(cold, user, 'query', `sdk fresh ${i}`, modelSeen);
    const used = await sdkProbe(cold, user, 'query', `sdk used ${i}`, modelSeen);
    if (keep) {
      sdkFresh.push(fresh);
      sdkUsed.push(used);
    }
    await runtime.remove(user, { withVolume: true });
    const bare = await bareContainer(docker, cold.instance);
    if (keep) noNetwork.push(bare);
    await settle();

    // Through the platform, as the browser sees it.
    const c = await cold.coldFirstText(`cold ${i}`);
    await settle();
    const n = await cold.newConversation(`new ${i}`);
    await settle();
    const h = await host.newConversation(`host ${i}`);
    await settle();
    const w = await pooled.fromPool(`pool ${i}`);
    await settle();
    // The Claude process in the running container through the SDK directly (the runner's options),
    // and what the SDK's start-ahead APIs would leave of it.
    const q = await sdkProbe(cold, 'local', 'query', `sdk query ${i}`, modelSeen);
    await settle();
    // The same, while another sandbox is created and started (what a warm-pool refill does).
    const other = `bench-refill-${i}`;
    const r = await sdkProbe(cold, 'local', 'query', `sdk refill ${i}`, modelSeen, () => runtime.ensure(other));
    await runtime.remove(other, { withVolume: true });
    await sleep(AFTER_REMOVE_MS);
    await settle();
    const s = await sdkProbe(cold, 'local', 'startup', `sdk startup ${i}`, modelSeen);
    await settle();
    const p = await sdkProbe(cold, 'local', 'prewarm', `sdk prewarm ${i}`, modelSeen);
    if (keep) {
      coldFirst.push(c);
      newConv.push(n);
      hostStart.push(h);
      warm.push(w);
      sdkQuery.push(q);
      sdkRefill.push(r);
      sdkStartup.push(s);
      sdkPrewarm.push(p);
    }
  }

  const firstText = (ts: Turn[]) => ts.map((t) => t.firstTextMs);
  const claudeStartup = percentile(firstText(hostStart), 50);
  const poolMisses = warm.filter((t) => !t.fromPool).length;
  return {
    cold_start_ms: figure(
      'runtime.ensure() of a user with no container and no volume (warm pool 0) until it resolves: inspect, volume check, create (with a new volume), start, inspect.',
      coldStart,
      {
        target: TARGETS.cold_start_ms,
        met: percentile(coldStart, 50) <= TARGETS.cold_start_ms,
        steps_p50: medianOfKeys(coldSteps),
      },
    ),
    cold_first_token_ms: figure(
      `No container (the 'local' user's live sessions stopped, its container and volume removed, then ${AFTER_REMOVE_MS} ms for the engine to finish the teardown), a new session: POST of a message → first assistant.delta at a WebSocket client.`,
      firstText(coldFirst),
      { breakdown_p50: breakdown(coldFirst) },
    ),
    new_conversation_ms: figure(
      'Container running, no Claude process for the session (a new session each round, container kept): POST → first assistant.delta at the WebSocket client.',
      firstText(newConv),
      {
        target: TARGETS.new_conversation_ms,
        met: percentile(firstText(newConv), 50) <= TARGETS.new_conversation_ms,
        breakdown_p50: breakdown(newConv),
      },
    ),
    warm_pool_ms: figure(
      `SANDBOX_WARM_POOL=1; the 'local' user's container removed with its volume each round, the pool full and ${AFTER_REMOVE_MS} ms of quiet, so the message (new session) takes the pooled container: POST → first assistant.delta. The pool's refill (create + start of the next pooled container) runs during the Claude start-up, as in production.`,
      firstText(warm),
      {
        target: `≤ 150 + claude_startup_ms = ${round(150 + claudeStartup)}`,
        met: percentile(firstText(warm), 50) <= 150 + claudeStartup,
        pool_misses: poolMisses,
        sandbox_ready_ms_p50: p50OrNull(warm.map((t) => t.sandboxMs)),
        over_new_conversation_p50_ms: round(percentile(firstText(warm), 50) - percentile(firstText(newConv), 50)),
        breakdown_p50: breakdown(warm),
      },
    ),
    claude_startup_ms: figure(
      'Measured directly: the same new-session message on the host runtime (SANDBOX=host, no container at all), from no Claude process to first assistant.delta at the WebSocket client. It includes the platform path (POST, job, events; breakdown_p50.post_ms is the POST alone) and the scripted model answering (~1 ms).',
      firstText(hostStart),
      { breakdown_p50: breakdown(hostStart) },
    ),
    claude_in_container_startup_ms: {
      description:
        'The sandbox part of new_conversation_ms: with the container running, ensure() returns at once, so what the sandbox adds is docker exec and the model proxy. post_to_model_request: POST → the first model request at the model (the Claude process started, through docker exec, and asked the model); host_post_to_model_request: the same on the host runtime; sandbox_part_p50 = new_conversation_ms p50 − claude_startup_ms p50.',
      post_to_model_request_p50: p50OrNull(newConv.map((t) => t.modelRequestAtMs)),
      host_post_to_model_request_p50: p50OrNull(hostStart.map((t) => t.modelRequestAtMs)),
      sandbox_part_p50: round(percentile(firstText(newConv), 50) - claudeStartup),
    },
    profile: {
      description:
        'Where the time goes, for suggested runner changes: docker steps measured at the runtime or on the engine; Claude start-up through the Agent SDK directly in the running sandbox with the runner’s options (spawn through runtime.spawn = docker exec), the model proxy and the scripted model.',
      exec_true_ms: figure(
        'runtime.spawn(/bin/true) in a running sandbox until its exit event: exec create + start (hijacked stream) + end + inspect.',
        execTrue,
      ),
      restart_stopped_ms: figure(
        'runtime.stop(user) then runtime.ensure(user): start of a stopped container (the path of a user whose container idled out).',
        restart,
      ),
      unpause_ms: figure(
        'docker unpause of a paused sandbox + an exec round trip in it (what resuming a paused sandbox would cost).',
        unpause,
      ),
      no_network_create_ms: figure(
        'Same image, no volume, NetworkMode none: docker create.',
        noNetwork.map((b) => b.create),
      ),
      no_network_start_ms: figure(
        'Same image, no volume, NetworkMode none: docker start (compare start_and_inspect_ms on the sandbox network).',
        noNetwork.map((b) => b.start),
      ),
      sdk_query: sdkFigure(
        'query() with streaming input, message pushed at once (what the runner does): query() → first text delta out of the SDK.',
        sdkQuery,
      ),
      sdk_query_during_sandbox_start: sdkFigure(
        'query() as above while, at the same moment, another user’s sandbox is created and started (runtime.ensure: what the warm pool’s refill does right after a pooled container is taken).',
        sdkRefill,
      ),
      sdk_query_fresh_home: sdkFigure(
        'query() as above, but the first Claude process ever in a brand-new sandbox (new container, new empty home volume): what a fresh home adds to Claude’s start-up.',
        sdkFresh,
      ),
      sdk_query_used_home: sdkFigure(
        'query() as above, the second Claude process in that same new sandbox (its home now initialised by the first).',
        sdkUsed,
      ),
      sdk_startup: sdkFigure(
        'startup() (WarmQuery) awaited first — the process started and initialised ahead of the message — then .query() and push → first text delta. startup_ms = how long startup() took.',
        sdkStartup,
      ),
      sdk_prewarm: sdkFigure(
        'prewarm() (a parked spare not bound to any session, parked in ~/.park) awaited first, then spare.claim({prompt, cwd: the workspace}) → first text delta. startup_ms = how long prewarm() took.',
        sdkPrewarm,
      ),
    },
  };
}

function medianOfKeys(rows: Array<Record<string, number>>): Record<string, number | null> {
  const keys = new Set(rows.flatMap((r) => Object.keys(r)));
  return Object.fromEntries([...keys].map((k) => [k, p50OrNull(rows.map((r) => r[k]))]));
}

function breakdown(ts: Turn[]) {
  return {
    post_ms: p50OrNull(ts.map((t) => t.postMs)),
    sandbox_ready_event_at_ms: p50OrNull(ts.map((t) => t.sandboxReadyAtMs)),
    sandbox_ready_reported_ms: p50OrNull(ts.map((t) => t.sandboxMs)),
    model_request_at_ms: p50OrNull(ts.map((t) => t.modelRequestAtMs)),
    first_text_ms: p50OrNull(ts.map((t) => t.firstTextMs)),
  };
}

/** Runs /bin/true in a sandbox; resolves when it has exited. */
function execOnce(runtime: DockerRuntime, sandbox: Sandbox): Promise<void> {
  return new Promise((resolve, reject) => {
    const proc = runtime.spawn(sandbox, { command: '/bin/true', args: [], env: {} });
    proc.once('error', reject);
    proc.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`/bin/true exited ${code}`))));
  });
}

/** docker create + start of the workspace image with no network and no volume (a profile point). */
async function bareContainer(docker: Docker, instance: string): Promise<{ create: number; start: number }> {
  const t0 = performance.now();
  const c = await docker.createContainer({
    Image: 'agent-platform/workspace:latest',
    name: `ap-${instance}-bench-bare-${Math.random().toString(16).slice(2, 10)}`,
    User: '1000:1000',
    // The platform's label, so its close() removes it even if this bench does not get to.
    Labels: { 'agent-platform.instance': instance },
    HostConfig: { NetworkMode: 'none', ReadonlyRootfs: true, CapDrop: ['ALL'] },
  });
  const t1 = performance.now();
  await c.start();
  const t2 = performance.now();
  await c.remove({ force: true });
  return { create: t1 - t0, start: t2 - t1 };
}

// ---------------------------------------------------------------------------------------------
// A platform with a client that follows its sessions' events.

interface Turn {
  messageId: string;
  /** POST → first assistant.delta at the WebSocket client. */
  firstTextMs: number;
  /** POST → its 202 response. */
  postMs: number;
  /** POST → the sandbox `ready` event at the client (null when the sandbox was running already). */
  sandboxReadyAtMs: number | null;
  /** How long the runtime says the sandbox took to be ready. */
  sandboxMs: number | null;
  /** POST → the first main-loop request arriving at the scripted model. */
  modelRequestAtMs: number | null;
  fromPool: boolean;
}

class Probe {
  private readonly sessions: string[] = [];

  private constructor(
    readonly tag: string,
    readonly test: TestPlatform,
    readonly follower: Follower,
    readonly instance: string,
    private readonly modelSeen: Map<string, number>,
    /** SANDBOX_WARM_POOL of this platform. */
    private readonly poolSize: number,
  ) {}

  static async start(
    tag: string,
    env: Record<string, string>,
    modelSeen: Map<string, number>,
    cleanups: Cleanups,
  ): Promise<Probe> {
    const instance = `b${tag}${Math.random().toString(16).slice(2, 8)}`;
    const test = await startTestPlatform({
      ...env,
      SANDBOX_INSTANCE: instance,
      SANDBOX_NETWORK: `ap-bench-${instance}`,
    });
    const follower = new Follower(test.client);
    cleanups.add(async () => {
      follower.close();
      await test.close();
    });
    const poolSize = env['SANDBOX'] === 'docker' ? Number(env['SANDBOX_WARM_POOL'] ?? 0) : 0;
    return new Probe(tag, test, follower, instance, modelSeen, poolSize);
  }

  get platform() {
    return this.test.platform;
  }

  dockerRuntime(): DockerRuntime {
    const runtime = this.platform.sandboxes.runtime;
    if (runtime.kind !== 'docker') throw new Error(`${this.tag}: expected the docker runtime, got ${runtime.kind}`);
    return runtime as DockerRuntime;
  }

  /** A new session, followed on a WebSocket. */
  async newSession(title: string): Promise<string> {
    const id = await this.test.client.createSession(title);
    await this.follower.follow(id);
    this.sessions.push(id);
    return id;
  }

  /** Ends every live Claude process of this platform's sessions (the container stays). */
  async stopAll(): Promise<void> {
    for (const id of this.sessions) await this.platform.sessions.stop(id);
  }

  /** POST of a message → first text at the WebSocket client, then waits for the turn's end. */
  async ask(sessionId: string, text: string, timeoutMs = 60_000): Promise<Turn> {
    const tagged = `${this.tag}: ${text}`;
    const t0 = performance.now();
    const messageId = await this.test.client.send(sessionId, tagged);
    const posted = performance.now();
    const first = await this.follower.waitFor(messageId, 'assistant.delta', timeoutMs);
    await this.follower.waitFor(messageId, 'turn.result', timeoutMs);
    const marks = this.follower.marksOf(messageId);
    const rel = (at: number | undefined) => (at === undefined ? null : at - t0);
    return {
      messageId,
      firstTextMs: first - t0,
      postMs: posted - t0,
      sandboxReadyAtMs: rel(marks.get('sandbox.ready')),
      sandboxMs: this.follower.sandboxMsOf(messageId) ?? null,
      modelRequestAtMs: rel(this.modelSeen.get(tagged)),
      fromPool: marks.has('sandbox.starting.pool'),
    };
  }

  /** No container for the local user: its live sessions stopped, its container and volume removed. */
  async coldFirstText(text: string): Promise<Turn> {
    await this.removeLocal();
    const id = await this.newSession(text);
    return this.ask(id, text);
  }

  /** The container (if any) kept, no Claude process: a new session. */
  async newConversation(text: string): Promise<Turn> {
    await this.stopAll();
    const id = await this.newSession(text);
    return this.ask(id, text);
  }

  /** The local user's container removed with its volume: the next message takes the pooled one. */
  async fromPool(text: string): Promise<Turn> {
    return this.coldFirstText(text);
  }

  /**
   * Stops the local user's live sessions and removes its container and volume, then lets the engine
   * settle: a new user does not arrive while their predecessor's container is being torn down (the
   * kernel frees its network namespace and cgroup after the remove call returns).
   */
  private async removeLocal(): Promise<void> {
    await this.stopAll();
    await this.dockerRuntime().remove('local', { withVolume: true });
    await this.waitForPool(1);
    await sleep(AFTER_REMOVE_MS);
  }

  /** Waits until `count` pool containers of this platform run (the pool is refilled after a take). */
  async waitForPool(count: number, timeoutMs = 60_000): Promise<void> {
    if (this.poolSize < count) return;
    const docker = new Docker();
    const prefix = `/ap-${this.instance}-pool-`;
    const end = performance.now() + timeoutMs;
    for (;;) {
      const list = await docker.listContainers({
        filters: { label: [`agent-platform.instance=${this.instance}`], status: ['running'] },
      });
      if (list.filter((c) => c.Names.some((n) => n.startsWith(prefix))).length >= count) break;
      if (performance.now() > end) throw new Error(`${this.tag}: the warm pool was not refilled in ${timeoutMs} ms`);
      await sleep(50);
    }
    // The runtime adds the container to its pool right after its start returns.
    await sleep(100);
  }
}

/**
 * Follows sessions over as many WebSocket connections as needed (the server allows 20
 * subscriptions per connection) and notes when each turn's events first arrive.
 */
class Follower {
  private readonly connections: Array<{ stream: EventStream; subs: number }> = [];
  /** messageId → event key → arrival (performance.now()). */
  private readonly marks = new Map<string, Map<string, number>>();
  private readonly sandboxMs = new Map<string, number>();
  private readonly errors = new Map<string, string>();
  private readonly waiters = new Set<() => void>();

  constructor(
    private readonly client: PlatformClient,
    private readonly perConnection = 20,
  ) {}

  async follow(sessionId: string): Promise<void> {
    let slot = this.connections.find((c) => c.subs < this.perConnection);
    if (!slot) {
      const stream = await this.client.connect();
      stream.ws.on('message', (data) => this.onFrame(String(data)));
      slot = { stream, subs: 0 };
      this.connections.push(slot);
    }
    slot.subs++;
    slot.stream.subscribe(sessionId);
    await slot.stream.waitForFrame((f) => f.type === 'subscribed' && f.sessionId === sessionId);
  }

  marksOf(messageId: string): Map<string, number> {
    return this.marks.get(messageId) ?? new Map();
  }

  sandboxMsOf(messageId: string): number | undefined {
    return this.sandboxMs.get(messageId);
  }

  /** Resolves with the arrival time of the first `key` event of a turn; rejects on its error event. */
  waitFor(messageId: string, key: string, timeoutMs: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const at = this.marks.get(messageId)?.get(key);
        const error = this.errors.get(messageId);
        if (at === undefined && error === undefined) return;
        this.waiters.delete(check);
        clearTimeout(timer);
        if (at !== undefined) resolve(at);
        else reject(new Error(`turn ${messageId} failed: ${error}`));
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${key} of ${messageId}`));
      }, timeoutMs);
      this.waiters.add(check);
      check();
    });
  }

  close(): void {
    for (const c of this.connections) c.stream.close();
  }

  private onFrame(data: string): void {
    const now = performance.now();
    const f = JSON.parse(data) as ServerFrame;
    if (f.type !== 'event' || !f.event.messageId) return;
    const e = f.event;
    const key =
      e.type === 'sandbox'
        ? `sandbox.${e.state}${e.step ? `.${e.step}` : ''}`
        : e.type === 'status'
          ? `status.${e.state}`
          : e.type;
    let m = this.marks.get(e.messageId as string);
    if (!m) {
      m = new Map();
      this.marks.set(e.messageId as string, m);
    }
    if (!m.has(key)) m.set(key, now);
    if (e.type === 'sandbox' && e.state === 'ready' && e.ms !== undefined)
      this.sandboxMs.set(e.messageId as string, e.ms);
    if (e.type === 'error') this.errors.set(e.messageId as string, `${e.code}: ${e.message}`);
    for (const w of [...this.waiters]) w();
  }
}

// ---------------------------------------------------------------------------------------------
// The Claude process in the sandbox through the Agent SDK directly.

interface SdkTimeline {
  /** startup()/prewarm() until it resolved (0 for plain query()). */
  startupMs: number;
  /** Message handed over (push / claim) → the SDK called spawnClaudeCodeProcess (null: spawned before). */
  spawnAtMs: number | null;
  /** Message handed over → the first main-loop request at the model. */
  modelRequestAtMs: number | null;
  /** Message handed over → the first text delta out of the SDK. */
  firstTextMs: number;
  error?: string;
}

function sdkFigure(description: string, ts: SdkTimeline[]) {
  const ok = ts.filter((t) => t.error === undefined);
  return {
    ...figure(
      description,
      ok.map((t) => t.firstTextMs),
    ),
    startup_ms_p50: p50OrNull(ok.map((t) => t.startupMs)),
    spawn_at_ms_p50: p50OrNull(ok.map((t) => t.spawnAtMs)),
    model_request_at_ms_p50: p50OrNull(ok.map((t) => t.modelRequestAtMs)),
    errors: ts.flatMap((t) => (t.error ? [t.error] : [])),
  };
}

async function sdkProbe(
  probe: Probe,
  userId: string,
  how: 'query' | 'startup' | 'prewarm',
  text: string,
  modelSeen: Map<string, number>,
  /** Started together with the message (load to measure Claude's start-up under). */
  alongside?: () => Promise<unknown>,
): Promise<SdkTimeline> {
  const { platform } = probe;
  const runtime = probe.dockerRuntime();
  await probe.stopAll();
  const sandbox = await runtime.ensure(userId);
  let spawnedAt: number | null = null;
  const options: Options = {
    cwd: sandbox.workspaceDir,
    env: {
      ...claudeEnvironment(process.env),
      ANTHROPIC_BASE_URL: platform.proxy.url,
      ANTHROPIC_API_KEY: platform.tokens.issue(sandbox.userId, sandbox.sandboxId),
    },
    includePartialMessages: true,
    permissionMode: 'bypassPermissions',
    allowDangerouslySkipPermissions: true,
    systemPrompt: { type: 'preset', preset: 'claude_code', append: PLATFORM_PROMPT },
    spawnClaudeCodeProcess: (o) => {
      spawnedAt = performance.now();
      return runtime.spawn(sandbox, o) as unknown as SpawnedProcess;
    },
  };
  const input = new AsyncQueue<SDKUserMessage>();
  const message: SDKUserMessage = {
    type: 'user',
    message: { role: 'user', content: text },
    parent_tool_use_id: null,
    session_id: '',
  };
  let q: Query | undefined;
  let close: () => void = () => {};
  try {
    const s0 = performance.now();
    let t0: number;
    if (how === 'query') {
      t0 = performance.now();
      const load = alongside?.();
      q = query({ prompt: input, options });
      input.push(message);
      void load?.catch((e: unknown) => log(`load beside the probe failed: ${String(e)}`));
    } else if (how === 'startup') {
      const warm = await startup({ options });
      close = () => warm.close();
      t0 = performance.now();
      q = warm.query(input);
      input.push(message);
    } else {
      const spare = await prewarm({ options: { ...options, cwd: '/home/agent/.park' } });
      close = () => spare.close();
      t0 = performance.now();
      q = spare.claim({
        prompt: input,
        options: { cwd: sandbox.workspaceDir, permissionMode: 'bypassPermissions' },
      });
      spare.claimed.catch(() => {});
      input.push(message);
    }
    const startupMs = how === 'query' ? 0 : t0 - s0;
    let first = -1;
    for await (const m of q) {
      if (first < 0 && m.type === 'stream_event' && m.event.type === 'content_block_delta') first = performance.now();
      if (m.type === 'result') {
        if (m.is_error) throw new Error(`result ${m.subtype}`);
        break;
      }
    }
    if (first < 0) throw new Error('no text delta');
    const seen = modelSeen.get(text);
    return {
      startupMs,
      spawnAtMs: spawnedAt !== null && spawnedAt >= t0 ? spawnedAt - t0 : null,
      modelRequestAtMs: seen === undefined ? null : seen - t0,
      firstTextMs: first - t0,
    };
  } catch (e) {
    const error = e instanceof Error ? e.message : String(e);
    log(`sdk ${how} failed: ${error}`);
    return { startupMs: 0, spawnAtMs: null, modelRequestAtMs: null, firstTextMs: Number.NaN, error };
  } finally {
    input.end();
    q?.close();
    close();
    // Let the process exit before the next probe measures anything.
    await sleep(200);
  }
}

// ---------------------------------------------------------------------------------------------
// Ramp: memory per conversation and how many live conversations one runner holds.

async function rampPart(
  env: BenchEnv,
  docker: Docker,
  model: ScriptedModel,
  modelSeen: Map<string, number>,
  cleanups: Cleanups,
): Promise<Record<string, unknown>> {
  const probe = await Probe.start(
    'ramp',
    {
      ...modelEnv(model.url),
      SANDBOX: 'docker',
      SANDBOX_WARM_POOL: '0',
      SANDBOX_IDLE_MS: '0',
      SESSION_IDLE_MS: LONG_MS,
      ...RAMP_LIMITS,
      // All conversations share one container here; in production each user has a CPU of their own.
      SANDBOX_CPUS: String(cpus().length),
    },
    modelSeen,
    cleanups,
  );
  const runtime = probe.dockerRuntime();
  const { sessions } = probe.platform;

  // Idle sandbox: a running container with no process but its init.
  await runtime.ensure('local');
  const id = (await docker.getContainer(runtime.containerName('local')).inspect()).Id;
  await sleep(2000);
  const idle = await containerMemory(docker, id);
  log(`idle sandbox: ${idle.workingSetMb} MB working set (${idle.source})`);

  const live: string[] = [];
  const starts: number[] = [];
  const addConversation = async () => {
    const sessionId = await probe.newSession(`ramp ${live.length}`);
    const t = await probe.ask(sessionId, `start ${live.length}`, 120_000);
    starts.push(t.firstTextMs);
    live.push(sessionId);
  };

  // Memory per active conversation at N live conversations.
  const rssN = env.BENCH_RSS_SESSIONS;
  log(`starting ${rssN} conversations for the memory figure`);
  while (live.length < rssN) await addConversation();
  await sleep(env.BENCH_RAMP_SETTLE_MS);
  const atN = await snapshot(docker, id, sessions.activeCount);
  const activeSessionMb = round(atN.container.workingSetMb / rssN);
  const memory = {
    idle_sandbox_mb: {
      description:
        "A running sandbox with no Claude process (only its init, tini + sleep): the container's cgroup memory (usage minus inactive file cache, what `docker stats` shows), 2 s after start.",
      value: idle.workingSetMb,
      cgroup_usage_mb: idle.usageMb,
      cgroup_rss_mb: idle.rssMb,
      source: idle.source,
    },
    active_session_rss_mb: {
      description: `With N=${rssN} live conversations (each a Claude process started by one message and then idle) in the local user's one container: the container's cgroup memory (usage minus inactive file cache; it includes the Claude processes, which run in the container through docker exec, so nothing is added to it) / N. The Claude processes' own RSS/PSS sums are reported beside it, not added.`,
      value: activeSessionMb,
      n: rssN,
      container_working_set_mb: atN.container.workingSetMb,
      container_usage_mb: atN.container.usageMb,
      container_rss_mb: atN.container.rssMb,
      per_conversation_over_idle_mb: round((atN.container.workingSetMb - idle.workingSetMb) / rssN),
      claude_processes: atN.claude,
      claude_rss_per_process_mb: atN.claude.count > 0 ? round(atN.claude.rssMb / atN.claude.count) : null,
      claude_pss_per_process_mb: atN.claude.count > 0 ? round(atN.claude.pssMb / atN.claude.count) : null,
      claude_anon_per_process_mb: atN.claude.count > 0 ? round(atN.claude.anonMb / atN.claude.count) : null,
      claude_threads_per_process: atN.claude.count > 0 ? round(atN.claude.threads / atN.claude.count) : null,
      bench_process_rss_mb: atN.processRssMb,
    },
  };

  // The ramp.
  const steps = env.BENCH_RAMP_STEPS.split(',')
    .map(Number)
    .filter((n) => n > 0)
    .sort((a, b) => a - b);
  const stepResults: Array<Record<string, unknown>> = [];
  let held = 0;
  let stoppedBecause = 'all steps passed';
  let rr = 0;
  let perConversationMb = Math.max(50, activeSessionMb);

  /** One window at the current number of live conversations; true when it held. */
  const measure = async (label: string, startsBefore: number): Promise<boolean> => {
    await sleep(env.BENCH_RAMP_SETTLE_MS);
    const cpuBefore = await cpuSample(id);
    const samples: number[] = [];
    const errors: string[] = [];
    const pending: Promise<void>[] = [];
    const began = performance.now();
    for (let k = 0; k < env.BENCH_RAMP_WINDOW_S; k++) {
      const sessionId = live[rr++ % live.length] as string;
      pending.push(
        probe.ask(sessionId, `step ${label} message ${k}`, 30_000).then(
          (t) => void samples.push(t.firstTextMs),
          (e: unknown) => void errors.push(e instanceof Error ? e.message : String(e)),
        ),
      );
      const next = began + (k + 1) * 1000;
      await sleep(Math.max(0, next - performance.now()));
    }
    const cpuAfter = await cpuSample(id);
    await Promise.all(pending);
    const snap = await snapshot(docker, id, sessions.activeCount);
    perConversationMb = Math.max(50, round((snap.container.workingSetMb - idle.workingSetMb) / live.length));
    const p99 = samples.length > 0 ? percentile(samples, 99) : Number.POSITIVE_INFINITY;
    const over = samples.filter((s) => s > TARGETS.first_text_in_ramp_ms).length;
    const ok = errors.length === 0 && p99 <= TARGETS.first_text_in_ramp_ms && snap.activeSessions === live.length;
    const seconds = (cpuAfter.at - cpuBefore.at) / 1000;
    const added = starts.slice(startsBefore);
    const row = {
      step: label,
      conversations: live.length,
      live_claude_processes: snap.activeSessions,
      first_text_ms:
        samples.length > 0
          ? {
              p50: percentile(samples, 50),
              p90: percentile(samples, 90),
              p99,
              max: round(Math.max(...samples)),
              n: samples.length,
              over_1s: over,
            }
          : { n: 0 },
      errors: errors.slice(0, 5),
      start_first_text_ms_p50: added.length > 0 ? percentile(added, 50) : null,
      start_first_text_ms_max: added.length > 0 ? round(Math.max(...added)) : null,
      container_cpu_cores_during_window:
        cpuAfter.containerNs !== null && cpuBefore.containerNs !== null
          ? round((cpuAfter.containerNs - cpuBefore.containerNs) / 1e9 / seconds)
          : null,
      host_cpu_busy_during_window: round(1 - (cpuAfter.idle - cpuBefore.idle) / (cpuAfter.total - cpuBefore.total)),
      load_average_1m: round(loadavg()[0] ?? 0),
      container_working_set_mb: snap.container.workingSetMb,
      claude_rss_sum_mb: snap.claude.rssMb,
      claude_pss_sum_mb: snap.claude.pssMb,
      claude_threads: snap.claude.threads,
      per_conversation_mb: perConversationMb,
      bench_process_rss_mb: snap.processRssMb,
      mem_available_mb: snap.memAvailableMb,
      held: ok,
    };
    stepResults.push(row);
    log(
      `step ${label} (${live.length} live): first text p50 ${row.first_text_ms.p50 ?? '-'} p99 ${p99} ms (${over} over 1 s, ${errors.length} errors), container ${snap.container.workingSetMb} MB, Claude RSS ${snap.claude.rssMb} MB, ${snap.memAvailableMb} MB available, load ${row.load_average_1m}${ok ? '' : ' → FAILED'}`,
    );
    if (!ok) {
      stoppedBecause = `step ${label} failed: ${errors.length > 0 ? `${errors.length} errors` : snap.activeSessions !== live.length ? `${live.length - snap.activeSessions} Claude processes died` : `p99 first text ${p99} ms > ${TARGETS.first_text_in_ramp_ms} ms`}`;
      return false;
    }
    held = live.length;
    return true;
  };

  ramp: for (const step of steps) {
    const startsBefore = starts.length;
    while (live.length < step) {
      const free = memAvailableMb();
      if (free - perConversationMb * 1.5 < env.BENCH_MIN_FREE_MB) {
        const why = `memory: ${free} MB available, a conversation takes ~${perConversationMb} MB, floor ${env.BENCH_MIN_FREE_MB} MB (at ${live.length} conversations, before step ${step} was reached)`;
        // What was reached short of the step is measured too.
        if (live.length > held) await measure(`${live.length} (partial, memory floor)`, startsBefore);
        stoppedBecause = held === live.length ? why : `${why}; ${stoppedBecause}`;
        break ramp;
      }
      try {
        await addConversation();
      } catch (e) {
        stoppedBecause = `conversation ${live.length + 1} could not start: ${e instanceof Error ? e.message : String(e)}`;
        break ramp;
      }
      if (live.length % 10 === 0) log(`  ${live.length} live, ${memAvailableMb()} MB available, load ${loadavg()[0]}`);
    }
    if (!(await measure(String(step), startsBefore))) break;
  }

  return {
    ...memory,
    active_sessions_held: {
      description: `Largest step of live conversations (each with a live Claude process, SESSION_IDLE_MS 6 h) at which messages sent round robin, one a second for ${env.BENCH_RAMP_WINDOW_S} s (open loop, not waiting for the previous answer), all got their first text (POST → first assistant.delta at a WebSocket client) within 1 s: p99 ≤ 1000 ms, which with ${env.BENCH_RAMP_WINDOW_S} samples is the slowest one, and no process died. Conversations are added one after another (each started by one message and waited for), then ${env.BENCH_RAMP_SETTLE_MS} ms of settling before the window. Stops at the first failing step or when MemAvailable would drop under ${env.BENCH_MIN_FREE_MB} MB (the count reached then is measured as a partial step).`,
      value: held,
      target: TARGETS.active_sessions_held,
      met: held >= TARGETS.active_sessions_held,
      live_conversations_reached: live.length,
      stopped_because: stoppedBecause,
      steps: stepResults,
      conversation_start_first_text_ms: figure(
        'Each added conversation’s first message (a Claude process start in the running container), while the ramp went on.',
        starts,
      ),
      conditions: {
        one_user:
          "All conversations are the local user's, so they share one container; in production each user has their own.",
        raised_limits: {
          ...RAMP_LIMITS,
          SANDBOX_CPUS: String(cpus().length),
          why: `With the defaults (256 pids, 1 GiB, 1 CPU) one container holds only a few live conversations: 1 GiB / ${activeSessionMb} MB ≈ ${Math.floor(1024 / activeSessionMb)} Claude processes before the OOM killer (less with the user's own Python running), the pids limit counts threads (${atN.claude.count > 0 ? round(atN.claude.threads / atN.claude.count) : '?'} per Claude process here), and one CPU would be shared by all.`,
        },
        scripted_model: "Replies 'ok' at once; the model proxy and the whole platform path are real.",
        same_process:
          'Runner, scripted model and WebSocket clients share one Node.js process and event loop, as in turn-latency; bench_process_rss_mb is that whole process (the scripted model keeps every request it got).',
      },
    },
  };
}

interface ContainerMemory {
  usageMb: number;
  workingSetMb: number;
  rssMb: number | null;
  source: string;
}

/** The container's memory from its cgroup (v1 or v2), else from the engine's stats. */
async function containerMemory(docker: Docker, id: string): Promise<ContainerMemory> {
  const mb = (bytes: number) => round(bytes / 1024 ** 2);
  const v1 = `/sys/fs/cgroup/memory/docker/${id}`;
  const stat = readStat(`${v1}/memory.stat`);
  if (stat) {
    const usage = Number(readFileSync(`${v1}/memory.usage_in_bytes`, 'utf8'));
    return {
      usageMb: mb(usage),
      workingSetMb: mb(usage - (stat.get('total_inactive_file') ?? 0)),
      rssMb: mb(stat.get('total_rss') ?? 0),
      source: 'cgroup v1 memory.usage_in_bytes − total_inactive_file',
    };
  }
  for (const v2 of [`/sys/fs/cgroup/system.slice/docker-${id}.scope`, `/sys/fs/cgroup/docker/${id}`]) {
    const s = readStat(`${v2}/memory.stat`);
    if (!s) continue;
    const usage = Number(readFileSync(`${v2}/memory.current`, 'utf8'));
    return {
      usageMb: mb(usage),
      workingSetMb: mb(usage - (s.get('inactive_file') ?? 0)),
      rssMb: mb(s.get('anon') ?? 0),
      source: 'cgroup v2 memory.current − inactive_file',
    };
  }
  const stats = (await docker.getContainer(id).stats({ stream: false })) as unknown as {
    memory_stats: { usage?: number; stats?: Record<string, number> };
  };
  const usage = stats.memory_stats.usage ?? 0;
  const inactive =
    stats.memory_stats.stats?.['total_inactive_file'] ?? stats.memory_stats.stats?.['inactive_file'] ?? 0;
  return { usageMb: mb(usage), workingSetMb: mb(usage - inactive), rssMb: null, source: 'docker stats' };
}

function readStat(file: string): Map<string, number> | null {
  try {
    const m = new Map<string, number>();
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const [k, v] = line.split(' ');
      if (k && v) m.set(k, Number(v));
    }
    return m;
  } catch {
    return null;
  }
}

/** The Claude processes in a container (host pids from `docker top`), from /proc. */
async function claudeProcesses(docker: Docker, id: string) {
  const top = (await docker.getContainer(id).top({ ps_args: '-eo pid,args' })) as {
    Titles: string[];
    Processes: string[][];
  };
  const pidCol = top.Titles.indexOf('PID');
  let count = 0;
  let rssKb = 0;
  let pssKb = 0;
  let anonKb = 0;
  let threads = 0;
  let all = 0;
  for (const row of top.Processes) {
    all++;
    const pid = row[pidCol];
    if (!pid || !row.join(' ').includes('/opt/claude/claude')) continue;
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);
      rssKb += field('VmRSS');
      anonKb += field('RssAnon');
      threads += field('Threads');
      const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
      pssKb += Number(/^Pss:\s+(\d+)/m.exec(rollup)?.[1] ?? 0);
      count++;
    } catch {
      // The process ended between `top` and the read.
    }
  }
  const mb = (kb: number) => round(kb / 1024);
  return { count, rssMb: mb(rssKb), pssMb: mb(pssKb), anonMb: mb(anonKb), threads, processes_in_container: all };
}

async function snapshot(docker: Docker, id: string, activeSessions: number) {
  return {
    container: await containerMemory(docker, id),
    claude: await claudeProcesses(docker, id),
    activeSessions,
    processRssMb: round(process.memoryUsage().rss / 1024 ** 2),
    memAvailableMb: memAvailableMb(),
  };
}

/** MemAvailable (what can be used without swapping), in MB. */
function memAvailableMb(): number {
  const kb = /^MemAvailable:\s+(\d+)/m.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1];
  return Math.round(Number(kb) / 1024);
}

/** Host CPU jiffies and the container's CPU time (cgroup v1 cpuacct, else v2 cpu.stat). */
async function cpuSample(id: string) {
  const cpuLine = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const ticks = cpuLine.trim().split(/\s+/).slice(1).map(Number);
  const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0);
  const total = ticks.reduce((a, b) => a + b, 0);
  let containerNs: number | null = null;
  try {
    containerNs = Number(readFileSync(`/sys/fs/cgroup/cpuacct/docker/${id}/cpuacct.usage`, 'utf8'));
  } catch {
    for (const v2 of [`/sys/fs/cgroup/system.slice/docker-${id}.scope`, `/sys/fs/cgroup/docker/${id}`]) {
      const s = readStat(`${v2}/cpu.stat`);
      if (s?.has('usage_usec')) containerNs = (s.get('usage_usec') ?? 0) * 1000;
    }
  }
  return { at: performance.now(), idle, total, containerNs };
}

// ---------------------------------------------------------------------------------------------

/** Cleanup steps run once, in reverse order, at the end or on SIGINT/SIGTERM. */
class Cleanups {
  private readonly steps: Array<() => Promise<void>> = [];
  private running: Promise<void> | null = null;
  private readonly onSignal = () => {
    log('interrupted: removing the bench platforms');
    void this.run().finally(() => process.exit(130));
  };

  constructor() {
    process.once('SIGINT', this.onSignal);
    process.once('SIGTERM', this.onSignal);
  }

  add(step: () => Promise<void>): void {
    this.steps.push(step);
  }

  run(): Promise<void> {
    this.running ??= (async () => {
      for (const step of this.steps.reverse()) {
        try {
          await step();
        } catch (e) {
          log(`cleanup step failed: ${e instanceof Error ? e.message : String(e)}`);
        }
      }
      process.off('SIGINT', this.onSignal);
      process.off('SIGTERM', this.onSignal);
    })();
    return this.running;
  }
}
