import path from 'node:path';
import {
  type Agent,
  AgentLimits,
  type AgentRun,
  type RunFile,
  RunReasons,
  type RunStatus,
  type RunTokens,
} from '@agent-platform/core/domain';
import { AppError } from '@agent-platform/core/errors';
import type { Bus, Clock, Sandbox, SandboxProcess, SandboxRuntime, Store } from '@agent-platform/core/ports';
import type { AgentRunJob, SessionEventDraft } from '@agent-platform/core/protocol';
import {
  mayRetryAutomatically,
  publishRunFinished,
  type RunStartDeps,
  retryDelayMs,
  sendRunJob,
  startRun,
} from '@agent-platform/functions/services/runs';
import { type Options, query, type SDKMessage, type SpawnedProcess } from '@anthropic-ai/claude-agent-sdk';
import type { Logger } from '../log.js';
import { claudeBaseOptions } from '../sessions/claude-options.js';
import type { EventLog } from '../sessions/event-log.js';
import { PLATFORM_PROMPT } from '../sessions/manager.js';
import { EventMapper } from '../sessions/mapper.js';
import { sandboxEventDraft } from '../sessions/sandbox-events.js';
import { contentTypeOf, diffSnapshots, readInSandbox, type Snapshot, snapshot, viewable } from './files.js';

export interface RunExecutorOptions {
  store: Store;
  bus: Bus;
  events: EventLog;
  runtime: SandboxRuntime;
  clock: Clock;
  log: Logger;
  /** This runner's id (the run records which runner claimed it). */
  runnerId: string;
  modelConfigured: boolean;
  /** Environment of a Claude Code process in this sandbox, as for conversations. */
  claudeEnv: (sandbox: Sandbox) => Record<string, string>;
  model?: string | undefined;
  /** The cloud's pool: retries go to the owner's runner. */
  placement?: RunStartDeps['placement'];
  /** Runs at once on this runner; further jobs wait for a slot. Default 4. */
  concurrency?: number;
  /** The first automatic retry's wait (then ×4). Default 15 s. */
  retryBaseMs?: number;
  /** How often a running run checks whether its owner cancelled it. Default 2 s. */
  cancelPollMs?: number;
}

/** What became of a job: its run started here, there was nothing to run, or the user is served elsewhere. */
export type RunJobOutcome = 'started' | 'skipped' | 'served-elsewhere';

/** Why a run's Claude was stopped before it finished by itself. */
type StopCause = 'timeout' | 'cancelled' | 'shutdown';

interface Execution {
  run: AgentRun;
  abort: AbortController;
  cause: StopCause | null;
  done: Promise<void>;
}

/** What the system prompt adds for a run nobody watches. */
export function runPrompt(agent: Agent, folder: string, workspace: string, now: Date): string {
  return [
    `# Unattended run of the agent "${agent.name}"`,
    'Nobody is watching this run: do not ask questions or wait for answers. Do the work the instructions',
    'describe, completely, then end with a short summary for the person: what you produced and where,',
    'the key figures, and anything that failed and why.',
    `Your working folder for this agent is ${folder}; put what you produce there unless the`,
    `instructions say where. The person's workspace is ${workspace}: scripts and data they made while`,
    'designing the agent are there; use them, and do not delete their files.',
    `The time now is ${now.toISOString()} (UTC).`,
  ].join('\n');
}

/**
 * Runs agents headless in their owner's sandbox: claims a queued run (compare-and-set, so a job
 * delivered twice runs once), runs Claude Code with the agent's instructions in the agent's folder,
 * bounded by its timeout, turns and budget, stores the run's events under its session id (watched
 * live over the WebSocket), then records status, result, files, tokens and cost and announces the
 * end on `run-events`. An infrastructure failure is retried with backoff, an agent's own is not.
 */
export class RunExecutor {
  private readonly running = new Map<string, Execution>();
  private readonly retryTimers = new Set<NodeJS.Timeout>();
  private readonly waiting: Array<() => void> = [];
  private readonly concurrency: number;
  /** Slots taken: runs running here, and jobs between taking a slot and starting their run. */
  private busy = 0;
  private closed = false;

  constructor(private readonly o: RunExecutorOptions) {
    this.concurrency = o.concurrency ?? 4;
  }

  /** Runs in progress here. */
  get activeCount(): number {
    return this.running.size;
  }

  /**
   * Takes a job: waits for a free slot, claims the run and starts it. Resolves once the run has
   * started (or there is nothing to run), not when it ends, so the job is acknowledged while the run
   * goes on; a runner that dies afterwards leaves the run to RUNNER_LOST. Throws on store faults.
   */
  async accept(job: AgentRunJob, serves?: ((userId: string) => Promise<boolean>) | undefined): Promise<RunJobOutcome> {
    if (serves && !(await serves(job.ownerId))) return 'served-elsewhere';
    await this.slot();
    let started = false;
    try {
      const run = await this.o.store.getRun(job.ownerId, job.runId);
      if (run?.status !== 'queued' || this.closed) return 'skipped';
      const agent = await this.o.store.getAgent(run.ownerId, run.agentId);
      if (!agent) {
        await this.endQueued(run, 'failed', RunReasons.agentDeleted, run.agentId);
        return 'skipped';
      }
      if (!this.o.modelConfigured) {
        await this.endQueued(run, 'failed', RunReasons.modelNotConfigured, agent.name);
        return 'skipped';
      }
      const claimed = await this.o.store.transitionRun(
        run.id,
        ['queued'],
        'running',
        { runnerId: this.o.runnerId },
        this.o.clock.now(),
      );
      if (!claimed) return 'skipped';
      const exec: Execution = { run: claimed, abort: new AbortController(), cause: null, done: Promise.resolve() };
      this.running.set(run.id, exec);
      started = true;
      exec.done = this.execute(exec, agent)
        .catch((e: unknown) => this.o.log.error('a run could not be recorded', { runId: run.id, error: e }))
        .finally(() => {
          this.running.delete(run.id);
          this.release();
        });
      return 'started';
    } finally {
      if (!started) this.release();
    }
  }

  /**
   * Ends the runs a runner left `running` when it died (its lease ran out, or this process restarted)
   * as failed with RUNNER_LOST, and retries them per policy. Returns how many it ended.
   */
  async failLostRuns(deadRunnerId: string): Promise<number> {
    let ended = 0;
    for (const run of await this.o.store.listRunsByStatus('running', { runnerId: deadRunnerId })) {
      if (this.running.has(run.id)) continue;
      const failed = await this.o.store.transitionRun(
        run.id,
        ['running'],
        'failed',
        { reason: RunReasons.runnerLost },
        this.o.clock.now(),
      );
      if (!failed) continue;
      ended++;
      const agent = await this.o.store.getAgent(failed.ownerId, failed.agentId);
      await this.o.events
        .append(failed.sessionId, [
          { type: 'run.ended', runId: failed.id, status: failed.status, reason: failed.reason, messageId: failed.id },
        ])
        .catch(() => undefined);
      await publishRunFinished(this.o.bus, failed, agent?.name ?? failed.agentId);
      if (agent) this.scheduleRetry(failed, agent);
    }
    return ended;
  }

  /** Sends the queued runs of the given owners again (their jobs may have been lost with a runner or a restart). */
  async resendQueued(ownerIds?: ReadonlySet<string>): Promise<number> {
    let sent = 0;
    for (const run of await this.o.store.listRunsByStatus('queued')) {
      if (ownerIds && !ownerIds.has(run.ownerId)) continue;
      await sendRunJob(this.o, run);
      sent++;
    }
    return sent;
  }

  /** Stops the running runs (they end as failed, RUNNER_LOST, and are retried) and pending retries. */
  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.retryTimers) clearTimeout(t);
    this.retryTimers.clear();
    for (const exec of this.running.values()) {
      exec.cause ??= 'shutdown';
      exec.abort.abort();
    }
    await Promise.allSettled([...this.running.values()].map((e) => e.done));
    for (const wake of this.waiting.splice(0)) wake();
  }

  /** Takes one of the `concurrency` slots, waiting for one when all are taken. */
  private async slot(): Promise<void> {
    if (this.busy < this.concurrency) {
      this.busy++;
      return;
    }
    // release() hands its slot straight to the first waiter.
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.busy = Math.max(0, this.busy - 1);
  }

  /** A queued run that cannot run at all ends here (and is announced). */
  private async endQueued(run: AgentRun, to: RunStatus, reason: string, agentName: string): Promise<void> {
    const ended = await this.o.store.transitionRun(run.id, ['queued'], to, { reason }, this.o.clock.now());
    if (ended) await publishRunFinished(this.o.bus, ended, agentName);
  }

  private append(run: AgentRun, drafts: SessionEventDraft[]): Promise<unknown> {
    return this.o.events.append(run.sessionId, drafts);
  }

  private async execute(exec: Execution, agent: Agent): Promise<void> {
    const { run } = exec;
    const { store, runtime, clock, log } = this.o;
    const timer = setTimeout(() => {
      exec.cause ??= 'timeout';
      exec.abort.abort();
    }, agent.limits.timeoutMs);
    const poll = setInterval(() => {
      store
        .getRun(run.ownerId, run.id)
        .then((r) => {
          if (r?.status === 'cancelled') {
            exec.cause ??= 'cancelled';
            exec.abort.abort();
          }
        })
        .catch(() => undefined);
    }, this.o.cancelPollMs ?? 2000);

    let status: RunStatus = 'failed';
    let reason: string | null = null;
    let result: string | null = null;
    let files: RunFile[] = [];
    const tokens: RunTokens = { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheCreationTokens: 0 };
    let costUsd = 0;
    let sandbox: Sandbox | undefined;
    let before: Snapshot | undefined;
    let roots: string[] = [];
    try {
      await this.append(run, [{ type: 'status', state: 'starting', messageId: run.id }]);
      try {
        sandbox = await runtime.ensure(run.ownerId, {
          onState: (c) => {
            const d = sandboxEventDraft(runtime.kind, run.id, c);
            if (d) this.append(run, [d]).catch(() => undefined);
          },
        });
      } catch (e) {
        if (e instanceof AppError && e.code === 'SANDBOX_UNAVAILABLE') {
          reason = RunReasons.sandboxUnavailable;
          await this.append(run, [
            { type: 'error', code: 'SANDBOX_UNAVAILABLE', message: e.message, retryable: true, messageId: run.id },
          ]);
          return;
        }
        throw e;
      }
      const folder = path.posix.join(sandbox.homeDir, 'agents', agent.id);
      roots = [folder, sandbox.workspaceDir];
      before = await snapshot(runtime, sandbox, roots).catch((e: unknown) => {
        log.warn('could not list the run folders before the run', { runId: run.id, error: e });
        return undefined;
      });

      const outcome = await this.runClaude(exec, agent, sandbox, folder, tokens);
      costUsd = outcome.costUsd;
      result = outcome.result;
      ({ status, reason } = outcome);
    } catch (e) {
      log.error('run failed on the platform', { runId: run.id, error: e });
      status = 'failed';
      reason = RunReasons.processFailed;
    } finally {
      clearTimeout(timer);
      clearInterval(poll);
    }

    try {
      if (sandbox && before) files = await this.collectFiles(run, sandbox, before, roots);
    } catch (e) {
      log.warn('could not list the files the run changed', { runId: run.id, error: e });
    }

    const patch = {
      reason: status === 'succeeded' ? null : (reason ?? 'FAILED').slice(0, AgentLimits.runReasonChars),
      result: result === null ? null : result.slice(0, AgentLimits.runResultChars),
      files,
      tokens,
      costUsd,
    };
    const ended =
      (await store.transitionRun(run.id, ['running'], status, patch, clock.now())) ??
      // Cancelled (or taken over) meanwhile: the stored status stands.
      (await store.getRun(run.ownerId, run.id));
    if (!ended) return;
    await this.append(run, [
      { type: 'run.ended', runId: run.id, status: ended.status, reason: ended.reason, messageId: run.id },
    ]).catch((e: unknown) => log.error('could not store run.ended', { runId: run.id, error: e }));
    await publishRunFinished(this.o.bus, ended, agent.name);
    this.scheduleRetry(ended, agent);
  }

  /** Runs Claude Code once with the agent's instructions; maps its messages into the run's events. */
  private async runClaude(
    exec: Execution,
    agent: Agent,
    sandbox: Sandbox,
    folder: string,
    tokens: RunTokens,
  ): Promise<{ status: RunStatus; reason: string | null; result: string | null; costUsd: number }> {
    const { run } = exec;
    const { runtime, log } = this.o;
    let proc: SandboxProcess | undefined;
    const options: Options = {
      ...claudeBaseOptions({
        sandbox,
        env: this.o.claudeEnv(sandbox),
        cwd: folder,
        appendSystemPrompt: `${PLATFORM_PROMPT}\n\n${runPrompt(agent, folder, sandbox.workspaceDir, new Date(this.o.clock.now()))}`,
        model: this.o.model,
      }),
      maxTurns: agent.limits.maxTurns,
      maxBudgetUsd: agent.limits.maxUsd,
      abortController: exec.abort,
      spawnClaudeCodeProcess: (opts) => {
        proc = runtime.spawn(sandbox, opts);
        return proc as unknown as SpawnedProcess;
      },
      stderr: (line) => log.debug('claude stderr', { runId: run.id, line: line.slice(0, 2000) }),
    };
    const mapper = new EventMapper(() => run.id);
    let final: Extract<SDKMessage, { type: 'result' }> | undefined;
    try {
      for await (const msg of query({ prompt: agent.instructions, options })) {
        const mapped = mapper.map(msg);
        if (msg.type === 'result') {
          final = msg;
          for (const d of mapped.events) if (d.type === 'turn.result') d.costUsd = msg.total_cost_usd;
          const u = msg.usage;
          tokens.inputTokens += u.input_tokens ?? 0;
          tokens.outputTokens += u.output_tokens ?? 0;
          tokens.cacheReadTokens += u.cache_read_input_tokens ?? 0;
          tokens.cacheCreationTokens += u.cache_creation_input_tokens ?? 0;
        }
        if (mapped.events.length > 0) await this.append(run, mapped.events);
      }
    } catch (e) {
      if (!exec.cause) {
        log.warn('claude ended without a result', { runId: run.id, error: e instanceof Error ? e.message : e });
      }
    } finally {
      if (proc && proc.exitCode === null) proc.kill('SIGTERM');
    }
    const costUsd = final?.total_cost_usd ?? 0;
    if (exec.cause === 'timeout') return { status: 'timed_out', reason: RunReasons.timeout, result: null, costUsd };
    if (exec.cause === 'cancelled') return { status: 'cancelled', reason: RunReasons.cancelled, result: null, costUsd };
    if (exec.cause === 'shutdown') return { status: 'failed', reason: RunReasons.runnerLost, result: null, costUsd };
    if (!final) return { status: 'failed', reason: RunReasons.processFailed, result: null, costUsd };
    if (final.subtype === 'success') {
      if (!final.is_error) return { status: 'succeeded', reason: null, result: final.result, costUsd };
      const budget = final.api_error_status === 402 || /API Error: 402\b/.test(final.result);
      return {
        status: 'failed',
        reason: budget ? RunReasons.budgetExceeded : `The model answered with an error: ${final.result}`,
        result: null,
        costUsd,
      };
    }
    if (final.subtype === 'error_max_turns')
      return { status: 'failed', reason: RunReasons.maxTurns, result: null, costUsd };
    if (final.subtype === 'error_max_budget_usd') {
      return { status: 'failed', reason: RunReasons.budgetExceeded, result: null, costUsd };
    }
    const why = final.errors.join('; ') || final.subtype;
    return { status: 'failed', reason: `Claude could not finish: ${why}`, result: null, costUsd };
  }

  /** The files the run created, changed or deleted; small viewable ones are kept with the run. */
  private async collectFiles(run: AgentRun, sandbox: Sandbox, before: Snapshot, roots: string[]): Promise<RunFile[]> {
    const { runtime, store } = this.o;
    const after = await snapshot(runtime, sandbox, roots);
    const home = sandbox.homeDir.replace(/\/+$/, '');
    const display = (p: string): string => (p.startsWith(`${home}/`) ? `~/${p.slice(home.length + 1)}` : p);
    const absolute = (p: string): string => (p.startsWith('~/') ? `${home}/${p.slice(2)}` : p);
    const files = diffSnapshots(before, after, display);
    let kept = 0;
    const out: RunFile[] = [];
    for (const f of files) {
      const contentType = contentTypeOf(f.path);
      let stored = false;
      if (
        f.changeKind !== 'deleted' &&
        viewable(contentType) &&
        f.bytes <= AgentLimits.runStoredFileBytes &&
        kept + f.bytes <= AgentLimits.runStoredTotalBytes
      ) {
        try {
          const data = await readInSandbox(runtime, sandbox, absolute(f.path), AgentLimits.runStoredFileBytes);
          await store.putRunFile({
            runId: run.id,
            ownerId: run.ownerId,
            path: f.path,
            contentType: contentType as string,
            data,
          });
          kept += data.length;
          stored = true;
        } catch (e) {
          // Gone or grown since it was listed: listed, but not kept.
          this.o.log.debug('a run file could not be kept', { runId: run.id, path: f.path, error: e });
        }
      }
      out.push({ ...f, ...(contentType ? { contentType } : {}), stored });
    }
    return out;
  }

  /** An infrastructure failure runs again after a backoff, up to the limit; the agent's own failures do not. */
  private scheduleRetry(run: AgentRun, agent: Agent): void {
    if (this.closed || !mayRetryAutomatically(run)) return;
    const delay = retryDelayMs(run.attempt, this.o.retryBaseMs);
    this.o.log.info('run failed on the platform: retrying', { runId: run.id, reason: run.reason, delayMs: delay });
    const t = setTimeout(() => {
      this.retryTimers.delete(t);
      // Read again: the agent may have been paused or deleted while the retry waited.
      this.o.store
        .getAgent(agent.ownerId, agent.id)
        .then((now) => (now?.status === 'active' ? startRun(this.o, now, { trigger: 'retry', of: run }) : null))
        .catch((e: unknown) => this.o.log.error('could not retry a run', { runId: run.id, error: e }));
    }, delay);
    t.unref();
    this.retryTimers.add(t);
  }
}
