import { describe, expect, it } from 'vitest';
import { Limits } from '../domain/index.js';
import { ClientFrame, CreateSessionBody, PostMessageBody, RunnerJob, ServerFrame, SessionEvent } from './index.js';

describe('PostMessageBody', () => {
  it('accepts a message and a client id', () => {
    expect(PostMessageBody.parse({ clientMessageId: 'abc-123_X', text: 'hello' })).toEqual({
      clientMessageId: 'abc-123_X',
      text: 'hello',
    });
  });

  it('names a missing field', () => {
    const r = PostMessageBody.safeParse({ text: 'hi' });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.path).toEqual(['clientMessageId']);
  });

  it('refuses blank text, odd client ids and unknown fields', () => {
    expect(PostMessageBody.safeParse({ clientMessageId: 'a', text: '   ' }).success).toBe(false);
    expect(PostMessageBody.safeParse({ clientMessageId: 'a b', text: 'x' }).success).toBe(false);
    expect(PostMessageBody.safeParse({ clientMessageId: 'a', text: 'x', extra: 1 }).success).toBe(false);
  });

  it('counts the limit in UTF-8 bytes and marks the issue as too large', () => {
    const hangul = '가'.repeat(Math.floor(Limits.messageTextBytes / 3) + 1); // 3 bytes each
    expect(hangul.length).toBeLessThan(Limits.messageTextBytes);
    const r = PostMessageBody.safeParse({ clientMessageId: 'a', text: hangul });
    expect(r.success).toBe(false);
    const issue = r.error?.issues[0] as { params?: { tooLarge?: boolean } } | undefined;
    expect(issue?.params?.tooLarge).toBe(true);
    expect(PostMessageBody.safeParse({ clientMessageId: 'a', text: 'a'.repeat(Limits.messageTextBytes) }).success).toBe(
      true,
    );
  });
});

describe('CreateSessionBody', () => {
  it('defaults the context to workspace', () => {
    expect(CreateSessionBody.parse({})).toEqual({ context: 'workspace' });
  });
  it('refuses an unknown context', () => {
    expect(CreateSessionBody.safeParse({ context: 'admin' }).success).toBe(false);
  });
});

describe('SessionEvent', () => {
  const base = { v: 1, sessionId: 's', seq: 3, messageId: 'm', at: 1 };
  it('round-trips every event type', () => {
    const events = [
      { ...base, type: 'status', state: 'tool', tool: 'Bash' },
      { ...base, type: 'assistant.delta', assistantId: 'a', block: 0, text: 'hi' },
      { ...base, type: 'assistant.message', assistantId: 'a', text: 'hi' },
      { ...base, type: 'tool.use', toolUseId: 't', name: 'Bash', input: { command: 'ls' } },
      { ...base, type: 'tool.result', toolUseId: 't', output: '42', isError: false, truncated: false },
      {
        ...base,
        type: 'turn.result',
        usage: { inputTokens: 1, outputTokens: 2, cacheReadTokens: 0, cacheCreationTokens: 0 },
        costUsd: 0.01,
        durationMs: 5,
        numTurns: 1,
        isError: false,
        subtype: 'success',
      },
      { ...base, type: 'error', code: 'MODEL_NOT_CONFIGURED', message: 'x', retryable: true },
    ];
    for (const e of events) expect(SessionEvent.parse(e)).toEqual(e);
  });
  it('refuses another version or a negative seq', () => {
    expect(SessionEvent.safeParse({ ...base, v: 2, type: 'status', state: 'idle' }).success).toBe(false);
    expect(SessionEvent.safeParse({ ...base, seq: -1, type: 'status', state: 'idle' }).success).toBe(false);
  });
});

describe('WebSocket frames', () => {
  it('parses client frames by type', () => {
    expect(ClientFrame.parse({ v: 1, type: 'subscribe', sessionId: 's', afterSeq: 4 })).toMatchObject({ afterSeq: 4 });
    expect(ClientFrame.safeParse({ v: 1, type: 'subscribe' }).success).toBe(false);
    expect(ClientFrame.safeParse({ v: 1, type: 'shout' }).success).toBe(false);
  });
  it('parses server frames', () => {
    expect(ServerFrame.parse({ v: 1, type: 'ready', userId: 'u' })).toEqual({ v: 1, type: 'ready', userId: 'u' });
  });
});

describe('RunnerJob', () => {
  it('parses a chat turn and refuses a malformed one', () => {
    const job = { v: 1, type: 'chat.turn', sessionId: 's', ownerId: 'o', messageId: 'm' };
    expect(RunnerJob.parse(job)).toEqual(job);
    expect(RunnerJob.safeParse({ ...job, messageId: 3 }).success).toBe(false);
  });
});
