import { describe, expect, it } from 'vitest';
import { en } from '../i18n/en.js';
import { ko } from '../i18n/ko.js';
import { isActiveRun, runDurationMs, runInfraNote, runReasonText } from './run-status-text.js';

describe('runReasonText', () => {
  it('says the platform’s reasons in plain words, in each language', () => {
    expect(runReasonText(en, 'OVERLAP')).toBe('Skipped: the previous run was still running');
    expect(runReasonText(ko, 'OVERLAP')).toBe('건너뜀: 이전 실행이 아직 진행 중이었습니다');
    for (const code of [
      'RUNNER_LOST',
      'TIMEOUT',
      'BUDGET_EXCEEDED',
      'MAX_TURNS',
      'SANDBOX_UNAVAILABLE',
      'CLAUDE_PROCESS_FAILED',
      'MODEL_NOT_CONFIGURED',
      'CANCELLED',
      'AGENT_DELETED',
    ]) {
      expect(runReasonText(en, code)).not.toBe(code);
      expect(runReasonText(ko, code)).not.toBe(code);
    }
  });

  it('passes an error’s own text through, and has nothing to say without a reason', () => {
    expect(runReasonText(en, 'python: No such file')).toBe('python: No such file');
    expect(runReasonText(en, null)).toBeNull();
    expect(runReasonText(en, '  ')).toBeNull();
  });
});

describe('runInfraNote', () => {
  it('says a platform failure is tried again while attempts are left, and only for such failures', () => {
    const failed = (reason: string | null, attempt: number) => ({ status: 'failed' as const, reason, attempt });
    expect(runInfraNote(en, failed('SANDBOX_UNAVAILABLE', 1))).toBe(en.runs.infraRetried);
    expect(runInfraNote(ko, failed('RUNNER_LOST', 1))).toBe(ko.runs.infraRetried);
    expect(runInfraNote(en, failed('CLAUDE_PROCESS_FAILED', 99))).toBe(en.runs.infraNote);
    expect(runInfraNote(en, failed('TIMEOUT', 1))).toBeNull();
    expect(runInfraNote(en, failed('python: No such file', 1))).toBeNull();
    expect(runInfraNote(en, failed(null, 1))).toBeNull();
    expect(runInfraNote(en, { status: 'timed_out', reason: 'RUNNER_LOST', attempt: 1 })).toBeNull();
  });
});

describe('isActiveRun', () => {
  it('is true until the run ends', () => {
    expect(isActiveRun('queued')).toBe(true);
    expect(isActiveRun('running')).toBe(true);
    expect(isActiveRun('succeeded')).toBe(false);
    expect(isActiveRun('skipped')).toBe(false);
  });
});

describe('runDurationMs', () => {
  it('uses the stored duration, or the time so far while running', () => {
    expect(runDurationMs({ startedAt: 1000, durationMs: 500 }, 9000)).toBe(500);
    expect(runDurationMs({ startedAt: 1000, durationMs: null }, 4000)).toBe(3000);
    expect(runDurationMs({ startedAt: null, durationMs: null }, 4000)).toBeNull();
  });
});
