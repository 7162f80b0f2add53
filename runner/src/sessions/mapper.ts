import { Limits } from '@agent-platform/core/domain';
import type { SessionEventDraft, Usage } from '@agent-platform/core/protocol';
import type { SDKMessage } from '@anthropic-ai/claude-agent-sdk';

/** What a turn's `result` message said, for the session manager. */
export interface TurnOutcome {
  isError: boolean;
  subtype: string;
  /** Claude Code's running total for this query() call (see `costOfTurn`). */
  totalCostUsd: number;
  /** Why the turn failed, in words: the SDK's errors, or the API error text Claude Code reported. */
  errors: string[];
  /** The HTTP status of the model API error that ended the turn, when one did (402: budget spent). */
  apiErrorStatus: number | null;
}

export interface Mapped {
  events: SessionEventDraft[];
  /** Claude's session id, from the init message. */
  claudeSessionId?: string;
  /** Present on the turn's result message. */
  outcome?: TurnOutcome;
}

/**
 * Turns Agent SDK messages into session events. Holds the little state streaming needs: the id of
 * the assistant message being streamed and the kind of each of its content blocks.
 */
export class EventMapper {
  private assistantId = '';
  private readonly blockKinds = new Map<number, string>();

  constructor(private readonly messageId: () => string | null) {}

  map(msg: SDKMessage): Mapped {
    const messageId = this.messageId();
    switch (msg.type) {
      case 'system':
        if (msg.subtype === 'init') return { events: [], claudeSessionId: msg.session_id };
        return { events: [] };

      case 'stream_event': {
        // Subagent streams (parent_tool_use_id set) are summarised by their tool card instead.
        if (msg.parent_tool_use_id) return { events: [] };
        const ev = msg.event;
        if (ev.type === 'message_start') {
          this.assistantId = ev.message.id;
          this.blockKinds.clear();
          return { events: [{ type: 'status', state: 'thinking', messageId }] };
        }
        if (ev.type === 'content_block_start') {
          this.blockKinds.set(ev.index, ev.content_block.type);
          if (ev.content_block.type === 'tool_use') {
            return { events: [{ type: 'status', state: 'tool', tool: ev.content_block.name, messageId }] };
          }
          return { events: [] };
        }
        if (ev.type === 'content_block_delta' && ev.delta.type === 'text_delta' && ev.delta.text) {
          return {
            events: [
              {
                type: 'assistant.delta',
                assistantId: this.assistantId,
                block: ev.index,
                text: ev.delta.text,
                messageId,
              },
            ],
          };
        }
        return { events: [] };
      }

      case 'assistant': {
        if (msg.parent_tool_use_id) return { events: [] };
        const events: SessionEventDraft[] = [];
        const text = msg.message.content
          .filter((b) => b.type === 'text')
          .map((b) => (b as { text: string }).text)
          .join('');
        if (text) events.push({ type: 'assistant.message', assistantId: msg.message.id, text, messageId });
        for (const block of msg.message.content) {
          if (block.type === 'tool_use') {
            events.push({ type: 'tool.use', toolUseId: block.id, name: block.name, input: block.input, messageId });
          }
        }
        return { events };
      }

      case 'user': {
        if (msg.parent_tool_use_id) return { events: [] };
        const content = msg.message.content;
        if (typeof content === 'string') return { events: [] };
        const events: SessionEventDraft[] = [];
        for (const block of content) {
          if (block.type !== 'tool_result') continue;
          const full = toolResultText(block.content);
          const truncated = full.length > Limits.toolOutputChars;
          events.push({
            type: 'tool.result',
            toolUseId: block.tool_use_id,
            output: truncated ? `${full.slice(0, Limits.toolOutputChars)}\n… (cut)` : full,
            isError: block.is_error === true,
            truncated,
            messageId,
          });
        }
        if (events.length > 0) events.push({ type: 'status', state: 'thinking', messageId });
        return { events };
      }

      case 'result': {
        const u = msg.usage;
        const usage: Usage = {
          inputTokens: u.input_tokens ?? 0,
          outputTokens: u.output_tokens ?? 0,
          cacheReadTokens: u.cache_read_input_tokens ?? 0,
          cacheCreationTokens: u.cache_creation_input_tokens ?? 0,
        };
        // An API error ends a turn as a "success" with is_error set; its text is in `result`.
        const errors = msg.subtype === 'success' ? (msg.is_error && msg.result ? [msg.result] : []) : msg.errors;
        const apiErrorStatus = msg.subtype === 'success' ? (msg.api_error_status ?? null) : null;
        return {
          // costUsd is filled in by the session, which knows the running total before this turn.
          events: [
            {
              type: 'turn.result',
              usage,
              costUsd: 0,
              durationMs: msg.duration_ms,
              numTurns: msg.num_turns,
              isError: msg.is_error,
              subtype: msg.subtype,
              messageId,
            },
          ],
          outcome: {
            isError: msg.is_error,
            subtype: msg.subtype,
            totalCostUsd: msg.total_cost_usd,
            errors,
            apiErrorStatus,
          },
        };
      }

      default:
        return { events: [] };
    }
  }
}

function toolResultText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((c: { type?: string; text?: string }) => (c.type === 'text' ? (c.text ?? '') : `[${c.type ?? 'content'}]`))
    .join('\n');
}

/**
 * Claude Code reports a running cost total per query() call; a resumed call may start from the total
 * its transcript saved. The turn's own cost is the growth over what this session already counted.
 */
export function costOfTurn(totalCostUsd: number, countedSoFarUsd: number): number {
  return totalCostUsd >= countedSoFarUsd ? totalCostUsd - countedSoFarUsd : totalCostUsd;
}
