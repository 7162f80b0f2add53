import { describe, expect, it } from 'vitest';
import { JsonUsageMeter, SseUsageMeter } from './usage-meter.js';

const sse = (events: Array<Record<string, unknown> & { type: string }>, eol = '\n') =>
  events.map((e) => `event: ${e.type}${eol}data: ${JSON.stringify(e)}${eol}${eol}`).join('');

const stream = sse([
  {
    type: 'message_start',
    message: {
      id: 'msg_1',
      model: 'claude-sonnet-4-5-20250929',
      usage: {
        input_tokens: 321,
        cache_read_input_tokens: 100,
        cache_creation_input_tokens: 7,
        cache_creation: { ephemeral_5m_input_tokens: 3, ephemeral_1h_input_tokens: 4 },
        output_tokens: 1,
      },
    },
  },
  { type: 'ping' },
  { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
  { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: '안녕하세요 "message_delta" 👋' } },
  { type: 'content_block_stop', index: 0 },
  { type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 12 } },
  { type: 'message_stop' },
]);

const expected = {
  model: 'claude-sonnet-4-5-20250929',
  inputTokens: 321,
  outputTokens: 12,
  cacheReadTokens: 100,
  cacheCreationTokens: 7,
  cacheCreation1hTokens: 4,
  webSearchRequests: 0,
};

describe('SseUsageMeter', () => {
  it('reads usage from message_start and message_delta', () => {
    const m = new SseUsageMeter();
    m.feed(Buffer.from(stream));
    expect(m.result()).toEqual(expected);
  });

  it('gets the same answer however the bytes are split, multi-byte characters included', () => {
    const bytes = Buffer.from(stream);
    for (let cut = 1; cut < bytes.length; cut += 7) {
      const m = new SseUsageMeter();
      m.feed(bytes.subarray(0, cut));
      m.feed(bytes.subarray(cut));
      expect(m.result()).toEqual(expected);
    }
    const byByte = new SseUsageMeter();
    for (let i = 0; i < bytes.length; i++) byByte.feed(bytes.subarray(i, i + 1));
    expect(byByte.result()).toEqual(expected);
  });

  it('accepts CRLF line ends and events without an event: line', () => {
    const crlf = new SseUsageMeter();
    crlf.feed(
      Buffer.from(sse([{ type: 'message_start', message: { model: 'm', usage: { input_tokens: 5 } } }], '\r\n')),
    );
    expect(crlf.result()).toMatchObject({ model: 'm', inputTokens: 5 });

    const bare = new SseUsageMeter();
    bare.feed(Buffer.from(`data: ${JSON.stringify({ type: 'message_delta', usage: { output_tokens: 9 } })}\n\n`));
    expect(bare.result()).toMatchObject({ outputTokens: 9 });
  });

  it('takes message_delta usage as cumulative: later values replace earlier ones', () => {
    const m = new SseUsageMeter();
    m.feed(
      Buffer.from(
        sse([
          { type: 'message_start', message: { model: 'm', usage: { input_tokens: 10, output_tokens: 1 } } },
          { type: 'message_delta', usage: { output_tokens: 5 } },
          {
            type: 'message_delta',
            usage: { input_tokens: 12, output_tokens: 8, server_tool_use: { web_search_requests: 2 } },
          },
        ]),
      ),
    );
    expect(m.result()).toMatchObject({ inputTokens: 12, outputTokens: 8, webSearchRequests: 2 });
  });

  it('counts a final event that lacks its blank line, and what a cut stream used so far', () => {
    const m = new SseUsageMeter();
    const start = sse([
      { type: 'message_start', message: { model: 'm', usage: { input_tokens: 40, output_tokens: 1 } } },
    ]);
    m.feed(Buffer.from(`${start}event: message_delta\ndata: {"type":"message_delta","usage":{"output_tokens":3}}`));
    expect(m.result()).toMatchObject({ inputTokens: 40, outputTokens: 3 });
  });

  it('has no usage for a stream that never started a message', () => {
    const m = new SseUsageMeter();
    m.feed(Buffer.from(sse([{ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }])));
    expect(m.result()).toBeNull();
  });

  it('ignores malformed data and unparsable numbers', () => {
    const m = new SseUsageMeter();
    m.feed(Buffer.from('event: message_start\ndata: {not json\n\n: a comment\n\n'));
    m.feed(Buffer.from(sse([{ type: 'message_start', message: { usage: { input_tokens: -3, output_tokens: 1.5 } } }])));
    expect(m.result()).toEqual({
      ...expected,
      model: null,
      inputTokens: 0,
      outputTokens: 0,
      cacheReadTokens: 0,
      cacheCreationTokens: 0,
      cacheCreation1hTokens: 0,
    });
  });

  it('stops metering (instead of growing without bound) on an endless event', () => {
    const m = new SseUsageMeter(100);
    m.feed(Buffer.from(`data: ${'x'.repeat(200)}`));
    m.feed(Buffer.from(sse([{ type: 'message_start', message: { usage: { input_tokens: 1 } } }])));
    expect(m.result()).toBeNull();
  });
});

describe('JsonUsageMeter', () => {
  const body = {
    id: 'msg_1',
    type: 'message',
    model: 'claude-haiku-4-5',
    content: [{ type: 'text', text: 'hi' }],
    usage: { input_tokens: 3, output_tokens: 4, cache_read_input_tokens: 5, cache_creation_input_tokens: 6 },
  };

  it('reads the usage of a whole response given in pieces', () => {
    const bytes = Buffer.from(JSON.stringify(body));
    const m = new JsonUsageMeter();
    m.feed(bytes.subarray(0, 10));
    m.feed(bytes.subarray(10));
    expect(m.result()).toEqual({
      model: 'claude-haiku-4-5',
      inputTokens: 3,
      outputTokens: 4,
      cacheReadTokens: 5,
      cacheCreationTokens: 6,
      cacheCreation1hTokens: 0,
      webSearchRequests: 0,
    });
  });

  it('has no usage for an error body, non-JSON, nothing, or a body over its limit', () => {
    const of = (text: string, max?: number) => {
      const m = new JsonUsageMeter(max);
      if (text) m.feed(Buffer.from(text));
      return m.result();
    };
    expect(of(JSON.stringify({ type: 'error', error: { type: 'api_error', message: 'x' } }))).toBeNull();
    expect(of('<html>')).toBeNull();
    expect(of('')).toBeNull();
    expect(of(JSON.stringify(body), 20)).toBeNull();
  });
});
