import type { SandboxStateChange } from '@agent-platform/core/ports';
import type { SessionEventDraft } from '@agent-platform/core/protocol';

/**
 * A sandbox state change as a session event draft (a conversation's or a run's), or null for a
 * change the person has no use for (an incarnation removed).
 */
export function sandboxEventDraft(
  runtime: 'host' | 'bubblewrap' | 'docker',
  messageId: string | null,
  c: SandboxStateChange,
): SessionEventDraft | null {
  if (c.state === 'removed') return null;
  const base = { type: 'sandbox' as const, runtime, messageId };
  switch (c.state) {
    case 'starting':
      return { ...base, state: c.state, step: c.step, progress: c.progress };
    case 'ready':
      return { ...base, state: c.state, ms: c.ms, progress: 1 };
    case 'stopped':
      return { ...base, state: c.state };
    case 'failed':
      return {
        ...base,
        state: c.state,
        reason: c.reason,
        message: c.message,
        ...(c.exitCode !== undefined ? { exitCode: c.exitCode } : {}),
      };
  }
}
