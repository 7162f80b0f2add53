import { Limits } from '@agent-platform/core/domain';
import type { SDKMessage } from '@anthropic-ai/claude-agent-sdk';
import { describe, expect, it } from 'vitest';
import { costOfTurn, EventMapper } from './mapper.js';

// SDK messages are built as the CLI sends them; only the fields the mapper reads matter.
const sdk = (m: Record<string, unknown>): SDKMessage => m as unknown as SDKMessage;
const stream = (event: Record<string, unknown>) =>
  sdk({ type: 'stream_event', event, parent_tool_use_id: null, uuid: 'u', session_id: 's' });

describe('EventMapper', () => {
  const mapper = () => new EventMapper(() => 'm1');

  it('reads the Claude session id from the init message', () => {
    const out = mapper().map(sdk({ type: 'system', subtype: 'init', session_id: 'claude-1' }));
    expect(out).toEqual({ events: [], claudeSessionId: 'claude-1' });
  });

  it('streams text deltas keyed by assistant message and block', () => {
    const m = mapper();
    expect(m.map(stream({ type: 'message_start', message: { id: 'msg_1' } })).events).toEqual([
      { type: 'status', state: 'thinking', messageId: 'm1' },
    ]);
    m.map(stream({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }));
    const out = m.map(stream({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hel' } }));
    expect(out.events).toEqual([
      { type: 'assistant.delta', assistantId: 'msg_1', block: 0, text: 'Hel', messageId: 'm1' },
    ]);
  });

  it('says which tool is starting', () => {
    const m = mapper();
    m.map(stream({ type: 'message_start', message: { id: 'msg_2' } }));
    const out = m.map(
      stream({ type: 'content_block_start', index: 1, content_block: { type: 'tool_use', id: 't1', name: 'Bash' } }),
    );
    expect(out.events).toEqual([{ type: 'status', state: 'tool', tool: 'Bash', messageId: 'm1' }]);
  });

  it('maps a whole assistant message to its text and tool uses', () => {
    const out = mapper().map(
      sdk({
        type: 'assistant',
        parent_tool_use_id: null,
        message: {
          id: 'msg_3',
          content: [
            { type: 'text', text: 'Running ' },
            { type: 'text', text: 'it.' },
            { type: 'tool_use', id: 'tu_1', name: 'Bash', input: { command: 'ls' } },
          ],
        },
      }),
    );
    expect(out.events).toEqual([
      { type: 'assistant.message', assistantId: 'msg_3', text: 'Running it.', messageId: 'm1' },
      { type: 'tool.use', toolUseId: 'tu_1', name: 'Bash', input: { command: 'ls' }, messageId: 'm1' },
    ]);
  });

  it('maps tool results, keeps the error flag and cuts long output', () => {
    const long = 'x'.repeat(Limits.toolOutputChars + 10);
    const out = mapper().map(
      sdk({
        type: 'user',
        parent_tool_use_id: null,
        message: {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 'tu_1', content: [{ type: 'text', text: '42\n' }] },
            { type: 'tool_result', tool_use_id: 'tu_2', content: long, is_error: true },
          ],
        },
      }),
    );
    const [first, second] = out.events;
    expect(first).toEqual({
      type: 'tool.result',
      toolUseId: 'tu_1',
      output: '42\n',
      isError: false,
      truncated: false,
      messageId: 'm1',
    });
    expect(second).toMatchObject({ type: 'tool.result', toolUseId: 'tu_2', isError: true, truncated: true });
    expect((second as { output: string }).output.length).toBeLessThan(long.length);
    expect(out.events.at(-1)).toEqual({ type: 'status', state: 'thinking', messageId: 'm1' });
  });

  it('ignores subagent traffic (it is summarised by the tool card)', () => {
    const out = mapper().map(
      sdk({
        type: 'assistant',
        parent_tool_use_id: 'tu_9',
        message: { id: 'x', content: [{ type: 'text', text: 'hi' }] },
      }),
    );
    expect(out.events).toEqual([]);
  });

  it('maps the result to a turn.result with usage and an outcome', () => {
    const out = mapper().map(
      sdk({
        type: 'result',
        subtype: 'success',
        is_error: false,
        duration_ms: 1234,
        num_turns: 2,
        total_cost_usd: 0.5,
        usage: { input_tokens: 10, output_tokens: 20, cache_read_input_tokens: 3, cache_creation_input_tokens: 4 },
      }),
    );
    expect(out.events).toEqual([
      {
        type: 'turn.result',
        usage: { inputTokens: 10, outputTokens: 20, cacheReadTokens: 3, cacheCreationTokens: 4 },
        costUsd: 0,
        durationMs: 1234,
        numTurns: 2,
        isError: false,
        subtype: 'success',
        messageId: 'm1',
      },
    ]);
    expect(out.outcome).toEqual({
      isError: false,
      subtype: 'success',
      totalCostUsd: 0.5,
      errors: [],
      apiErrorStatus: null,
    });
  });

  it('carries the text and status of an API error that ended the turn', () => {
    const out = mapper().map(
      sdk({
        type: 'result',
        subtype: 'success',
        is_error: true,
        api_error_status: 402,
        result: 'API Error: 402 Your monthly budget is spent',
        duration_ms: 10,
        num_turns: 1,
        total_cost_usd: 0,
        usage: { input_tokens: 0, output_tokens: 0 },
      }),
    );
    expect(out.outcome).toMatchObject({
      isError: true,
      apiErrorStatus: 402,
      errors: ['API Error: 402 Your monthly budget is spent'],
    });
  });
});

describe('costOfTurn', () => {
  it('is the growth of the running total', () => {
    expect(costOfTurn(0.3, 0.1)).toBeCloseTo(0.2);
  });
  it('is the whole total when a resumed process restarted its count', () => {
    expect(costOfTurn(0.05, 0.3)).toBeCloseTo(0.05);
  });
});
