import type {
  AgentSpec,
  Message,
  MessageStatus,
  RunStatus,
  SandboxEventState,
  SandboxFailure,
  ScheduleText,
  SessionEvent,
  StatusState,
  Usage,
} from '@agent-platform/core/protocol';

/**
 * The conversation as the page renders it, built from the stored messages and the session events
 * (restored, replayed and live). Framework-free and without I/O, so it can be tested alone.
 *
 * Rules:
 * - Events are applied once: a seq already seen is ignored (replays overlap restores).
 * - Events are grouped into turns by `messageId` (the user message they answer).
 * - Streamed text (`assistant.delta`) accumulates per assistantId and block, in seq order;
 *   `assistant.message` replaces it with the full text.
 * - Views are immutable and keep their identity while unchanged: a re-render can skip every turn
 *   and every item that did not change (only the streaming message re-renders per frame).
 * - `sandbox` events (the user's workspace container) give the latest sandbox state for the status
 *   line. A failure belongs to the turn it broke (its own messageId, or the turn running when it
 *   came without one); a failure outside any turn stays until the sandbox starts again.
 * - `agent.proposal`, `agent.saved` and `run.ended` are about the whole session, not a turn's
 *   content: the latest of each (by seq) is kept for the agent preview and the run page.
 *   `run.ended` also ends its turn (a run is one turn, whose messageId is the run's id).
 */

/**
 * sending: the POST is on its way (optimistic). pending: stored, waiting for a runner.
 * running: the turn is being worked on. done / failed: the turn ended.
 */
export type TurnState = 'sending' | 'pending' | 'running' | 'done' | 'failed';

export interface AssistantItemView {
  readonly kind: 'assistant';
  readonly key: string;
  readonly assistantId: string;
  readonly text: string;
  /** True once `assistant.message` gave the full text. */
  readonly complete: boolean;
}

export interface ToolResultView {
  readonly output: string;
  readonly isError: boolean;
  readonly truncated: boolean;
}

/** running: no result yet and the turn goes on. interrupted: the turn is not running and there is no result. */
export type ToolState = 'running' | 'done' | 'error' | 'interrupted';

export interface ToolItemView {
  readonly kind: 'tool';
  readonly key: string;
  readonly toolUseId: string;
  /** Empty while only the result is known (an out-of-order replay). */
  readonly name: string;
  readonly input: unknown;
  readonly result: ToolResultView | null;
  readonly state: ToolState;
}

export type TurnItemView = AssistantItemView | ToolItemView;

export interface TurnErrorView {
  readonly seq: number;
  readonly code: string;
  readonly message: string;
  readonly retryable: boolean;
}

/** One `sandbox` event, as the page shows it. */
export interface SandboxView {
  readonly seq: number;
  readonly messageId: string | null;
  readonly state: SandboxEventState;
  /** docker, bubblewrap or host. */
  readonly runtime: string;
  /** 0..1 while starting; null when the runner gave none. */
  readonly progress: number | null;
  /** What is being done while starting (pool, create, start). */
  readonly step: string | null;
  /** How long it took to be ready. */
  readonly ms: number | null;
  readonly reason: SandboxFailure | null;
  readonly exitCode: number | null;
  /** The runner's sentence for the user. */
  readonly message: string | null;
}

export interface TurnResultView {
  readonly usage: Usage;
  readonly costUsd: number;
  readonly durationMs: number;
  readonly numTurns: number;
  readonly isError: boolean;
  readonly subtype: string;
}

export interface TurnView {
  /** Stable across optimistic → confirmed: use it as the render key. */
  readonly key: string;
  /** The server's id; null until the POST is answered. */
  readonly messageId: string | null;
  readonly clientMessageId: string | null;
  /** The user's words; null for a turn known only from its events (sent from another window). */
  readonly text: string | null;
  readonly createdAt: number | null;
  readonly state: TurnState;
  readonly items: readonly TurnItemView[];
  /** The last `turn.result` of the current attempt. */
  readonly result: TurnResultView | null;
  /** Errors of the current attempt (a retry starts a new attempt and clears them). */
  readonly errors: readonly TurnErrorView[];
  /** The sandbox failure that broke the current attempt (its cause; the errors say the rest). */
  readonly sandboxFailure: SandboxView | null;
  readonly canRetry: boolean;
}

export type ActivityKind = 'sending' | 'waiting' | StatusState;

/** What the status line says. */
export interface ActivityView {
  readonly kind: ActivityKind;
  /** The running tool's name when kind is 'tool'. */
  readonly tool?: string;
}

/** The latest draft Claude proposed in an agent-create session (`agent.proposal`). */
export interface ProposalView {
  readonly seq: number;
  readonly draft: AgentSpec;
  readonly steps: readonly string[];
  readonly scheduleText: ScheduleText;
  /** The next fire times, ms since the epoch; empty without an enabled schedule. */
  readonly nextRuns: readonly number[];
}

/** Claude saved the draft as an agent (`agent.saved`). */
export interface SavedAgentView {
  readonly seq: number;
  readonly agentId: string;
  readonly name: string;
}

/** A headless run ended (`run.ended`): the run page reads the run again. */
export interface RunEndedView {
  readonly seq: number;
  readonly runId: string;
  readonly status: RunStatus;
  readonly reason: string | null;
}

export interface ConversationView {
  readonly turns: readonly TurnView[];
  readonly activity: ActivityView;
  /** The latest error outside any turn, unless something happened since. */
  readonly sessionError: TurnErrorView | null;
  /**
   * The sandbox's latest state; null before any sandbox event, and when a start was reported but
   * the turn ended without saying how it went (the state is then unknown).
   */
  readonly sandbox: SandboxView | null;
  /** A sandbox failure outside any turn (it died while idle), until the sandbox starts again. */
  readonly sandboxFailure: SandboxView | null;
  /** The latest agent proposal; null before the first. */
  readonly proposal: ProposalView | null;
  /** The latest agent saved by Claude; null before any. */
  readonly saved: SavedAgentView | null;
  /** The run's end (a run's events only); null while it goes on. */
  readonly runEnded: RunEndedView | null;
  /** The highest seq applied; -1 before any. */
  readonly lastSeq: number;
}

export const emptyConversationView: ConversationView = {
  turns: [],
  activity: { kind: 'idle' },
  sessionError: null,
  sandbox: null,
  sandboxFailure: null,
  proposal: null,
  saved: null,
  runEnded: null,
  lastSeq: -1,
};

interface Chunk {
  seq: number;
  text: string;
}

interface BlockRecord {
  chunks: Chunk[];
  text: string;
}

interface AssistantRecord {
  kind: 'assistant';
  key: string;
  firstSeq: number;
  assistantId: string;
  blocks: Map<number, BlockRecord>;
  finalText: string | null;
  view: AssistantItemView | null;
}

interface ToolRecord {
  kind: 'tool';
  key: string;
  firstSeq: number;
  toolUseId: string;
  name: string;
  input: unknown;
  result: ToolResultView | null;
  view: ToolItemView | null;
}

type ItemRecord = AssistantRecord | ToolRecord;

interface TurnRecord {
  key: string;
  messageId: string | null;
  clientMessageId: string | null;
  text: string | null;
  createdAt: number | null;
  state: TurnState;
  /** Seq of the event that last changed `state`; older events cannot change it back. */
  stateSeq: number;
  /** Where the current attempt began: errors and results before it belong to an earlier attempt. */
  attemptSeq: number;
  items: ItemRecord[];
  itemsByKey: Map<string, ItemRecord>;
  result: TurnResultView | null;
  errors: TurnErrorView[];
  sandboxFailure: SandboxView | null;
  view: TurnView | null;
}

const isEnded = (state: TurnState): boolean => state === 'done' || state === 'failed';

/**
 * Events that mean the turn is being worked on (as opposed to its end, going idle after it, or the
 * sandbox stopping or dying: that may be reported after the turn's error, and must not reopen it).
 */
function isActivating(event: SessionEvent): boolean {
  switch (event.type) {
    case 'status':
      return event.state === 'starting' || event.state === 'thinking' || event.state === 'tool';
    case 'sandbox':
      return event.state === 'starting' || event.state === 'ready';
    case 'turn.result':
    case 'error':
    case 'run.ended':
    // Outcomes of a tool call, reported during the turn; they say nothing new about its state.
    case 'agent.proposal':
    case 'agent.saved':
      return false;
    default:
      return true;
  }
}

/** Events after which the runner is not starting anything for the turn any more. */
const isEnding = (event: SessionEvent): boolean =>
  event.type === 'turn.result' ||
  event.type === 'error' ||
  event.type === 'run.ended' ||
  (event.type === 'status' && (event.state === 'idle' || event.state === 'stopped'));

const stateFromMessage = (status: MessageStatus): TurnState => status;

export class Conversation {
  private sessionId: string | null = null;
  private turns: TurnRecord[] = [];
  private readonly byMessageId = new Map<string, TurnRecord>();
  private readonly byClientId = new Map<string, TurnRecord>();
  private readonly seen = new Set<number>();
  private maxSeq = -1;
  private lastStatus: { seq: number; state: StatusState; tool?: string } | null = null;
  private lastActivitySeq = -1;
  private latestSessionError: TurnErrorView | null = null;
  private lastSandbox: SandboxView | null = null;
  /** A failure outside any turn; shown while it is the latest sandbox event. */
  private sessionSandboxFailure: SandboxView | null = null;
  private lastEndSeq = -1;
  private proposal: ProposalView | null = null;
  private saved: SavedAgentView | null = null;
  private runEnded: RunEndedView | null = null;
  private cached: ConversationView = emptyConversationView;
  private dirty = false;

  /** The highest seq applied; -1 before any. Subscribe with it to get only newer events. */
  get lastSeq(): number {
    return this.maxSeq;
  }

  /**
   * Starts over from a restored session: its messages (in order) and its stored events.
   * Messages' stored status is kept where the events cannot know better (a retry queued).
   */
  restore(sessionId: string, messages: readonly Message[], events: readonly SessionEvent[]): void {
    this.reset(sessionId);
    for (const message of messages) this.upsertMessage(message);
    const sorted = [...events].sort((a, b) => a.seq - b.seq);
    for (const event of sorted) this.applyEvent(event);
    for (const message of messages) this.reconcileStatus(message);
    this.dirty = true;
  }

  /** Clears everything (for another session). */
  reset(sessionId: string | null): void {
    this.sessionId = sessionId;
    this.turns = [];
    this.byMessageId.clear();
    this.byClientId.clear();
    this.seen.clear();
    this.maxSeq = -1;
    this.lastStatus = null;
    this.lastActivitySeq = -1;
    this.latestSessionError = null;
    this.lastSandbox = null;
    this.sessionSandboxFailure = null;
    this.lastEndSeq = -1;
    this.proposal = null;
    this.saved = null;
    this.runEnded = null;
    this.cached = emptyConversationView;
    this.dirty = true;
  }

  /**
   * Merges messages fetched again (to learn the text of turns known only from events, or
   * messages sent from another window). Known turns only fill in what they lack.
   */
  mergeMessages(messages: readonly Message[]): void {
    for (const message of messages) this.upsertMessage(message);
  }

  /** Ids of turns known only from their events: fetch the session's messages to learn their text. */
  unknownMessageIds(): string[] {
    return this.turns.filter((t) => t.text === null && t.messageId !== null).map((t) => t.messageId as string);
  }

  /**
   * Applies one event. Returns false when it was not applied: another session's, or a seq already
   * seen (replays overlap what the page holds).
   */
  applyEvent(event: SessionEvent): boolean {
    if (this.sessionId !== null && event.sessionId !== this.sessionId) return false;
    if (this.seen.has(event.seq)) return false;
    this.seen.add(event.seq);
    this.maxSeq = Math.max(this.maxSeq, event.seq);
    this.dirty = true;

    if (event.type === 'status' && (!this.lastStatus || event.seq > this.lastStatus.seq)) {
      this.lastStatus = { seq: event.seq, state: event.state, ...(event.tool ? { tool: event.tool } : {}) };
    }
    if (isActivating(event)) this.lastActivitySeq = Math.max(this.lastActivitySeq, event.seq);
    if (isEnding(event)) this.lastEndSeq = Math.max(this.lastEndSeq, event.seq);
    const sandbox = event.type === 'sandbox' ? sandboxView(event) : null;
    if (sandbox && (!this.lastSandbox || sandbox.seq > this.lastSandbox.seq)) this.lastSandbox = sandbox;
    this.applySessionWide(event);

    // A run's end belongs to the run's turn even when it came without a messageId.
    const messageId = event.type === 'run.ended' ? (event.messageId ?? event.runId) : event.messageId;
    if (messageId === null) {
      if (event.type === 'error' && (!this.latestSessionError || event.seq > this.latestSessionError.seq)) {
        this.latestSessionError = errorView(event);
      }
      if (sandbox?.state === 'failed') {
        // Died during a turn but reported without it: the failure explains that turn's error.
        const running = this.turns.findLast((t) => t.state === 'running');
        if (running) {
          this.setSandboxFailure(running, sandbox);
          running.view = null;
        } else if (!this.sessionSandboxFailure || sandbox.seq > this.sessionSandboxFailure.seq) {
          this.sessionSandboxFailure = sandbox;
        }
      }
      return true;
    }

    const turn = this.turnForEvent(messageId);
    this.applyToTurn(turn, event);
    turn.view = null;
    return true;
  }

  /** Keeps the latest proposal, saved agent and run end, whichever turn (if any) they came in. */
  private applySessionWide(event: SessionEvent): void {
    switch (event.type) {
      case 'agent.proposal':
        if (this.proposal && this.proposal.seq > event.seq) return;
        this.proposal = {
          seq: event.seq,
          draft: event.draft,
          steps: event.steps,
          scheduleText: event.scheduleText,
          nextRuns: event.nextRuns,
        };
        return;
      case 'agent.saved':
        if (this.saved && this.saved.seq > event.seq) return;
        this.saved = { seq: event.seq, agentId: event.agentId, name: event.name };
        return;
      case 'run.ended':
        if (this.runEnded && this.runEnded.seq > event.seq) return;
        this.runEnded = { seq: event.seq, runId: event.runId, status: event.status, reason: event.reason };
        return;
      default:
        return;
    }
  }

  applyEvents(events: readonly SessionEvent[]): number {
    let applied = 0;
    for (const event of [...events].sort((a, b) => a.seq - b.seq)) if (this.applyEvent(event)) applied++;
    return applied;
  }

  /**
   * Shows the user's message at once, before the server answered. Returns false when a turn with
   * this clientMessageId exists already (sending the same words again).
   */
  addLocal(clientMessageId: string, text: string, createdAt: number): boolean {
    if (this.byClientId.has(clientMessageId)) return false;
    const turn = newTurn(`c:${clientMessageId}`, { clientMessageId, text, createdAt, state: 'sending' });
    this.turns.push(turn);
    this.byClientId.set(clientMessageId, turn);
    this.dirty = true;
    return true;
  }

  /** The server stored the message: link the optimistic turn to its id (and to events that came first). */
  confirmLocal(clientMessageId: string, messageId: string): void {
    const local = this.byClientId.get(clientMessageId);
    if (!local) return;
    const existing = this.byMessageId.get(messageId);
    if (existing && existing !== local) {
      if (existing.text !== null && existing.clientMessageId !== null) {
        // The message was known already (restored or merged): the optimistic copy is redundant.
        this.removeTurn(local);
        this.byClientId.set(clientMessageId, existing);
        return;
      }
      this.absorb(local, existing);
    }
    local.messageId = messageId;
    this.byMessageId.set(messageId, local);
    if (local.state === 'sending') local.state = 'pending';
    local.view = null;
    this.dirty = true;
  }

  /** The POST failed: the optimistic turn goes away (the page gives the text back to the composer). */
  removeLocal(clientMessageId: string): string | null {
    const turn = this.byClientId.get(clientMessageId);
    if (!turn || turn.messageId !== null) return null;
    this.removeTurn(turn);
    this.byClientId.delete(clientMessageId);
    return turn.text;
  }

  /** A retry was accepted: the turn waits again, its old errors and result are cleared. */
  markRetrying(messageId: string): void {
    const turn = this.byMessageId.get(messageId);
    // Not failed any more: the new attempt's events came before the retry's answer.
    if (turn?.state !== 'failed') return;
    turn.state = 'pending';
    turn.attemptSeq = this.maxSeq + 1;
    turn.errors = [];
    turn.result = null;
    turn.sandboxFailure = null;
    this.invalidateItems(turn);
    turn.view = null;
    this.dirty = true;
  }

  /** The view; rebuilt only for what changed since the last call. */
  view(): ConversationView {
    if (!this.dirty) return this.cached;
    const turns = this.turns.map((turn) => (turn.view ??= buildTurnView(turn)));
    const last = this.lastSandbox;
    // A start the turn ended without finishing (no ready, no failure): what became of it is unknown.
    const sandbox = last?.state === 'starting' && this.lastEndSeq > last.seq ? null : last;
    const failure = this.sessionSandboxFailure;
    const sandboxFailure = failure && failure === last ? failure : null;
    // The sandbox's failure explains an error outside any turn around it; one banner says it.
    const sessionError =
      this.latestSessionError && this.latestSessionError.seq > this.lastActivitySeq && !sandboxFailure
        ? this.latestSessionError
        : null;
    this.cached = {
      turns,
      activity: this.activity(),
      sessionError,
      sandbox,
      sandboxFailure,
      proposal: this.proposal,
      saved: this.saved,
      runEnded: this.runEnded,
      lastSeq: this.maxSeq,
    };
    this.dirty = false;
    return this.cached;
  }

  private activity(): ActivityView {
    const states = new Set(this.turns.map((t) => t.state));
    if (states.has('running')) {
      const status = this.lastStatus;
      if (status && (status.state === 'starting' || status.state === 'thinking' || status.state === 'tool')) {
        return status.state === 'tool' ? { kind: 'tool', tool: status.tool ?? '' } : { kind: status.state };
      }
      return { kind: 'thinking' };
    }
    if (states.has('sending')) return { kind: 'sending' };
    if (states.has('pending')) return { kind: 'waiting' };
    return { kind: this.lastStatus?.state === 'stopped' ? 'stopped' : 'idle' };
  }

  private upsertMessage(message: Message): void {
    if (this.sessionId !== null && message.sessionId !== this.sessionId) return;
    const byId = this.byMessageId.get(message.id);
    const local = this.byClientId.get(message.clientMessageId);
    if (byId) {
      if (local && local !== byId && local.messageId === null) {
        // Our own optimistic turn, whose POST has not answered yet: it keeps its place.
        this.absorb(local, byId);
        local.messageId = message.id;
        this.byMessageId.set(message.id, local);
        if (local.state === 'sending') local.state = stateFromMessage(message.status);
        local.view = null;
        this.dirty = true;
        return;
      }
      if (byId.text === null) {
        byId.text = message.text;
        byId.clientMessageId = message.clientMessageId;
        byId.createdAt = message.createdAt;
        this.byClientId.set(message.clientMessageId, byId);
        byId.view = null;
        this.dirty = true;
      }
      return;
    }
    if (local) {
      this.confirmLocal(message.clientMessageId, message.id);
      return;
    }
    const turn = newTurn(`m:${message.id}`, {
      messageId: message.id,
      clientMessageId: message.clientMessageId,
      text: message.text,
      createdAt: message.createdAt,
      state: stateFromMessage(message.status),
    });
    this.turns.push(turn);
    this.byMessageId.set(message.id, turn);
    this.byClientId.set(message.clientMessageId, turn);
    this.dirty = true;
  }

  /** After a restore: the stored status says what the events alone cannot. */
  private reconcileStatus(message: Message): void {
    const turn = this.byMessageId.get(message.id);
    if (!turn) return;
    const before = turn.state;
    if (message.status === 'pending' && isEnded(turn.state)) {
      // Retried, and the new attempt has not started: the old attempt's errors are history.
      turn.state = 'pending';
      turn.attemptSeq = this.maxSeq + 1;
      turn.errors = [];
      turn.result = null;
      turn.sandboxFailure = null;
    } else if (message.status === 'failed' && !isEnded(turn.state)) {
      // The runner gave up without an error event (it stopped, say).
      turn.state = 'failed';
    } else if (message.status === 'done' && turn.state === 'running') {
      turn.state = 'done';
    }
    if (turn.state !== before) {
      this.invalidateItems(turn);
      turn.view = null;
    }
  }

  private turnForEvent(messageId: string): TurnRecord {
    const known = this.byMessageId.get(messageId);
    if (known) return known;
    // Events before their message: our POST has not answered yet, or another window sent it.
    const turn = newTurn(`m:${messageId}`, { messageId, state: 'pending' });
    this.turns.push(turn);
    this.byMessageId.set(messageId, turn);
    return turn;
  }

  private applyToTurn(turn: TurnRecord, event: SessionEvent): void {
    this.applyState(turn, event);
    switch (event.type) {
      case 'status':
        return;
      case 'sandbox':
        if (event.state === 'failed' && event.seq >= turn.attemptSeq) this.setSandboxFailure(turn, sandboxView(event));
        return;
      case 'assistant.delta': {
        const item = this.assistantItem(turn, event.assistantId, event.seq);
        if (item.finalText !== null) return;
        let block = item.blocks.get(event.block);
        if (!block) {
          block = { chunks: [], text: '' };
          item.blocks.set(event.block, block);
        }
        insertChunk(block, { seq: event.seq, text: event.text });
        item.view = null;
        return;
      }
      case 'assistant.message': {
        if (!event.text && !turn.itemsByKey.has(`a:${event.assistantId}`)) return;
        const item = this.assistantItem(turn, event.assistantId, event.seq);
        item.finalText = event.text;
        item.blocks.clear();
        item.view = null;
        return;
      }
      case 'tool.use': {
        const item = this.toolItem(turn, event.toolUseId, event.seq);
        item.name = event.name;
        item.input = event.input;
        item.view = null;
        return;
      }
      case 'tool.result': {
        const item = this.toolItem(turn, event.toolUseId, event.seq);
        item.result = { output: event.output, isError: event.isError, truncated: event.truncated };
        item.view = null;
        return;
      }
      case 'turn.result':
        if (event.seq < turn.attemptSeq) return;
        turn.result = {
          usage: event.usage,
          costUsd: event.costUsd,
          durationMs: event.durationMs,
          numTurns: event.numTurns,
          isError: event.isError,
          subtype: event.subtype,
        };
        return;
      case 'error':
        if (event.seq < turn.attemptSeq) return;
        turn.errors = [...turn.errors, errorView(event)].sort((a, b) => a.seq - b.seq);
        return;
    }
  }

  private applyState(turn: TurnRecord, event: SessionEvent): void {
    // An older event replayed late: its content counts, its state is out of date.
    if (event.seq < turn.stateSeq) return;
    const before = turn.state;
    if (isActivating(event)) {
      if (isEnded(turn.state)) {
        // Activity after the end: a new attempt (a retry). The last attempt's outcome is history.
        turn.attemptSeq = event.seq;
        turn.errors = [];
        turn.result = null;
        turn.sandboxFailure = null;
      }
      turn.state = 'running';
      turn.stateSeq = event.seq;
    } else if (event.type === 'turn.result') {
      turn.state = event.isError ? 'failed' : 'done';
      turn.stateSeq = event.seq;
    } else if (event.type === 'error') {
      turn.state = 'failed';
      turn.stateSeq = event.seq;
    } else if (event.type === 'run.ended') {
      // Usually after the turn's result; alone when the run never started or its runner was lost.
      if (!isEnded(turn.state)) turn.state = event.status === 'succeeded' ? 'done' : 'failed';
      turn.stateSeq = event.seq;
    } else if (event.type === 'status' && turn.state === 'running') {
      // idle or stopped without a result: the turn is over.
      turn.state = 'done';
      turn.stateSeq = event.seq;
    }
    if ((turn.state === 'running') !== (before === 'running')) this.invalidateItems(turn);
  }

  /** The first failure of an attempt is its cause; what follows (the sandbox made again) is not. */
  private setSandboxFailure(turn: TurnRecord, failure: SandboxView): void {
    if (turn.sandboxFailure && turn.sandboxFailure.seq <= failure.seq) return;
    turn.sandboxFailure = failure;
  }

  private assistantItem(turn: TurnRecord, assistantId: string, seq: number): AssistantRecord {
    const key = `a:${assistantId}`;
    const found = turn.itemsByKey.get(key);
    if (found?.kind === 'assistant') return found;
    const item: AssistantRecord = {
      kind: 'assistant',
      key,
      firstSeq: seq,
      assistantId,
      blocks: new Map(),
      finalText: null,
      view: null,
    };
    insertItem(turn, item);
    return item;
  }

  private toolItem(turn: TurnRecord, toolUseId: string, seq: number): ToolRecord {
    const key = `t:${toolUseId}`;
    const found = turn.itemsByKey.get(key);
    if (found?.kind === 'tool') {
      if (seq < found.firstSeq) {
        // tool.use replayed after its result: move the card to where the call happened.
        found.firstSeq = seq;
        turn.items = turn.items.filter((i) => i !== found);
        insertItem(turn, found);
      }
      return found;
    }
    const item: ToolRecord = {
      kind: 'tool',
      key,
      firstSeq: seq,
      toolUseId,
      name: '',
      input: undefined,
      result: null,
      view: null,
    };
    insertItem(turn, item);
    return item;
  }

  /** Moves everything known about `from` (a turn known only from events) into `into`. */
  private absorb(into: TurnRecord, from: TurnRecord): void {
    for (const item of from.items) insertItem(into, item);
    into.errors = [...into.errors, ...from.errors].sort((a, b) => a.seq - b.seq);
    into.result = from.result ?? into.result;
    if (from.sandboxFailure) this.setSandboxFailure(into, from.sandboxFailure);
    if (from.stateSeq >= into.stateSeq && from.stateSeq >= 0) {
      into.state = from.state;
      into.stateSeq = from.stateSeq;
      into.attemptSeq = Math.max(into.attemptSeq, from.attemptSeq);
    }
    this.invalidateItems(into);
    this.removeTurn(from);
  }

  private removeTurn(turn: TurnRecord): void {
    this.turns = this.turns.filter((t) => t !== turn);
    if (turn.messageId !== null && this.byMessageId.get(turn.messageId) === turn) {
      this.byMessageId.delete(turn.messageId);
    }
    if (turn.clientMessageId !== null && this.byClientId.get(turn.clientMessageId) === turn) {
      this.byClientId.delete(turn.clientMessageId);
    }
    this.dirty = true;
  }

  /** Tool views depend on the turn's state (a spinner only while it runs). */
  private invalidateItems(turn: TurnRecord): void {
    for (const item of turn.items) if (item.kind === 'tool') item.view = null;
  }
}

function newTurn(
  key: string,
  init: Partial<Pick<TurnRecord, 'messageId' | 'clientMessageId' | 'text' | 'createdAt'>> & { state: TurnState },
): TurnRecord {
  return {
    key,
    messageId: init.messageId ?? null,
    clientMessageId: init.clientMessageId ?? null,
    text: init.text ?? null,
    createdAt: init.createdAt ?? null,
    state: init.state,
    stateSeq: -1,
    attemptSeq: -1,
    items: [],
    itemsByKey: new Map(),
    result: null,
    errors: [],
    sandboxFailure: null,
    view: null,
  };
}

/** Keeps items in the order they first appeared (by seq), even when replayed out of order. */
function insertItem(turn: TurnRecord, item: ItemRecord): void {
  let index = turn.items.length;
  while (index > 0 && (turn.items[index - 1] as ItemRecord).firstSeq > item.firstSeq) index--;
  turn.items.splice(index, 0, item);
  turn.itemsByKey.set(item.key, item);
}

/** Appends in the common case; re-joins only when a chunk arrives out of order. */
function insertChunk(block: BlockRecord, chunk: Chunk): void {
  const last = block.chunks.at(-1);
  if (!last || last.seq < chunk.seq) {
    block.chunks.push(chunk);
    block.text += chunk.text;
    return;
  }
  let index = block.chunks.length;
  while (index > 0 && (block.chunks[index - 1] as Chunk).seq > chunk.seq) index--;
  block.chunks.splice(index, 0, chunk);
  block.text = block.chunks.map((c) => c.text).join('');
}

const errorView = (event: Extract<SessionEvent, { type: 'error' }>): TurnErrorView => ({
  seq: event.seq,
  code: event.code,
  message: event.message,
  retryable: event.retryable,
});

const sandboxView = (event: Extract<SessionEvent, { type: 'sandbox' }>): SandboxView => ({
  seq: event.seq,
  messageId: event.messageId,
  state: event.state,
  runtime: event.runtime,
  progress: event.progress ?? null,
  step: event.step ?? null,
  ms: event.ms ?? null,
  reason: event.reason ?? null,
  exitCode: event.exitCode ?? null,
  message: event.message ?? null,
});

function buildTurnView(turn: TurnRecord): TurnView {
  const items: TurnItemView[] = [];
  for (const item of turn.items) {
    item.view ??= item.kind === 'assistant' ? assistantView(item) : toolView(item, turn.state);
    const view = item.view;
    // A message that held only tool calls has no text to show.
    if (view.kind === 'assistant' && view.text === '') continue;
    items.push(view);
  }
  return {
    key: turn.key,
    messageId: turn.messageId,
    clientMessageId: turn.clientMessageId,
    text: turn.text,
    createdAt: turn.createdAt,
    state: turn.state,
    items,
    result: turn.result,
    errors: turn.errors,
    sandboxFailure: turn.sandboxFailure,
    canRetry: turn.state === 'failed' && turn.messageId !== null,
  };
}

function assistantView(item: AssistantRecord): AssistantItemView {
  const text =
    item.finalText ??
    [...item.blocks.entries()]
      .sort(([a], [b]) => a - b)
      .map(([, block]) => block.text)
      .filter((t) => t !== '')
      .join('\n\n');
  return { kind: 'assistant', key: item.key, assistantId: item.assistantId, text, complete: item.finalText !== null };
}

function toolView(item: ToolRecord, turnState: TurnState): ToolItemView {
  let state: ToolState;
  if (item.result) state = item.result.isError ? 'error' : 'done';
  else state = turnState === 'running' ? 'running' : 'interrupted';
  return {
    kind: 'tool',
    key: item.key,
    toolUseId: item.toolUseId,
    name: item.name,
    input: item.input,
    result: item.result,
    state,
  };
}
