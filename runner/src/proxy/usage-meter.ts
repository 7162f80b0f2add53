import type { PricedUsage } from './pricing.js';

/** What one Messages response used, read from its `usage`. */
export interface MeteredUsage extends Required<PricedUsage> {
  /** The model that answered, as the response names it; null when the response never said. */
  model: string | null;
}

/** Reads a response's bytes as they pass and tells, at the end, what it used. */
export interface UsageMeter {
  feed(chunk: Buffer): void;
  /** Null when the response carried no usage (an error body, a stream cut before `message_start`). */
  result(): MeteredUsage | null;
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const count = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : undefined;

function emptyUsage(): MeteredUsage {
  return {
    model: null,
    inputTokens: 0,
    outputTokens: 0,
    cacheReadTokens: 0,
    cacheCreationTokens: 0,
    cacheCreation1hTokens: 0,
    webSearchRequests: 0,
  };
}

/**
 * Copies the fields a `usage` object has onto `into`. Fields that are absent keep their value: the
 * API's `message_delta` repeats usage cumulatively (so a later value replaces an earlier one, never
 * adds to it), but older API versions and some gateways send only `output_tokens` there.
 */
function applyUsage(into: MeteredUsage, usage: unknown): void {
  if (!isObject(usage)) return;
  const set = (key: keyof Omit<MeteredUsage, 'model'>, v: unknown) => {
    const n = count(v);
    if (n !== undefined) into[key] = n;
  };
  set('inputTokens', usage['input_tokens']);
  set('outputTokens', usage['output_tokens']);
  set('cacheReadTokens', usage['cache_read_input_tokens']);
  set('cacheCreationTokens', usage['cache_creation_input_tokens']);
  const creation = usage['cache_creation'];
  if (isObject(creation)) set('cacheCreation1hTokens', creation['ephemeral_1h_input_tokens']);
  const server = usage['server_tool_use'];
  if (isObject(server)) set('webSearchRequests', server['web_search_requests']);
}

/**
 * Meters a streamed (`text/event-stream`) Messages response: `message_start` carries the model and
 * the input side of usage, each `message_delta` the cumulative totals. Only those two events are
 * parsed; the rest are skipped by their `event:` line.
 */
export class SseUsageMeter implements UsageMeter {
  private readonly decoder = new TextDecoder();
  private buffer = '';
  private usage: MeteredUsage | null = null;
  private broken = false;

  /** @param maxEventChars An event longer than this stops metering (a stream that is not SSE after all). */
  constructor(private readonly maxEventChars = 8 * 1024 * 1024) {}

  feed(chunk: Buffer): void {
    if (this.broken) return;
    this.buffer += this.decoder.decode(chunk, { stream: true });
    for (;;) {
      const end = /\r?\n\r?\n|\r\r/.exec(this.buffer);
      if (!end) break;
      this.event(this.buffer.slice(0, end.index));
      this.buffer = this.buffer.slice(end.index + end[0].length);
    }
    if (this.buffer.length > this.maxEventChars) {
      this.broken = true;
      this.buffer = '';
    }
  }

  result(): MeteredUsage | null {
    // A last event without its blank line still counts: the stream's end terminates it.
    if (!this.broken && this.buffer.trim()) this.event(this.buffer);
    this.buffer = '';
    return this.usage ? { ...this.usage } : null;
  }

  private event(block: string): void {
    let name = '';
    const data: string[] = [];
    for (const line of block.split(/\r?\n|\r/)) {
      if (line.startsWith('event:')) name = line.slice(6).trim();
      else if (line.startsWith('data:')) data.push(line.slice(line.startsWith('data: ') ? 6 : 5));
    }
    // The event name is optional in SSE; without one, the JSON's own `type` decides.
    if (name && name !== 'message_start' && name !== 'message_delta') return;
    if (!name && !data.some((d) => d.includes('"message_'))) return;
    let json: unknown;
    try {
      json = JSON.parse(data.join('\n'));
    } catch {
      // Not an event we meter (a comment, a gateway's keep-alive): it passes through untouched.
      return;
    }
    if (!isObject(json)) return;
    if (json['type'] === 'message_start' && isObject(json['message'])) {
      const message = json['message'];
      this.usage = emptyUsage();
      if (typeof message['model'] === 'string') this.usage.model = message['model'];
      applyUsage(this.usage, message['usage']);
    } else if (json['type'] === 'message_delta') {
      this.usage ??= emptyUsage();
      applyUsage(this.usage, json['usage']);
    }
  }
}

/** Meters a non-streamed (`application/json`) Messages response from its top-level `usage` and `model`. */
export class JsonUsageMeter implements UsageMeter {
  private readonly chunks: Buffer[] = [];
  private size = 0;

  /** @param maxBytes A longer body is still forwarded whole, but not metered. */
  constructor(private readonly maxBytes = 16 * 1024 * 1024) {}

  feed(chunk: Buffer): void {
    this.size += chunk.length;
    if (this.size <= this.maxBytes) this.chunks.push(chunk);
  }

  result(): MeteredUsage | null {
    if (this.size > this.maxBytes || this.size === 0) return null;
    let json: unknown;
    try {
      json = JSON.parse(Buffer.concat(this.chunks).toString('utf8'));
    } catch {
      return null;
    }
    if (!isObject(json) || !isObject(json['usage'])) return null;
    const usage = emptyUsage();
    if (typeof json['model'] === 'string') usage.model = json['model'];
    applyUsage(usage, json['usage']);
    return usage;
  }
}
