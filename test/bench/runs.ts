/**
 * Runs bench: how many headless agent runs one runner completes per minute, and how late scheduled
 * runs start. The real pieces of the local composition (SQLite store, in-process bus, the runner
 * engine on the host sandbox with its job consumer, the in-process LocalScheduler with
 * `runScheduled` as its callback) run the real Claude Code CLI against the scripted model.
 *
 * First one agent runs alone, a few times in a row (the baseline: `single_run_ms`). Then the agents
 * of several users all get the schedule `* * * * *` (each user in a time zone of their own) and fire
 * together at the next minute boundary on the real clock; their schedules are removed as soon as
 * they have fired, and the bench waits for every run to end. That is repeated (round 1 is each
 * user's first run in a fresh folder, the later rounds the steady state), and the figures come from
 * the stored runs: scheduledFor, queuedAt, startedAt, endedAt.
 *
 * Each run is one tool round by default: the model asks for a Bash `echo`, then answers "Done."
 * (BENCH_RUNS_TOOL_ROUND=false: one text answer only).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createMemoryBus } from '@agent-platform/core/bus/memory';
import type { Agent, AgentRun, AgentSpec } from '@agent-platform/core/domain';
import { systemClock } from '@agent-platform/core/ports';
import { nextRuns } from '@agent-platform/core/schedule';
import { LocalScheduler } from '@agent-platform/core/scheduler/local';
import { openSqliteStore } from '@agent-platform/core/store/sqlite';
import { startRun } from '@agent-platform/functions/services/runs';
import { runScheduled } from '@agent-platform/functions/services/schedules';
import { loadConfig } from '@agent-platform/runner/config';
import { startRunnerEngine } from '@agent-platform/runner/engine';
import { z } from 'zod';
// Not exported by the runner package (only its compositions use them); the bench composes them itself.
import { consumeJobs } from '../../runner/src/jobs/consumer.js';
import { createLogger } from '../../runner/src/log.js';
import {
  type RecordedRequest,
  type ScriptedModel,
  startScriptedModel,
  toolResults,
} from '../fixtures/scripted-model.js';
import { percentile, round, spread } from './stats.js';

const BenchEnv = z.object({
  BENCH_RUNS_USERS: z.coerce.number().int().min(1).default(8),
  BENCH_RUNS_AGENTS_PER_USER: z.coerce.number().int().min(1).default(3),
  /** Fired rounds; the first is each user's first run, the rest measure the steady state. */
  BENCH_RUNS_ROUNDS: z.coerce.number().int().min(1).default(2),
  BENCH_RUNS_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(8),
  /** Runs of the one agent alone, one after the other, for `single_run_ms`. */
  BENCH_RUNS_SOLO: z.coerce.number().int().min(1).default(3),
  BENCH_RUNS_TOOL_ROUND: z.enum(['true', 'false']).default('true'),
});

const TARGETS = { runs_per_minute: 60, schedule_fire_lag_p50_ms: 1000 };
/** One per user, in turn: `* * * * *` fires at the same instant in all of them. */
const TIME_ZONES = [
  'Asia/Seoul',
  'UTC',
  'America/New_York',
  'Europe/London',
  'Asia/Kolkata',
  'Australia/Sydney',
  'America/Los_Angeles',
  'Europe/Berlin',
];
/** Upserting this close to a minute boundary could split a round over two minutes: wait it out. */
const BOUNDARY_GUARD_MS = 3000;
/** How long a round's runs may take to end before the bench gives up. */
const ROUND_END_TIMEOUT_MS = 10 * 60_000;
const POLL_MS = 100;
const RUNNER_ID = 'bench';

const log = (line: string) => console.error(`[runs bench] ${line}`);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Per-run figures, ms, from the stored run and the scripted model's request log. */
const RUN_FIGURES = [
  'schedule_fire_lag',
  'scheduled_to_queued',
  'queue_wait',
  'duration',
  'queued_to_ended',
  'started_to_first_model_request',
  'scheduled_to_first_model_request',
  'first_to_last_model_request',
  'last_model_request_to_ended',
] as const;
type RunFigure = (typeof RUN_FIGURES)[number];
type RunTiming = Partial<Record<RunFigure, number>>;

export async function runRunsBench(): Promise<Record<string, unknown>> {
  const env = BenchEnv.parse(process.env);
  const toolRound = env.BENCH_RUNS_TOOL_ROUND === 'true';
  const model = await startScriptedModel();
  model.fallback = toolRound
    ? (req) =>
        toolResults(req).length > 0
          ? { text: 'Done.' }
          : {
              text: 'Checking.',
              toolUse: [{ name: 'Bash', input: { command: 'echo bench', description: 'Say bench' } }],
            }
    : { text: 'Done.' };
  const work = mkdtempSync(path.join(tmpdir(), 'ap-bench-runs-'));
  const closers: (() => Promise<unknown>)[] = [];
  const result: Record<string, unknown> = { machine: machine() };
  try {
    const config = loadConfig({
      DATA_DIR: path.join(work, 'data'),
      SANDBOX: 'host',
      ANTHROPIC_BASE_URL: model.url,
      ANTHROPIC_API_KEY: 'bench-key',
      LOG_LEVEL: 'error',
      RUNS_CONCURRENCY: String(env.BENCH_RUNS_CONCURRENCY),
    });
    mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
    const logger = createLogger(config.logLevel);
    const store = openSqliteStore({ file: path.join(config.dataDir, 'platform.db') });
    closers.push(() => store.close());
    const bus = createMemoryBus();
    closers.push(() => bus.close());
    const engine = await startRunnerEngine(config, {
      store,
      bus,
      clock: systemClock,
      log: logger,
      env: process.env,
      keepTranscriptsInStore: false,
      runnerId: RUNNER_ID,
    });
    closers.push(() => engine.close());
    const stopJobs = await consumeJobs({
      bus,
      subscription: 'runner-bench',
      sessions: engine.sessions,
      runs: engine.runs,
      log: logger,
    });
    closers.push(stopJobs);

    const deps = { store, bus, clock: systemClock };
    const fired: AgentRun[] = [];
    const fireErrors: unknown[] = [];
    const scheduler = new LocalScheduler({
      onRun: async (fire) => {
        const started = await runScheduled({ ...deps, log: (msg, d) => logger.info(msg, d) }, fire);
        if (started) fired.push(started.run);
      },
      onRunError: (error, agentId) => {
        logger.error('a scheduled run could not start', { agentId, error });
        fireErrors.push(error);
      },
    });
    closers.push(() => scheduler.close());

    // The baseline: one agent of a user of its own, alone on the runner.
    const solo = await store.createAgent({
      id: 'bench-solo',
      ownerId: 'bench-solo-user',
      spec: spec('Bench solo', null),
      webhookSecret: null,
      now: Date.now(),
    });
    const soloRuns: AgentRun[] = [];
    const soloCpuBefore = cpuNow();
    for (let i = 0; i < env.BENCH_RUNS_SOLO; i++) {
      const { run } = await startRun(deps, solo, { trigger: 'manual' });
      soloRuns.push(...(await waitForEnd(store, [run])));
      log(`solo run ${i + 1}/${env.BENCH_RUNS_SOLO}: ${soloRuns.at(-1)?.status} in ${soloRuns.at(-1)?.durationMs} ms`);
    }
    const soloCpu = cpuFigures(soloCpuBefore, cpuNow(), soloRuns.length);
    assertSucceeded(soloRuns, 'the solo runs');
    const soloTimings = soloRuns.map((r) => runTiming(r, model, solo.name));
    const singleRunMs = percentile(
      soloTimings.map((t) => t.queued_to_ended as number),
      50,
    );

    const agents: Agent[] = [];
    for (let u = 0; u < env.BENCH_RUNS_USERS; u++) {
      const timeZone = TIME_ZONES[u % TIME_ZONES.length] as string;
      for (let a = 0; a < env.BENCH_RUNS_AGENTS_PER_USER; a++) {
        agents.push(
          await store.createAgent({
            id: `bench-u${u}-a${a}`,
            ownerId: `bench-user-${u}`,
            spec: spec(`Bench u${u} a${a}`, timeZone),
            webhookSecret: null,
            now: Date.now(),
          }),
        );
      }
    }

    const rounds: ({ round: number; kind: string } & ReturnType<typeof roundFigures>)[] = [];
    const steady: { runs: AgentRun[]; timings: RunTiming[] } = { runs: [], timings: [] };
    for (let r = 0; r < env.BENCH_RUNS_ROUNDS; r++) {
      fired.length = 0;
      const { runs, cpuBefore } = await fireRound(scheduler, agents, fired, fireErrors);
      const ended = await waitForEnd(store, runs);
      const cpuAfter = cpuNow();
      assertSucceeded(ended, `round ${r + 1}`);
      const byAgent = new Map(agents.map((a) => [a.id, a.name]));
      const timings = ended.map((run) => runTiming(run, model, byAgent.get(run.agentId) as string));
      const window = windowOf(ended);
      const figures = roundFigures(ended, timings, window, cpuBefore, cpuAfter);
      log(
        `round ${r + 1}: ${figures.succeeded}/${figures.runs} succeeded, ${figures.runs_per_minute} runs/min, lag p50 ${figures.schedule_fire_lag_p50_ms} ms`,
      );
      rounds.push({ round: r + 1, kind: r === 0 ? 'first run of each user' : 'steady state', ...figures });
      if (r > 0 || env.BENCH_RUNS_ROUNDS === 1) {
        steady.runs.push(...ended);
        steady.timings.push(...timings);
      }
    }
    // Rounds are up to a minute apart: their throughputs are averaged, not taken over one window.
    const steadyRounds = rounds.slice(env.BENCH_RUNS_ROUNDS > 1 ? 1 : 0);
    const runsPerMinute = round(steadyRounds.reduce((s, x) => s + x.runs_per_minute, 0) / steadyRounds.length);
    // Others' work on a shared machine takes CPU from the runs: say how much, so a low figure is read right.
    const otherShare = round(
      (100 * steadyRounds.reduce((s, x) => s + x.cpu.other_processes_cpu_s, 0)) /
        steadyRounds.reduce((s, x) => s + (cpus().length * x.span_ms) / 1000, 0),
    );
    const lag = steady.timings.map((t) => t.schedule_fire_lag as number);
    const serialRunsPerMinute = 60_000 / singleRunMs;
    const durationP50 = percentile(
      steady.timings.map((t) => t.duration as number),
      50,
    );
    const singleDurationP50 = percentile(
      soloTimings.map((t) => t.duration as number),
      50,
    );

    Object.assign(result, {
      runs_per_minute: runsPerMinute,
      schedule_fire_lag_p50_ms: percentile(lag, 50),
      schedule_fire_lag_p95_ms: percentile(lag, 95),
      schedule_fire_to_first_model_request_p50_ms:
        spreadsOf(steady.timings).scheduled_to_first_model_request?.p50 ?? null,
      single_run_ms: singleRunMs,
      serial_runs_per_minute: round(serialRunsPerMinute),
      ratio_to_serial: round(runsPerMinute / serialRunsPerMinute),
      duration_under_load_over_single: round(durationP50 / singleDurationP50),
      concurrency: env.BENCH_RUNS_CONCURRENCY,
      users: env.BENCH_RUNS_USERS,
      agents_per_user: env.BENCH_RUNS_AGENTS_PER_USER,
      runs_per_round: agents.length,
      rounds: env.BENCH_RUNS_ROUNDS,
      other_processes_cpu_percent: otherShare,
      ...(otherShare > 10
        ? {
            warning:
              `Other processes took ${otherShare}% of this machine's CPU during the measured rounds: ` +
              'runs_per_minute and the lags are lower and higher than this machine gives the runner alone; run again when it is quiet.',
          }
        : {}),
      succeeded: `${steady.runs.filter((x) => x.status === 'succeeded').length}/${steady.runs.length}`,
      per_run: spreadsOf(steady.timings),
      model_script: toolRound
        ? 'one tool round per run: Bash `echo bench`, then the text "Done." (2 main model requests)'
        : 'one text answer per run: "Done." (1 main model request)',
      targets: TARGETS,
      about:
        'Headline figures are the steady-state rounds (round 1 is each user’s first run, in a fresh folder). ' +
        'runs_per_minute: runs ended / (last endedAt − the fire time) × 60 000, averaged over those rounds. ' +
        'schedule_fire_lag: startedAt − scheduledFor of the runs the LocalScheduler fired on the real clock; it ' +
        'is scheduled_to_queued (timer wake-up, store, bus) + queue_wait (startedAt − queuedAt: the job waiting ' +
        'for one of the `concurrency` slots). duration: endedAt − startedAt. single_run_ms: queuedAt → endedAt ' +
        'of one agent run alone (p50 of the solo runs); serial_runs_per_minute = 60 000 / single_run_ms; ' +
        'ratio_to_serial = runs_per_minute / serial_runs_per_minute. started_to_first_model_request is mostly ' +
        'Claude Code starting (plus the folder snapshot); scheduled_to_first_model_request is the fire time to the ' +
        'run’s first model request (what the schedule lag is to a person: the agent at work); last_model_request_to_ended is Claude ending, the ' +
        'second snapshot and the store. cpu (per round, from just before the fire to the last end): the ' +
        'machine’s busy share (other work on it included), CPU seconds per run of the Claude Code processes ' +
        '(children of this process, with the shells they spawn), CPU ms per run of this process (runner engine, ' +
        'scheduler, store, bus), CPU seconds other processes took meanwhile, and the ceiling that the CPU ' +
        'alone allows (cpus × 60 / CPU seconds per run). Figures on a shared machine vary with its load.',
      solo: {
        runs: soloRuns.length,
        cpu: soloCpu,
        per_run: spreadsOf(soloTimings),
        samples_queued_to_ended: soloTimings.map((t) => round(t.queued_to_ended as number)),
      },
      by_round: rounds,
    });
    result['load_average_at_end'] = loadavg().map(round);
    result['at'] = new Date().toISOString();
    const out = path.join(path.dirname(fileURLToPath(import.meta.url)), 'results', 'runs.json');
    mkdirSync(path.dirname(out), { recursive: true });
    writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
    return result;
  } finally {
    for (const close of closers.reverse()) {
      await close().catch((e: unknown) => console.error('runs bench cleanup:', e));
    }
    await model.close();
    rmSync(work, { recursive: true, force: true });
  }
}

function spec(name: string, timeZone: string | null): AgentSpec {
  return {
    name,
    description: 'A bench agent.',
    instructions: 'Say bench in the shell, then say you are done.',
    schedule:
      timeZone === null
        ? null
        : { cron: '* * * * *', timeZone, enabled: true, missedRunPolicy: 'skip', overlapPolicy: 'skip' },
    limits: { timeoutMs: 5 * 60_000, maxTurns: 10, maxUsd: 1 },
    notifications: { webhookUrl: null, inApp: false },
  };
}

/**
 * Arms every agent's every-minute schedule, waits for all of them to fire at the next minute
 * boundary, and disarms them at once so that none fires again. Returns the runs they made.
 */
async function fireRound(
  scheduler: LocalScheduler,
  agents: Agent[],
  fired: AgentRun[],
  fireErrors: unknown[],
): Promise<{ runs: AgentRun[]; cpuBefore: CpuSample }> {
  const first = agents[0]?.schedule;
  if (!first) throw new Error('the bench agents have no schedule');
  const untilBoundary = () => (nextRuns(first, Date.now(), 1)[0] as number) - Date.now();
  if (untilBoundary() < BOUNDARY_GUARD_MS) await sleep(untilBoundary() + 100);
  for (const a of agents) {
    if (!a.schedule) continue;
    await scheduler.upsert({ agentId: a.id, ownerId: a.ownerId, schedule: a.schedule });
  }
  const fireAt = nextRuns(first, Date.now(), 1)[0] as number;
  log(`${agents.length} schedules armed; they fire at ${new Date(fireAt).toISOString()}`);
  // The CPU figures cover the round from just before the fire, not the wait for the minute.
  await sleep(fireAt - Date.now() - 100);
  const cpuBefore = cpuNow();
  const deadline = fireAt + 30_000;
  while (fired.length + fireErrors.length < agents.length) {
    if (Date.now() > deadline) {
      throw new Error(
        `Only ${fired.length} of ${agents.length} schedules fired within 30 s of ${new Date(fireAt).toISOString()}.`,
      );
    }
    await sleep(20);
  }
  for (const a of agents) await scheduler.remove(a.id);
  if (fireErrors.length > 0) {
    throw new Error(`${fireErrors.length} scheduled runs could not start; the first: ${String(fireErrors[0])}`);
  }
  return { runs: [...fired], cpuBefore };
}

/** Polls the store until every run has ended; returns them as stored. */
async function waitForEnd(store: ReturnType<typeof openSqliteStore>, runs: AgentRun[]): Promise<AgentRun[]> {
  const deadline = Date.now() + ROUND_END_TIMEOUT_MS;
  const ended = new Map<string, AgentRun>();
  for (;;) {
    for (const r of runs) {
      if (ended.has(r.id)) continue;
      const now = await store.getRun(r.ownerId, r.id);
      if (now && now.endedAt !== null && !['queued', 'running'].includes(now.status)) ended.set(r.id, now);
    }
    if (ended.size === runs.length) return runs.map((r) => ended.get(r.id) as AgentRun);
    if (Date.now() > deadline) {
      throw new Error(
        `${runs.length - ended.size} of ${runs.length} runs had not ended after ${ROUND_END_TIMEOUT_MS / 1000} s.`,
      );
    }
    await sleep(POLL_MS);
  }
}

/** Every run must succeed: a throughput of failed runs means nothing. */
function assertSucceeded(runs: AgentRun[], what: string): void {
  const bad = runs.filter((r) => r.status !== 'succeeded');
  if (bad.length === 0) return;
  const reasons = [...new Set(bad.map((r) => `${r.status}: ${r.reason ?? 'no reason'}`))].slice(0, 5);
  throw new Error(
    `${bad.length} of ${runs.length} runs of ${what} did not succeed (${reasons.join('; ')}). ` +
      'The figures would mean nothing; run again with LOG_LEVEL-level detail by reading the run events.',
  );
}

/** The run's own figures, and where its time went by the scripted model's request log. */
function runTiming(run: AgentRun, model: ScriptedModel, agentName: string): RunTiming {
  const t: RunTiming = {};
  const { queuedAt, startedAt, endedAt, scheduledFor } = run;
  if (startedAt === null || endedAt === null) return t;
  t.queue_wait = startedAt - queuedAt;
  t.duration = endedAt - startedAt;
  t.queued_to_ended = endedAt - queuedAt;
  if (scheduledFor !== null) {
    t.schedule_fire_lag = startedAt - scheduledFor;
    t.scheduled_to_queued = queuedAt - scheduledFor;
  }
  const marker = `Unattended run of the agent "${agentName}"`;
  const requests = model.requests.filter(
    (q) => q.receivedAt >= startedAt && q.receivedAt <= endedAt && systemOf(q).includes(marker),
  );
  const firstReq = requests[0];
  const lastReq = requests.at(-1);
  if (firstReq && lastReq) {
    t.started_to_first_model_request = firstReq.receivedAt - startedAt;
    if (scheduledFor !== null) t.scheduled_to_first_model_request = firstReq.receivedAt - scheduledFor;
    t.first_to_last_model_request = lastReq.receivedAt - firstReq.receivedAt;
    t.last_model_request_to_ended = endedAt - lastReq.receivedAt;
  }
  return t;
}

function systemOf(q: RecordedRequest): string {
  const s = q.body?.system;
  if (s === undefined) return '';
  return typeof s === 'string' ? s : s.map((b) => b.text ?? '').join('\n');
}

interface Window {
  firstFireMs: number;
  lastEndMs: number;
}

function windowOf(runs: AgentRun[]): Window {
  return {
    firstFireMs: Math.min(...runs.map((r) => r.scheduledFor ?? r.queuedAt)),
    lastEndMs: Math.max(...runs.map((r) => r.endedAt as number)),
  };
}

function roundFigures(runs: AgentRun[], timings: RunTiming[], w: Window, before: CpuSample, after: CpuSample) {
  const spanMs = w.lastEndMs - w.firstFireMs;
  const lag = timings.map((t) => t.schedule_fire_lag as number);
  const headline = {
    runs: runs.length,
    succeeded: runs.filter((r) => r.status === 'succeeded').length,
    span_ms: spanMs,
    runs_per_minute: round((runs.length * 60_000) / spanMs),
    schedule_fire_lag_p50_ms: percentile(lag, 50),
    schedule_fire_lag_p95_ms: percentile(lag, 95),
  };
  return {
    ...headline,
    per_run: spreadsOf(timings),
    cpu: cpuFigures(before, after, runs.length),
    fire_times: [...new Set(runs.map((r) => new Date(r.scheduledFor ?? 0).toISOString()))],
  };
}

/**
 * Where the CPU went between two samples: the machine's busy share (everything on it), the Claude
 * Code processes (with the shells they and the runner spawn) and this process (runner engine,
 * scheduler, store, bus, the bench's polling) per run, and what other processes on the machine took.
 */
function cpuFigures(before: CpuSample, after: CpuSample, runs: number) {
  const busyS = (after.machineBusyTicks - before.machineBusyTicks) / TICKS_PER_S;
  const totalS = (after.machineTotalTicks - before.machineTotalTicks) / TICKS_PER_S;
  const childrenS = after.childrenCpuS - before.childrenCpuS;
  const selfS = after.selfCpuS - before.selfCpuS;
  return {
    machine_busy_percent: totalS > 0 ? round((busyS / totalS) * 100) : null,
    claude_cpu_s_per_run: Math.round((childrenS / runs) * 100) / 100,
    runner_process_cpu_ms_per_run: round((selfS / runs) * 1000),
    other_processes_cpu_s: round(Math.max(0, busyS - childrenS - selfS)),
    cpu_ceiling_runs_per_minute: childrenS > 0 ? round((cpus().length * 60 * runs) / (childrenS + selfS)) : null,
  };
}

function spreadsOf(timings: RunTiming[]): Partial<Record<RunFigure, { p50: number; p95: number }>> {
  const out: Partial<Record<RunFigure, { p50: number; p95: number }>> = {};
  for (const k of RUN_FIGURES) {
    const sample = timings.flatMap((t) => (typeof t[k] === 'number' ? [t[k]] : []));
    if (sample.length > 0) out[k] = spread(sample);
  }
  return out;
}

interface CpuSample {
  machineBusyTicks: number;
  machineTotalTicks: number;
  /** CPU of this process's ended (waited-for) children: the Claude Code processes and the snapshot shells. */
  childrenCpuS: number;
  selfCpuS: number;
}

/** From /proc (Linux): the whole machine's CPU ticks, and this process's children's CPU. */
/** USER_HZ: /proc reports CPU time in these ticks (100 on Linux). */
const TICKS_PER_S = 100;

function cpuNow(): CpuSample {
  const cpu = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number);
  const idle = (cpu[3] ?? 0) + (cpu[4] ?? 0);
  const totalTicks = cpu.reduce((s, x) => s + x, 0);
  // Fields after the command name (which may hold spaces): cutime and cstime are the 16th and 17th fields.
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const childrenTicks = Number(fields[13]) + Number(fields[14]);
  const self = process.cpuUsage();
  return {
    machineBusyTicks: totalTicks - idle,
    machineTotalTicks: totalTicks,
    childrenCpuS: childrenTicks / TICKS_PER_S,
    selfCpuS: (self.user + self.system) / 1e6,
  };
}

function machine(): Record<string, unknown> {
  const require = createRequire(import.meta.url);
  let claudeCode = 'unknown';
  try {
    const sdk = require.resolve('@anthropic-ai/claude-agent-sdk');
    const pkg = createRequire(sdk).resolve('@anthropic-ai/claude-agent-sdk-linux-x64/package.json');
    claudeCode = (JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version;
  } catch (e) {
    log(`Claude Code version unknown: ${e instanceof Error ? e.message : String(e)}`);
  }
  return {
    cpus: cpus().length,
    cpu_model: cpus()[0]?.model ?? 'unknown',
    total_memory_gb: round(totalmem() / 1024 ** 3),
    node: process.version,
    claude_code_package: claudeCode,
    load_average_at_start: loadavg().map(round),
  };
}
