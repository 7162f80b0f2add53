import type { ActivityView, SandboxView } from '../controllers/conversation.js';
import type { Messages } from '../i18n/index.js';

/** The cause of a sandbox failure in plain words: the heading of its banner. */
export function sandboxFailureHeading(t: Messages['sandbox'], failure: SandboxView): string {
  switch (failure.reason) {
    case 'oom':
      return t.failed.oom;
    case 'exited':
      return t.failed.exited(failure.exitCode);
    case 'start_failed':
      return t.failed.start_failed;
    case 'image_missing':
      return t.failed.image_missing;
    case 'engine_unreachable':
      return t.failed.engine_unreachable;
    case null:
      return t.failed.other;
  }
}

/** The banner's text: the runner's sentence (what happened, what happens next), else ours. */
export const sandboxFailureMessage = (t: Messages['sandbox'], failure: SandboxView): string =>
  failure.message?.trim() || t.failedHint;

/** What the status line says about the sandbox, if anything. */
export type SandboxStatus =
  /** `progress` 0..1, or null when the runner gave none. */
  { kind: 'starting'; progress: number | null } | { kind: 'ready'; ms: number | null } | { kind: 'stopped' } | null;

/**
 * Only what helps the person waiting: the start with its progress, a short "ready" note after a
 * start they watched (`readyNoteOn`), and the pause after idling in place of the plain "Ready".
 * A failure has its own banner; everything else stays quiet.
 */
export function sandboxStatus(
  sandbox: SandboxView | null,
  activity: ActivityView,
  readyNoteOn: boolean,
): SandboxStatus {
  if (!sandbox) return null;
  switch (sandbox.state) {
    case 'starting':
      return {
        kind: 'starting',
        progress: sandbox.progress === null ? null : Math.min(1, Math.max(0, sandbox.progress)),
      };
    case 'ready':
      return readyNoteOn ? { kind: 'ready', ms: sandbox.ms } : null;
    case 'stopped':
      return activity.kind === 'idle' || activity.kind === 'stopped' ? { kind: 'stopped' } : null;
    case 'failed':
      return null;
  }
}
