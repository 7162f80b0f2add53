import type { Message, SessionEvent, Usage } from '@agent-platform/core/protocol';
import { SessionEvent as SessionEventSchema } from '@agent-platform/core/protocol';
import { describe, expect, it } from 'vitest';
import { type AssistantItemView, Conversation, type ToolItemView, type TurnView } from './conversation.js';

const S = 'session-1';

type Draft<T extends SessionEvent['type']> = Omit<
  Extract<SessionEvent, { type: T }>,
  'v' | 'sessionId' | 'at' | 'type'
>;

/** Builds an event and checks it against the protocol schema, so the tests cannot drift from it. */
function ev<T extends SessionEvent['type']>(type: T, fields: Draft<T>): SessionEvent {
  return SessionEventSchema.parse({ v: 1, sessionId: S, at: 1_000 + fields.seq, type, ...fields });
}

const status = (
  seq: number,
  messageId: string | null,
  state: 'starting' | 'thinking' | 'tool' | 'idle' | 'stopped',
  tool?: string,
) => ev('status', { seq, messageId, state, ...(tool ? { tool } : {}) });
const delta = (seq: number, messageId: string, assistantId: string, text: string, block = 0) =>
  ev('assistant.delta', { seq, messageId, assistantId, block, text });
const full = (seq: number, messageId: string, assistantId: string, text: string) =>
  ev('assistant.message', { seq, messageId, assistantId, text });
const toolUse = (seq: number, messageId: string, toolUseId: string, name: string, input: unknown) =>
  ev('tool.use', { seq, messageId, toolUseId, name, input });
const toolResult = (seq: number, messageId: string, toolUseId: string, output: string, isError = false) =>
  ev('tool.result', { seq, messageId, toolUseId, output, isError, truncated: false });
const usage: Usage = { inputTokens: 10, outputTokens: 20, cacheReadTokens: 30, cacheCreationTokens: 40 };
const result = (seq: number, messageId: string, isError = false) =>
  ev('turn.result', {
    seq,
    messageId,
    usage,
    costUsd: 0.0123,
    durationMs: 4200,
    numTurns: 2,
    isError,
    subtype: isError ? 'error_during_execution' : 'success',
  });
const error = (seq: number, messageId: string | null, code = 'TURN_FAILED', retryable = true) =>
  ev('error', { seq, messageId, code, message: `failed: ${code}`, retryable });

const sandbox = (
  seq: number,
  messageId: string | null,
  state: 'starting' | 'ready' | 'stopped' | 'failed',
  fields: Partial<Omit<Draft<'sandbox'>, 'seq' | 'messageId' | 'state'>> = {},
) => ev('sandbox', { seq, messageId, state, runtime: 'docker', ...fields });
const oom = (seq: number, messageId: string | null) =>
  sandbox(seq, messageId, 'failed', {
    reason: 'oom',
    message: 'Your workspace ran out of memory (1 GiB) and was stopped.',
  });

function message(id: string, text: string, status: Message['status'] = 'done', createdAt = 1): Message {
  return { id, sessionId: S, ownerId: 'u1', clientMessageId: `c-${id}`, text, status, createdAt };
}

const turn = (c: Conversation, index: number): TurnView => {
  const t = c.view().turns[index];
  if (!t) throw new Error(`no turn ${index}`);
  return t;
};
const assistantTexts = (t: TurnView): string[] =>
  t.items.filter((i): i is AssistantItemView => i.kind === 'assistant').map((i) => i.text);
const tools = (t: TurnView): ToolItemView[] => t.items.filter((i): i is ToolItemView => i.kind === 'tool');

/** A complete turn: status, streamed text, a tool call, final text, result, idle. */
function completeTurn(messageId: string, from: number): SessionEvent[] {
  return [
    status(from, messageId, 'starting'),
    status(from + 1, messageId, 'thinking'),
    delta(from + 2, messageId, `${messageId}-a1`, 'Let me '),
    delta(from + 3, messageId, `${messageId}-a1`, 'check.'),
    full(from + 4, messageId, `${messageId}-a1`, 'Let me check.'),
    toolUse(from + 5, messageId, `${messageId}-t1`, 'Bash', { command: 'ls' }),
    status(from + 6, messageId, 'tool', 'Bash'),
    toolResult(from + 7, messageId, `${messageId}-t1`, 'a.csv\n'),
    delta(from + 8, messageId, `${messageId}-a2`, 'Found a.csv'),
    full(from + 9, messageId, `${messageId}-a2`, 'Found **a.csv**.'),
    result(from + 10, messageId),
    status(from + 11, messageId, 'idle'),
  ];
}

describe('Conversation: restore', () => {
  it('groups events into turns by messageId, in the order of the messages', () => {
    const c = new Conversation();
    c.restore(
      S,
      [message('m1', 'first', 'done', 1), message('m2', 'second', 'done', 2)],
      [...completeTurn('m1', 0), ...completeTurn('m2', 12)],
    );
    const view = c.view();
    expect(view.turns.map((t) => t.text)).toEqual(['first', 'second']);
    expect(view.turns.map((t) => t.state)).toEqual(['done', 'done']);
    const first = turn(c, 0);
    expect(first.items.map((i) => i.kind)).toEqual(['assistant', 'tool', 'assistant']);
    expect(assistantTexts(first)).toEqual(['Let me check.', 'Found **a.csv**.']);
    expect(tools(first)[0]).toMatchObject({ name: 'Bash', input: { command: 'ls' }, state: 'done' });
    expect(tools(first)[0]?.result).toEqual({ output: 'a.csv\n', isError: false, truncated: false });
    expect(first.result).toMatchObject({ usage, costUsd: 0.0123, durationMs: 4200 });
    expect(view.activity).toEqual({ kind: 'idle' });
    expect(view.lastSeq).toBe(23);
    expect(c.lastSeq).toBe(23);
  });

  it('applies restored events in seq order whatever order they come in', () => {
    const c = new Conversation();
    const events = completeTurn('m1', 0).reverse();
    c.restore(S, [message('m1', 'hi')], events);
    expect(assistantTexts(turn(c, 0))).toEqual(['Let me check.', 'Found **a.csv**.']);
    expect(turn(c, 0).state).toBe('done');
  });

  it('keeps a retried message pending when its last stored attempt failed', () => {
    const c = new Conversation();
    c.restore(S, [message('m1', 'hi', 'pending')], [status(0, 'm1', 'starting'), error(1, 'm1')]);
    const t = turn(c, 0);
    expect(t.state).toBe('pending');
    expect(t.errors).toEqual([]);
    expect(t.canRetry).toBe(false);
    expect(c.view().activity).toEqual({ kind: 'waiting' });
  });

  it('marks a turn failed when the message failed without an error event', () => {
    const c = new Conversation();
    c.restore(S, [message('m1', 'hi', 'failed')], [status(0, 'm1', 'thinking'), delta(1, 'm1', 'a', 'par')]);
    expect(turn(c, 0).state).toBe('failed');
    expect(turn(c, 0).canRetry).toBe(true);
  });

  it('shows a message with no events in its stored status', () => {
    const c = new Conversation();
    c.restore(S, [message('m1', 'hi', 'pending')], []);
    expect(turn(c, 0)).toMatchObject({ state: 'pending', items: [], text: 'hi', messageId: 'm1' });
    expect(c.lastSeq).toBe(-1);
  });

  it('starts over on a second restore', () => {
    const c = new Conversation();
    c.restore(S, [message('m1', 'one')], completeTurn('m1', 0));
    c.restore(S, [message('m1', 'one')], completeTurn('m1', 0));
    expect(c.view().turns).toHaveLength(1);
    expect(assistantTexts(turn(c, 0))).toEqual(['Let me check.', 'Found **a.csv**.']);
  });
});

describe('Conversation: de-duplication by seq', () => {
  it('ignores events already seen (a replay after the restore)', () => {
    const c = new Conversation();
    const events = completeTurn('m1', 0);
    c.restore(S, [message('m1', 'hi')], events.slice(0, 4));
    const before = c.view();
    // The socket replays from an older seq: the first four are known.
    const applied = c.applyEvents(events);
    expect(applied).toBe(events.length - 4);
    expect(assistantTexts(turn(c, 0))).toEqual(['Let me check.', 'Found **a.csv**.']);
    expect(c.view()).not.toBe(before);
    // A second full replay changes nothing, not even identities.
    const after = c.view();
    expect(c.applyEvents(events)).toBe(0);
    expect(c.view()).toBe(after);
  });

  it('never doubles streamed text when a delta is delivered twice', () => {
    const c = new Conversation();
    c.restore(S, [message('m1', 'hi', 'running')], []);
    expect(c.applyEvent(delta(0, 'm1', 'a', 'Hel'))).toBe(true);
    expect(c.applyEvent(delta(0, 'm1', 'a', 'Hel'))).toBe(false);
    c.applyEvent(delta(1, 'm1', 'a', 'lo'));
    c.applyEvent(delta(1, 'm1', 'a', 'lo'));
    expect(assistantTexts(turn(c, 0))).toEqual(['Hello']);
  });

  it('ignores another session’s events', () => {
    const c = new Conversation();
    c.restore(S, [message('m1', 'hi')], []);
    const foreign = SessionEventSchema.parse({ ...delta(5, 'm1', 'a', 'x'), sessionId: 'other' });
    expect(c.applyEvent(foreign)).toBe(false);
    expect(c.lastSeq).toBe(-1);
  });
});

describe('Conversation: streaming', () => {
  it('accumulates deltas per assistant message and per block', () => {
    const c = new Conversation();
    c.restore(S, [message('m1', 'hi', 'pending')], []);
    c.applyEvent(status(0, 'm1', 'thinking'));
    c.applyEvent(delta(1, 'm1', 'a1', 'Block zero', 0));
    c.applyEvent(delta(2, 'm1', 'a1', 'Block one', 1));
    c.applyEvent(delta(3, 'm1', 'a1', ', more', 0));
    const t = turn(c, 0);
    expect(t.state).toBe('running');
    expect(assistantTexts(t)).toEqual(['Block zero, more\n\nBlock one']);
    expect((t.items[0] as AssistantItemView).complete).toBe(false);
  });

  it('orders deltas by seq when they arrive out of order', () => {
    const c = new Conversation();
    c.restore(S, [message('m1', 'hi', 'running')], []);
    c.applyEvent(delta(1, 'm1', 'a', 'A'));
    c.applyEvent(delta(3, 'm1', 'a', 'C'));
    c.applyEvent(delta(2, 'm1', 'a', 'B'));
    expect(assistantTexts(turn(c, 0))).toEqual(['ABC']);
  });

  it('replaces the streamed text with assistant.message and ignores later deltas of it', () => {
    const c = new Conversation();
    c.restore(S, [message('m1', 'hi', 'running')], []);
    c.applyEvent(delta(1, 'm1', 'a', 'Draft tex'));
    c.applyEvent(full(2, 'm1', 'a', 'Final text.'));
    c.applyEvent(delta(3, 'm1', 'a', ' stray'));
    const item = turn(c, 0).items[0] as AssistantItemView;
    expect(item).toMatchObject({ text: 'Final text.', complete: true });
  });

  it('keeps each assistant message its own item, in order of appearance', () => {
    const c = new Conversation();
    c.restore(S, [message('m1', 'hi', 'running')], []);
    c.applyEvent(delta(1, 'm1', 'a1', 'one'));
    c.applyEvent(toolUse(2, 'm1', 't1', 'Read', { file_path: '/x' }));
    c.applyEvent(delta(3, 'm1', 'a2', 'two'));
    expect(turn(c, 0).items.map((i) => i.key)).toEqual(['a:a1', 't:t1', 'a:a2']);
  });

  it('hides an assistant message that had no text (tool calls only)', () => {
    const c = new Conversation();
    c.restore(S, [message('m1', 'hi', 'running')], []);
    c.applyEvent(full(1, 'm1', 'a1', ''));
    c.applyEvent(toolUse(2, 'm1', 't1', 'Bash', { command: 'pwd' }));
    expect(turn(c, 0).items.map((i) => i.kind)).toEqual(['tool']);
  });

  it('re-creates only the views that changed (the streaming message, its turn)', () => {
    const c = new Conversation();
    c.restore(
      S,
      [message('m1', 'one'), message('m2', 'two', 'running')],
      [
        ...completeTurn('m1', 0),
        delta(12, 'm2', 'b1', 'Earlier'),
        toolUse(13, 'm2', 't9', 'Bash', { command: 'ls' }),
        delta(14, 'm2', 'b2', 'Str'),
      ],
    );
    const before = c.view();
    c.applyEvent(delta(15, 'm2', 'b2', 'eaming'));
    const after = c.view();
    expect(after.turns[0]).toBe(before.turns[0]);
    expect(after.turns[1]).not.toBe(before.turns[1]);
    const [b1, t9, b2] = turn(c, 1).items;
    expect(b1).toBe(before.turns[1]?.items[0]);
    expect(t9).toBe(before.turns[1]?.items[1]);
    expect(b2).not.toBe(before.turns[1]?.items[2]);
    expect((b2 as AssistantItemView).text).toBe('Streaming');
    // Nothing new: the same view object.
    expect(c.view()).toBe(after);
  });
});

describe('Conversation: tools', () => {
  it('shows a tool running until its result, then done or error', () => {
    const c = new Conversation();
    c.restore(S, [message('m1', 'hi', 'pending')], []);
    c.applyEvent(toolUse(0, 'm1', 't1', 'Bash', { command: 'python a.py' }));
    c.applyEvent(toolUse(1, 'm1', 't2', 'Bash', { command: 'false' }));
    expect(tools(turn(c, 0)).map((t) => t.state)).toEqual(['running', 'running']);
    c.applyEvent(toolResult(2, 'm1', 't1', 'ok'));
    c.applyEvent(toolResult(3, 'm1', 't2', 'exit 1', true));
    expect(tools(turn(c, 0)).map((t) => t.state)).toEqual(['done', 'error']);
  });

  it('stops the spinner of a tool without result when the turn ends', () => {
    const c = new Conversation();
    c.restore(S, [message('m1', 'hi', 'pending')], []);
    c.applyEvent(toolUse(0, 'm1', 't1', 'Bash', { command: 'sleep 100' }));
    c.applyEvent(error(1, 'm1', 'CLAUDE_PROCESS_FAILED'));
    expect(tools(turn(c, 0))[0]?.state).toBe('interrupted');
  });

  it('places a tool card where its call happened even if the result came first', () => {
    const c = new Conversation();
    c.restore(S, [message('m1', 'hi', 'running')], []);
    c.applyEvent(delta(1, 'm1', 'a1', 'before'));
    c.applyEvent(toolResult(4, 'm1', 't1', 'out'));
    c.applyEvent(delta(3, 'm1', 'a2', 'after'));
    c.applyEvent(toolUse(2, 'm1', 't1', 'Grep', { pattern: 'x' }));
    expect(turn(c, 0).items.map((i) => i.key)).toEqual(['a:a1', 't:t1', 'a:a2']);
    expect(tools(turn(c, 0))[0]).toMatchObject({ name: 'Grep', state: 'done' });
  });
});

describe('Conversation: status and activity', () => {
  it('follows status events for the status line', () => {
    const c = new Conversation();
    c.restore(S, [message('m1', 'hi', 'pending')], []);
    expect(c.view().activity).toEqual({ kind: 'waiting' });
    c.applyEvent(status(0, 'm1', 'starting'));
    expect(c.view().activity).toEqual({ kind: 'starting' });
    c.applyEvent(status(1, 'm1', 'thinking'));
    expect(c.view().activity).toEqual({ kind: 'thinking' });
    c.applyEvent(status(2, 'm1', 'tool', 'Bash'));
    expect(c.view().activity).toEqual({ kind: 'tool', tool: 'Bash' });
    c.applyEvent(result(3, 'm1'));
    c.applyEvent(status(4, 'm1', 'idle'));
    expect(c.view().activity).toEqual({ kind: 'idle' });
    c.applyEvent(status(5, null, 'stopped'));
    expect(c.view().activity).toEqual({ kind: 'stopped' });
    expect(turn(c, 0).state).toBe('done');
  });

  it('ends a running turn on idle even without a result', () => {
    const c = new Conversation();
    c.restore(S, [message('m1', 'hi', 'pending')], []);
    c.applyEvent(status(0, 'm1', 'thinking'));
    c.applyEvent(status(1, 'm1', 'idle'));
    expect(turn(c, 0).state).toBe('done');
  });

  it('does not let a late, older status undo a newer state', () => {
    const c = new Conversation();
    c.restore(S, [message('m1', 'hi', 'pending')], []);
    c.applyEvent(result(5, 'm1'));
    c.applyEvent(status(3, 'm1', 'thinking'));
    expect(turn(c, 0).state).toBe('done');
  });
});

describe('Conversation: sending (optimistic)', () => {
  it('shows the message at once, then confirms it under the same key', () => {
    const c = new Conversation();
    c.restore(S, [], []);
    expect(c.addLocal('cm1', 'Make a chart', 100)).toBe(true);
    expect(turn(c, 0)).toMatchObject({ key: 'c:cm1', text: 'Make a chart', state: 'sending', messageId: null });
    expect(c.view().activity).toEqual({ kind: 'sending' });
    c.confirmLocal('cm1', 'm1');
    expect(turn(c, 0)).toMatchObject({ key: 'c:cm1', state: 'pending', messageId: 'm1' });
    c.applyEvent(status(0, 'm1', 'thinking'));
    c.applyEvent(delta(1, 'm1', 'a', 'Sure'));
    expect(c.view().turns).toHaveLength(1);
    expect(turn(c, 0)).toMatchObject({ key: 'c:cm1', state: 'running' });
    expect(assistantTexts(turn(c, 0))).toEqual(['Sure']);
  });

  it('merges events that arrived before the POST answered into the optimistic turn', () => {
    const c = new Conversation();
    c.restore(S, [message('m0', 'earlier')], completeTurn('m0', 0));
    c.addLocal('cm1', 'Next', 100);
    c.applyEvent(status(12, 'm1', 'thinking'));
    c.applyEvent(delta(13, 'm1', 'a', 'Early'));
    expect(c.view().turns).toHaveLength(3);
    expect(c.unknownMessageIds()).toEqual(['m1']);
    c.confirmLocal('cm1', 'm1');
    const view = c.view();
    expect(view.turns.map((t) => t.key)).toEqual(['m:m0', 'c:cm1']);
    expect(turn(c, 1)).toMatchObject({ text: 'Next', state: 'running', messageId: 'm1' });
    expect(assistantTexts(turn(c, 1))).toEqual(['Early']);
    expect(c.unknownMessageIds()).toEqual([]);
    c.applyEvent(delta(14, 'm1', 'a', ' bird'));
    expect(assistantTexts(turn(c, 1))).toEqual(['Early bird']);
  });

  it('gives the text back when the POST fails', () => {
    const c = new Conversation();
    c.restore(S, [], []);
    c.addLocal('cm1', 'Keep me', 1);
    expect(c.removeLocal('cm1')).toBe('Keep me');
    expect(c.view().turns).toEqual([]);
    expect(c.view().activity).toEqual({ kind: 'idle' });
    // Sending again with the same id works.
    expect(c.addLocal('cm1', 'Keep me', 2)).toBe(true);
  });

  it('does not add a second turn for a clientMessageId already shown', () => {
    const c = new Conversation();
    c.restore(S, [message('m1', 'hi')], []);
    expect(c.addLocal('c-m1', 'hi', 5)).toBe(false);
    expect(c.view().turns).toHaveLength(1);
  });

  it('drops the optimistic copy when the server says the message was known', () => {
    const c = new Conversation();
    c.restore(S, [], []);
    c.addLocal('cm1', 'hi', 5);
    c.mergeMessages([{ ...message('m1', 'hi', 'pending'), clientMessageId: 'cm1' }]);
    c.confirmLocal('cm1', 'm1');
    expect(c.view().turns).toHaveLength(1);
    expect(turn(c, 0)).toMatchObject({ messageId: 'm1', text: 'hi' });
  });
});

describe('Conversation: errors and retry', () => {
  it('fails the turn on an error event and offers a retry', () => {
    const c = new Conversation();
    c.restore(S, [message('m1', 'hi', 'pending')], []);
    c.applyEvent(status(0, 'm1', 'starting'));
    c.applyEvent(error(1, 'm1', 'MODEL_NOT_CONFIGURED', false));
    const t = turn(c, 0);
    expect(t.state).toBe('failed');
    expect(t.canRetry).toBe(true);
    expect(t.errors).toEqual([
      { seq: 1, code: 'MODEL_NOT_CONFIGURED', message: 'failed: MODEL_NOT_CONFIGURED', retryable: false },
    ]);
  });

  it('fails the turn on an error result', () => {
    const c = new Conversation();
    c.restore(S, [message('m1', 'hi', 'pending')], []);
    c.applyEvent(result(0, 'm1', true));
    expect(turn(c, 0)).toMatchObject({ state: 'failed', canRetry: true });
    expect(turn(c, 0).result?.isError).toBe(true);
  });

  it('starts a new attempt on retry: errors cleared, then running, then done', () => {
    const c = new Conversation();
    c.restore(S, [message('m1', 'hi', 'failed')], [status(0, 'm1', 'starting'), error(1, 'm1')]);
    expect(turn(c, 0).errors).toHaveLength(1);
    c.markRetrying('m1');
    expect(turn(c, 0)).toMatchObject({ state: 'pending', errors: [], canRetry: false });
    c.applyEvent(status(2, 'm1', 'thinking'));
    expect(turn(c, 0).state).toBe('running');
    c.applyEvent(result(3, 'm1'));
    expect(turn(c, 0)).toMatchObject({ state: 'done', errors: [] });
  });

  it('treats activity after a failure (a retry from another window) as a new attempt', () => {
    const c = new Conversation();
    c.restore(S, [message('m1', 'hi', 'failed')], [error(0, 'm1')]);
    c.applyEvent(status(1, 'm1', 'starting'));
    expect(turn(c, 0)).toMatchObject({ state: 'running', errors: [] });
  });

  it('shows an error outside any turn until something happens after it', () => {
    const c = new Conversation();
    c.restore(S, [message('m1', 'hi', 'pending')], []);
    c.applyEvent(error(0, null, 'CLAUDE_PROCESS_FAILED', true));
    expect(c.view().sessionError).toMatchObject({ code: 'CLAUDE_PROCESS_FAILED' });
    c.applyEvent(status(1, 'm1', 'starting'));
    expect(c.view().sessionError).toBeNull();
  });
});

describe('Conversation: messages from elsewhere', () => {
  it('learns the text of a turn known only from its events', () => {
    const c = new Conversation();
    c.restore(S, [], []);
    c.applyEvent(status(0, 'm9', 'thinking'));
    expect(turn(c, 0)).toMatchObject({ text: null, key: 'm:m9', state: 'running' });
    expect(c.unknownMessageIds()).toEqual(['m9']);
    c.mergeMessages([message('m9', 'from the phone', 'running')]);
    expect(turn(c, 0)).toMatchObject({ text: 'from the phone', key: 'm:m9', state: 'running' });
    expect(c.unknownMessageIds()).toEqual([]);
  });

  it('appends messages it did not know, once', () => {
    const c = new Conversation();
    c.restore(S, [message('m1', 'one')], []);
    c.mergeMessages([message('m1', 'one'), message('m2', 'two', 'pending')]);
    c.mergeMessages([message('m1', 'one'), message('m2', 'two', 'pending')]);
    expect(c.view().turns.map((t) => t.text)).toEqual(['one', 'two']);
  });
});

describe('Conversation: retry racing its own events', () => {
  it('keeps the new attempt running when its events beat the retry answer', () => {
    const c = new Conversation();
    c.restore(S, [message('m1', 'hi', 'failed')], [error(0, 'm1')]);
    c.applyEvent(status(1, 'm1', 'thinking'));
    c.markRetrying('m1');
    expect(turn(c, 0).state).toBe('running');
  });
});

describe('Conversation: sandbox', () => {
  it('follows the sandbox from starting (with progress) to ready, and the turn runs meanwhile', () => {
    const c = new Conversation();
    c.restore(S, [message('m1', 'hi', 'pending')], []);
    expect(c.view().sandbox).toBeNull();
    c.applyEvent(sandbox(0, 'm1', 'starting', { step: 'create', progress: 0.1 }));
    expect(c.view().sandbox).toMatchObject({ state: 'starting', progress: 0.1, step: 'create', runtime: 'docker' });
    expect(turn(c, 0).state).toBe('running');
    c.applyEvent(sandbox(1, 'm1', 'starting', { step: 'start', progress: 0.4 }));
    expect(c.view().sandbox).toMatchObject({ state: 'starting', progress: 0.4 });
    c.applyEvent(sandbox(2, 'm1', 'ready', { ms: 420 }));
    expect(c.view().sandbox).toMatchObject({ state: 'ready', ms: 420, progress: null, message: null });
    c.applyEvents(completeTurn('m1', 3));
    expect(turn(c, 0)).toMatchObject({ state: 'done', sandboxFailure: null });
    expect(c.view().sandbox?.state).toBe('ready');
  });

  it('keeps the latest state when events come out of order', () => {
    const c = new Conversation();
    c.restore(S, [message('m1', 'hi', 'pending')], []);
    c.applyEvent(sandbox(2, 'm1', 'ready', { ms: 30 }));
    c.applyEvent(sandbox(1, 'm1', 'starting', { progress: 0.5 }));
    expect(c.view().sandbox).toMatchObject({ seq: 2, state: 'ready' });
  });

  it('shows an idle stop without touching the turns or hiding a session error', () => {
    const c = new Conversation();
    c.restore(S, [message('m1', 'hi')], completeTurn('m1', 0));
    c.applyEvent(error(12, null, 'CLAUDE_PROCESS_FAILED'));
    c.applyEvent(sandbox(13, null, 'stopped', { message: 'Stopped after 15 minutes idle.' }));
    const view = c.view();
    expect(view.sandbox).toMatchObject({ state: 'stopped', message: 'Stopped after 15 minutes idle.' });
    expect(view.sessionError).toMatchObject({ code: 'CLAUDE_PROCESS_FAILED' });
    expect(view.sandboxFailure).toBeNull();
    expect(turn(c, 0).state).toBe('done');
  });

  it('gives a turn its sandbox failure, with the error that follows it, and a retry clears both', () => {
    const c = new Conversation();
    c.restore(S, [message('m1', 'hi', 'pending')], []);
    c.applyEvent(sandbox(0, 'm1', 'starting', { progress: 0 }));
    c.applyEvent(sandbox(1, 'm1', 'failed', { reason: 'image_missing', message: 'No image.' }));
    // The failure alone does not end the turn: its error does.
    expect(turn(c, 0).state).toBe('running');
    c.applyEvent(error(2, 'm1', 'SANDBOX_UNAVAILABLE'));
    const t = turn(c, 0);
    expect(t).toMatchObject({ state: 'failed', canRetry: true });
    expect(t.sandboxFailure).toMatchObject({ seq: 1, reason: 'image_missing', message: 'No image.' });
    expect(t.errors.map((e) => e.code)).toEqual(['SANDBOX_UNAVAILABLE']);
    expect(c.view().sandbox?.state).toBe('failed');
    // Shown in the turn, not a second time below the conversation.
    expect(c.view().sandboxFailure).toBeNull();

    c.markRetrying('m1');
    expect(turn(c, 0)).toMatchObject({ state: 'pending', errors: [], sandboxFailure: null });
    c.applyEvent(sandbox(3, 'm1', 'starting', { progress: 0.2 }));
    c.applyEvent(sandbox(4, 'm1', 'ready', { ms: 900 }));
    expect(turn(c, 0)).toMatchObject({ state: 'running', sandboxFailure: null });
  });

  it('does not reopen a failed turn when the failure is reported after its error', () => {
    const c = new Conversation();
    c.restore(S, [message('m1', 'hi', 'pending')], []);
    c.applyEvent(status(0, 'm1', 'thinking'));
    c.applyEvent(error(1, 'm1', 'CLAUDE_PROCESS_FAILED'));
    c.applyEvent(sandbox(2, 'm1', 'failed', { reason: 'exited', exitCode: 137 }));
    const t = turn(c, 0);
    expect(t).toMatchObject({ state: 'failed', canRetry: true });
    expect(t.errors).toHaveLength(1);
    expect(t.sandboxFailure).toMatchObject({ reason: 'exited', exitCode: 137 });
  });

  it('attaches a failure reported without a turn to the turn that was running', () => {
    const c = new Conversation();
    c.restore(S, [message('m1', 'hi', 'pending')], []);
    c.applyEvent(status(0, 'm1', 'tool', 'Bash'));
    c.applyEvent(oom(1, null));
    c.applyEvent(error(2, 'm1', 'CLAUDE_PROCESS_FAILED'));
    expect(turn(c, 0).sandboxFailure).toMatchObject({ reason: 'oom' });
    expect(c.view().sandboxFailure).toBeNull();
  });

  it('shows a failure outside any turn until the sandbox starts again', () => {
    const c = new Conversation();
    c.restore(S, [message('m1', 'hi')], completeTurn('m1', 0));
    c.applyEvent(oom(12, null));
    c.applyEvent(error(13, null, 'CLAUDE_PROCESS_FAILED'));
    expect(c.view().sandboxFailure).toMatchObject({ seq: 12, reason: 'oom' });
    // Its consequence is not said twice.
    expect(c.view().sessionError).toBeNull();
    expect(turn(c, 0)).toMatchObject({ state: 'done', sandboxFailure: null });
    c.addLocal('cm2', 'again', 5);
    c.confirmLocal('cm2', 'm2');
    c.applyEvent(sandbox(14, 'm2', 'starting', { progress: 0 }));
    expect(c.view().sandboxFailure).toBeNull();
    expect(c.view().sandbox?.state).toBe('starting');
  });

  it('restores the same state from stored events, whatever order they are given in', () => {
    const events = [
      sandbox(0, 'm1', 'starting', { progress: 0 }),
      sandbox(1, 'm1', 'ready', { ms: 400 }),
      ...completeTurn('m1', 2),
      oom(14, null),
    ];
    const c = new Conversation();
    c.restore(S, [message('m1', 'hi')], [...events].reverse());
    expect(c.view().sandbox).toMatchObject({ seq: 14, state: 'failed' });
    expect(c.view().sandboxFailure).toMatchObject({ seq: 14 });
    expect(turn(c, 0).sandboxFailure).toBeNull();
  });

  it('forgets a start that the turn ended without finishing (the state is unknown)', () => {
    const c = new Conversation();
    c.restore(S, [message('m1', 'hi', 'pending')], []);
    c.applyEvent(sandbox(0, 'm1', 'starting', { progress: 0.3 }));
    c.applyEvent(error(1, 'm1', 'SANDBOX_UNAVAILABLE'));
    expect(c.view().sandbox).toBeNull();
    expect(turn(c, 0).state).toBe('failed');
  });

  it('keeps the view of a turn the sandbox events did not change', () => {
    const c = new Conversation();
    c.restore(S, [message('m0', 'before'), message('m1', 'hi', 'pending')], completeTurn('m0', 0));
    const before = turn(c, 0);
    c.applyEvent(sandbox(12, 'm1', 'starting', { progress: 0.5 }));
    expect(turn(c, 0)).toBe(before);
  });
});

describe('Conversation: agent proposals, saved agents and run ends', () => {
  const spec = (name: string) => ({
    name,
    description: 'Collects prices every morning.',
    instructions: 'Fetch the prices and write prices.csv.',
    schedule: {
      cron: '0 8 * * 1',
      timeZone: 'Asia/Seoul',
      enabled: true,
      missedRunPolicy: 'skip' as const,
      overlapPolicy: 'skip' as const,
    },
    limits: { timeoutMs: 600_000, maxTurns: 30, maxUsd: 1 },
    notifications: { webhookUrl: null, inApp: true },
  });
  const proposal = (seq: number, messageId: string | null, name: string) =>
    ev('agent.proposal', {
      seq,
      messageId,
      draft: spec(name),
      steps: ['Open the page', 'Write prices.csv'],
      scheduleText: { en: 'every Monday at 08:00 (Asia/Seoul)', ko: '매주 월요일 08:00 (Asia/Seoul)' },
      nextRuns: [1_700_000_000_000, 1_700_604_800_000],
    });
  const saved = (seq: number, messageId: string | null, agentId: string, name: string) =>
    ev('agent.saved', { seq, messageId, agentId, name });
  const ended = (
    seq: number,
    messageId: string | null,
    runId: string,
    runStatus: 'succeeded' | 'failed' | 'cancelled',
  ) =>
    ev('run.ended', { seq, messageId, runId, status: runStatus, reason: runStatus === 'succeeded' ? null : 'TIMEOUT' });

  it('has no proposal, saved agent or run end before any', () => {
    const c = new Conversation();
    c.restore(S, [message('m1', 'hi')], completeTurn('m1', 0));
    expect(c.view()).toMatchObject({ proposal: null, saved: null, runEnded: null });
  });

  it('keeps the latest proposal, live and restored, whatever order they come in', () => {
    const c = new Conversation();
    c.restore(
      S,
      [message('m1', 'make an agent', 'running')],
      [status(0, 'm1', 'thinking'), proposal(1, 'm1', 'First')],
    );
    expect(c.view().proposal).toMatchObject({
      seq: 1,
      draft: { name: 'First' },
      steps: ['Open the page', 'Write prices.csv'],
      scheduleText: { ko: '매주 월요일 08:00 (Asia/Seoul)' },
      nextRuns: [1_700_000_000_000, 1_700_604_800_000],
    });
    c.applyEvent(proposal(3, 'm1', 'Third'));
    c.applyEvent(proposal(2, 'm1', 'Second (late replay)'));
    expect(c.view().proposal?.draft.name).toBe('Third');
    // A replay of what is known changes nothing.
    expect(c.applyEvent(proposal(3, 'm1', 'Third'))).toBe(false);
  });

  it('does not let a proposal or a save reopen or change the turn', () => {
    const c = new Conversation();
    c.restore(S, [message('m1', 'hi')], completeTurn('m1', 0));
    const before = turn(c, 0);
    c.applyEvent(proposal(12, 'm1', 'Late'));
    c.applyEvent(saved(13, 'm1', 'late-agent', 'Late'));
    expect(turn(c, 0).state).toBe('done');
    expect(turn(c, 0).items).toEqual(before.items);
    expect(c.view().activity).toEqual({ kind: 'idle' });
  });

  it('keeps the latest saved agent, with or without a turn', () => {
    const c = new Conversation();
    c.restore(S, [], []);
    c.applyEvent(saved(4, null, 'prices', 'Prices'));
    expect(c.view().saved).toEqual({ seq: 4, agentId: 'prices', name: 'Prices' });
    c.applyEvent(saved(2, null, 'older', 'Older'));
    expect(c.view().saved?.agentId).toBe('prices');
    expect(c.view().turns).toEqual([]);
  });

  it('forgets them on reset (another session)', () => {
    const c = new Conversation();
    c.restore(S, [], [proposal(0, null, 'A'), saved(1, null, 'a', 'A')]);
    c.reset('session-2');
    expect(c.view()).toMatchObject({ proposal: null, saved: null, runEnded: null });
  });

  it('ends a run’s turn with run.ended after its result, keeping the result', () => {
    const c = new Conversation();
    c.reset(S);
    c.applyEvents([...completeTurn('run-1', 0), ended(12, 'run-1', 'run-1', 'succeeded')]);
    expect(c.view().turns).toHaveLength(1);
    expect(turn(c, 0)).toMatchObject({ messageId: 'run-1', text: null, state: 'done' });
    expect(turn(c, 0).result?.costUsd).toBe(0.0123);
    expect(c.view().runEnded).toEqual({ seq: 12, runId: 'run-1', status: 'succeeded', reason: null });
  });

  it('ends a run that stopped mid-turn (no result), so nothing shows as still running', () => {
    const c = new Conversation();
    c.reset(S);
    c.applyEvents([
      status(0, 'run-1', 'thinking'),
      toolUse(1, 'run-1', 't1', 'Bash', { command: 'sleep 999' }),
      status(2, 'run-1', 'tool', 'Bash'),
    ]);
    expect(c.view().activity).toEqual({ kind: 'tool', tool: 'Bash' });
    expect(tools(turn(c, 0))[0]?.state).toBe('running');
    c.applyEvent(ended(3, 'run-1', 'run-1', 'cancelled'));
    expect(turn(c, 0).state).toBe('failed');
    expect(tools(turn(c, 0))[0]?.state).toBe('interrupted');
    expect(c.view().activity).toEqual({ kind: 'idle' });
    expect(c.view().runEnded).toMatchObject({ status: 'cancelled', reason: 'TIMEOUT' });
  });

  it('puts a run.ended without a messageId on the run’s turn', () => {
    const c = new Conversation();
    c.reset(S);
    c.applyEvents([status(0, 'run-1', 'thinking'), ended(1, null, 'run-1', 'failed')]);
    expect(c.view().turns).toHaveLength(1);
    expect(turn(c, 0).state).toBe('failed');
  });

  it('does not let a late-replayed activity event reopen an ended run', () => {
    const c = new Conversation();
    c.reset(S);
    c.applyEvent(ended(5, 'run-1', 'run-1', 'failed'));
    c.applyEvent(status(1, 'run-1', 'thinking'));
    expect(turn(c, 0).state).toBe('failed');
  });
});
