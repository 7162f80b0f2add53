import type { Message, Session } from '@agent-platform/core/domain';
import { AppError } from '@agent-platform/core/errors';
import type {
  Clock,
  Sandbox,
  SandboxProcess,
  SandboxRuntime,
  SandboxStateChange,
  Store,
} from '@agent-platform/core/ports';
import type { ChatTurnJob, SessionEventDraft } from '@agent-platform/core/protocol';
import {
  type Options,
  type Query,
  query,
  type SDKUserMessage,
  type SpawnedProcess,
} from '@anthropic-ai/claude-agent-sdk';
import { AGENT_DESIGN_PROMPT } from '../agents/design-prompt.js';
import { agentDesignOptions } from '../agents/design-tools.js';
import type { Logger } from '../log.js';
import { AsyncQueue } from './async-queue.js';
import { claudeBaseOptions } from './claude-options.js';
import type { EventLog } from './event-log.js';
import { costOfTurn, EventMapper, type TurnOutcome } from './mapper.js';
import { sandboxEventDraft } from './sandbox-events.js';
import type { TranscriptMirror } from './transcripts.js';

export interface SessionManagerOptions {
  store: Store;
  events: EventLog;
  runtime: SandboxRuntime;
  clock: Clock;
  log: Logger;
  /** False when no model credential or base URL is configured: turns fail with MODEL_NOT_CONFIGURED. */
  modelConfigured: boolean;
  /**
   * Environment of a Claude Code process in this sandbox (model endpoint, the sandbox's proxy
   * token, flags). Built by the composition root; called for each process start.
   */
  claudeEnv: (sandbox: Sandbox) => Record<string, string>;
  /** The Claude model; Claude Code's default when undefined. */
  model?: string | undefined;
  /** A live Claude process with no turn for this long is ended. */
  idleMs: number;
  /** Text added to Claude Code's system prompt. */
  appendSystemPrompt?: string;
  /**
   * Keeps Claude transcripts in the Store (the runner pool, where a conversation must survive its
   * runner). Without it transcripts live only on the sandbox's disk (one machine).
   */
  transcripts?: TranscriptMirror | undefined;
}

interface PendingTurn {
  messageId: string;
  resolve: (o: TurnOutcome) => void;
  reject: (e: Error) => void;
}

/** One conversation with a live Claude process: one query() fed by an async queue. */
interface LiveSession {
  sessionId: string;
  ownerId: string;
  claudeSessionId: string | null;
  input: AsyncQueue<SDKUserMessage>;
  query: Query;
  process: SandboxProcess | undefined;
  current: PendingTurn | null;
  idleTimer: NodeJS.Timeout | undefined;
  /** Cost already counted for this conversation, to turn Claude's running total into a turn's cost. */
  countedCostUsd: number;
  stopping: boolean;
  done: Promise<void>;
}

/**
 * What became of a job: its turn ran (successfully or not: a failure is stored as an event), it was
 * skipped (its message is done, failed or gone), or its user is served by another runner now.
 */
export type TurnRun = 'ran' | 'skipped' | 'served-elsewhere';

export const PLATFORM_PROMPT = [
  'You work for a person who is usually not a programmer, in their own workspace folder.',
  'Write and run Python to do what they ask; install packages with pip when needed.',
  'Explain results in plain words, in the language the person writes in. Keep files in the working directory.',
].join(' ');

/**
 * Keeps one Claude Code process per active conversation and feeds it the conversation's messages
 * in order. A warm session answers without any process start; an idle one is ended and resumed
 * (same Claude session id) on the next message.
 */
export class SessionManager {
  private readonly live = new Map<string, LiveSession>();
  private readonly inFlight = new Map<string, Promise<TurnRun>>();

  private readonly unwatch: () => void;

  constructor(private readonly o: SessionManagerOptions) {
    // A sandbox that dies or is stopped under a live conversation is told to that conversation.
    this.unwatch = o.runtime.watch((userId, change) => {
      if (change.state !== 'failed' && change.state !== 'stopped') return;
      for (const live of this.live.values()) {
        if (live.ownerId === userId) this.appendSandbox(live.sessionId, live.current?.messageId ?? null, change);
      }
    });
  }

  /** Number of conversations with a live Claude process. */
  get activeCount(): number {
    return this.live.size;
  }

  /** The live Claude process of a session, if any (for diagnostics and fault tests). */
  processOf(sessionId: string): SandboxProcess | undefined {
    return this.live.get(sessionId)?.process;
  }

  /**
   * Runs a stored message as a turn. Resolves when the turn is over, whether it succeeded or failed
   * for the user (the failure is stored as an event). Throws only for infrastructure faults, so the
   * job is delivered again. A message already done, or already running here, is not run twice.
   * With `serves` (the runner pool), a job for a user this runner does not serve now is not run:
   * it resolves 'served-elsewhere' (the user's runner was sent the job too).
   */
  runTurn(job: ChatTurnJob, serves?: ((userId: string) => Promise<boolean>) | undefined): Promise<TurnRun> {
    const running = this.inFlight.get(job.messageId);
    if (running) return running;
    const turn = this.turn(job, serves)
      .catch((e: unknown) => {
        // An infrastructure fault (the store or the bus failing): the job is delivered again, and the
        // people watching hear it now, since no event can be stored.
        this.o.events.notice(job.sessionId, {
          code: 'TEMPORARILY_UNAVAILABLE',
          message:
            'Saving this conversation failed for a moment. Your message is kept and will be tried again shortly.',
        });
        throw e;
      })
      .finally(() => this.inFlight.delete(job.messageId));
    this.inFlight.set(job.messageId, turn);
    return turn;
  }

  /** Ends a session's Claude process (the conversation can be resumed). */
  async stop(sessionId: string): Promise<void> {
    const live = this.live.get(sessionId);
    if (!live) return;
    live.stopping = true;
    live.input.end();
    live.query.close();
    await live.done;
  }

  async close(): Promise<void> {
    this.unwatch();
    await Promise.all([...this.live.keys()].map((id) => this.stop(id)));
  }

  /** Stores a sandbox state change as a session event (in order with the others: appends are chained). */
  private appendSandbox(sessionId: string, messageId: string | null, c: SandboxStateChange): void {
    const draft = sandboxEventDraft(this.o.runtime.kind, messageId, c);
    if (!draft) return;
    this.o.events.append(sessionId, [draft]).catch((e: unknown) => {
      this.o.log.error('could not store a sandbox event', { sessionId, error: e });
    });
  }

  private async turn(job: ChatTurnJob, serves: ((userId: string) => Promise<boolean>) | undefined): Promise<TurnRun> {
    const { store } = this.o;
    // Three independent reads, at once. The message is read by the job's session id and used only
    // when that session exists and belongs to the job's owner.
    const [served, session, message] = await Promise.all([
      serves ? serves(job.ownerId) : true,
      store.getSession(job.ownerId, job.sessionId),
      store.getMessage(job.sessionId, job.messageId),
    ]);
    if (!served) return 'served-elsewhere';
    if (!session || !message || message.status === 'done' || message.status === 'failed') {
      this.o.log.debug('job skipped', { messageId: job.messageId, status: message?.status ?? 'missing' });
      return 'skipped';
    }
    await this.runMessage(session, message);
    return 'ran';
  }

  /** Runs a stored, open message of the session as a turn of its Claude process (started if need be). */
  private async runMessage(session: Session, message: Message): Promise<void> {
    const { store, events } = this.o;
    const messageId = message.id;
    if (!this.o.modelConfigured) {
      await this.fail(session.id, messageId, 'MODEL_NOT_CONFIGURED', MODEL_NOT_CONFIGURED_TEXT);
      return;
    }
    let live = this.live.get(session.id);
    if (!live) {
      await events.append(session.id, [{ type: 'status', state: 'starting', messageId }]);
      try {
        live = await this.start(session, messageId);
      } catch (e) {
        if (e instanceof AppError && e.code === 'SANDBOX_UNAVAILABLE') {
          // The sandbox event that explains it is already stored; the turn can be retried.
          this.o.log.warn('sandbox unavailable', { sessionId: session.id, reason: e.details?.reason });
          await this.fail(session.id, messageId, 'SANDBOX_UNAVAILABLE', e.message);
          return;
        }
        this.o.log.error('could not start Claude', { sessionId: session.id, error: e });
        const why = e instanceof Error ? e.message : String(e);
        await this.fail(session.id, messageId, 'CLAUDE_PROCESS_FAILED', `Claude could not be started (${why}).`);
        return;
      }
    }
    clearTimeout(live.idleTimer);
    const outcome = new Promise<TurnOutcome>((resolve, reject) => {
      (live as LiveSession).current = { messageId, resolve, reject };
    });
    live.input.push({
      type: 'user',
      message: { role: 'user', content: message.text },
      parent_tool_use_id: null,
      session_id: live.claudeSessionId ?? '',
    });
    // Recorded after the message is on its way: the turn's latency does not wait for this write.
    await store.setMessageStatus(session.id, messageId, 'running');

    try {
      const result = await outcome;
      if (result.isError) {
        const detail = result.errors.join('; ') || result.subtype;
        // The proxy's 402 is a spent budget; Claude Code reports the status, or only its text when the
        // refusal came during another step (e.g. compaction).
        const budget = result.apiErrorStatus === 402 || /API Error: 402\b/.test(detail);
        const code = budget ? 'BUDGET_EXCEEDED' : 'TURN_FAILED';
        await this.fail(session.id, messageId, code, `Claude could not finish this turn: ${detail}`);
      } else {
        await store.setMessageStatus(session.id, messageId, 'done');
      }
    } catch (e) {
      const text = e instanceof Error ? e.message : String(e);
      await this.fail(
        session.id,
        messageId,
        'CLAUDE_PROCESS_FAILED',
        `Claude's process stopped during this turn (${text}). Send the message again to continue.`,
      );
    } finally {
      const still = this.live.get(session.id);
      if (still) {
        still.current = null;
        still.idleTimer = setTimeout(() => void this.stop(session.id), this.o.idleMs);
        still.idleTimer.unref();
      }
    }
  }

  private async fail(sessionId: string, messageId: string, code: string, message: string): Promise<void> {
    await this.o.events.append(sessionId, [
      { type: 'error', code, message, retryable: true, messageId },
      { type: 'status', state: 'idle', messageId },
    ]);
    await this.o.store.setMessageStatus(sessionId, messageId, 'failed');
  }

  private async start(session: Session, messageId: string): Promise<LiveSession> {
    const { runtime, log } = this.o;
    const sandbox = await runtime.ensure(session.ownerId, {
      onState: (c) => this.appendSandbox(session.id, messageId, c),
    });
    const mirror = this.o.transcripts;
    let resume = session.claudeSessionId;
    if (resume && mirror) {
      // On another runner than before, the sandbox's disk lacks the transcript: bring it from the Store.
      const found = await mirror.materialize(sandbox, session.ownerId, resume, sandbox.workspaceDir);
      if (found === 'missing') {
        log.warn('no transcript to resume; the conversation starts afresh', { sessionId: session.id });
        resume = null;
      } else if (found === 'restored') {
        log.info('transcript restored from the store', { sessionId: session.id });
      }
    }
    const countedCostUsd = resume ? await this.o.store.sessionCostUsd(session.id) : 0;
    const input = new AsyncQueue<SDKUserMessage>();
    // The SDK may spawn before query() returns; the process is kept here until `live` exists.
    const spawned: { process: SandboxProcess | undefined } = { process: undefined };
    let live: LiveSession | undefined;
    const platformPrompt = this.o.appendSystemPrompt ?? PLATFORM_PROMPT;
    // Designing an agent: the design prompt after the platform's, and the propose/save tools.
    const design =
      session.context === 'agent-create'
        ? agentDesignOptions({
            sessionId: session.id,
            ownerId: session.ownerId,
            store: this.o.store,
            events: this.o.events,
            clock: this.o.clock,
            log,
            currentMessageId: () => live?.current?.messageId ?? null,
          })
        : undefined;
    const options: Options = {
      ...claudeBaseOptions({
        sandbox,
        env: this.o.claudeEnv(sandbox),
        cwd: sandbox.workspaceDir,
        appendSystemPrompt: design ? `${platformPrompt}\n\n${AGENT_DESIGN_PROMPT}` : platformPrompt,
        model: this.o.model,
      }),
      ...design,
      ...(resume ? { resume } : {}),
      ...(mirror ? { sessionStore: mirror.sessionStoreFor(session.ownerId) } : {}),
      spawnClaudeCodeProcess: (opts) => {
        const proc = runtime.spawn(sandbox, opts);
        spawned.process = proc;
        if (live) live.process = proc;
        return proc as unknown as SpawnedProcess;
      },
      stderr: (line) => log.debug('claude stderr', { sessionId: session.id, line: line.slice(0, 2000) }),
    };
    const q = query({ prompt: input, options });
    live = {
      sessionId: session.id,
      ownerId: session.ownerId,
      claudeSessionId: resume,
      input,
      query: q,
      process: spawned.process,
      current: null,
      idleTimer: undefined,
      countedCostUsd,
      stopping: false,
      done: Promise.resolve(),
    };
    live.done = this.consume(live, session);
    this.live.set(session.id, live);
    return live;
  }

  /** Reads the query's messages until the process ends; maps, stores and fans them out. */
  private async consume(live: LiveSession, session: Session): Promise<void> {
    const { store, events, clock, log } = this.o;
    const mapper = new EventMapper(() => live.current?.messageId ?? null);
    let endReason: Error | null = null;
    try {
      for await (const msg of live.query) {
        if (msg.type === 'system' && (msg as { subtype?: string }).subtype === 'mirror_error') {
          // The transcript copy in the Store missed a batch: a move to another runner would lose it.
          log.error('transcript mirror failed', { sessionId: session.id, detail: JSON.stringify(msg).slice(0, 2000) });
        }
        const mapped = mapper.map(msg);
        if (mapped.claudeSessionId && mapped.claudeSessionId !== live.claudeSessionId) {
          live.claudeSessionId = mapped.claudeSessionId;
          await store.setClaudeSessionId(session.id, mapped.claudeSessionId, clock.now());
        }
        const drafts: SessionEventDraft[] = mapped.events;
        if (mapped.outcome) {
          const cost = costOfTurn(mapped.outcome.totalCostUsd, live.countedCostUsd);
          live.countedCostUsd += cost;
          for (const d of drafts) if (d.type === 'turn.result') d.costUsd = cost;
          drafts.push({ type: 'status', state: 'idle', messageId: live.current?.messageId ?? null });
        }
        if (drafts.length > 0) await events.append(session.id, drafts);
        if (mapped.outcome) live.current?.resolve(mapped.outcome);
      }
    } catch (e) {
      endReason = e instanceof Error ? e : new Error(String(e));
      if (!live.stopping) log.warn('claude process ended', { sessionId: session.id, error: endReason.message });
    } finally {
      clearTimeout(live.idleTimer);
      if (this.live.get(session.id) === live) this.live.delete(session.id);
      live.input.end();
      // The loop can also end on our side (a store write failed): never leave the process behind.
      if (live.process?.exitCode === null) live.query.close();
      live.current?.reject(endReason ?? new AppError('CLAUDE_PROCESS_FAILED', 'the process exited'));
      await events.append(session.id, [{ type: 'status', state: 'stopped', messageId: null }]).catch((e: unknown) => {
        log.error('could not store the stopped status', { sessionId: session.id, error: e });
      });
    }
  }
}

export const MODEL_NOT_CONFIGURED_TEXT =
  'No model is configured. Set ANTHROPIC_API_KEY (or ANTHROPIC_BASE_URL for a compatible gateway) and restart the server; your message is kept and can be sent again.';
