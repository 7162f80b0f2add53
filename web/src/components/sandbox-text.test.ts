import { describe, expect, it } from 'vitest';
import type { SandboxView } from '../controllers/conversation.js';
import { en } from '../i18n/en.js';
import { formatPercent, formatSeconds } from '../i18n/format.js';
import { ko } from '../i18n/ko.js';
import { sandboxFailureHeading, sandboxFailureMessage, sandboxStatus } from './sandbox-text.js';

const view = (fields: Partial<SandboxView> & Pick<SandboxView, 'state'>): SandboxView => ({
  seq: 1,
  messageId: 'm1',
  runtime: 'docker',
  progress: null,
  step: null,
  ms: null,
  reason: null,
  exitCode: null,
  message: null,
  ...fields,
});

describe('sandboxFailureHeading', () => {
  it('says the reason in plain words', () => {
    const failed = (reason: SandboxView['reason'], exitCode: number | null = null) =>
      sandboxFailureHeading(en.sandbox, view({ state: 'failed', reason, exitCode }));
    expect(failed('oom')).toBe('Your workspace ran out of memory');
    expect(failed('exited', 137)).toBe('Your workspace stopped unexpectedly (exit code 137)');
    expect(failed('exited')).toBe('Your workspace stopped unexpectedly');
    expect(failed('image_missing')).toContain('the workspace image is not installed on the server');
    expect(failed('engine_unreachable')).toContain('cannot reach its container engine');
    expect(failed('start_failed')).toBe('Your workspace could not start');
    expect(failed(null)).toBe('Your workspace stopped working');
  });

  it('speaks Korean too', () => {
    expect(sandboxFailureHeading(ko.sandbox, view({ state: 'failed', reason: 'exited', exitCode: 1 }))).toBe(
      '작업 공간이 예기치 않게 멈췄습니다 (종료 코드 1)',
    );
  });
});

describe('sandboxFailureMessage', () => {
  it('uses the runner’s sentence, else says what happens next', () => {
    const message = 'Your workspace ran out of memory (1 GiB) and was stopped.';
    expect(sandboxFailureMessage(en.sandbox, view({ state: 'failed', message }))).toBe(message);
    expect(sandboxFailureMessage(en.sandbox, view({ state: 'failed', message: ' ' }))).toBe(en.sandbox.failedHint);
  });
});

describe('sandboxStatus', () => {
  const thinking = { kind: 'thinking' } as const;
  const idle = { kind: 'idle' } as const;

  it('shows a start with its progress (kept within 0..1), or without when unknown', () => {
    expect(sandboxStatus(view({ state: 'starting', progress: 0.4 }), thinking, false)).toEqual({
      kind: 'starting',
      progress: 0.4,
    });
    expect(sandboxStatus(view({ state: 'starting' }), thinking, false)).toEqual({ kind: 'starting', progress: null });
  });

  it('notes "ready" only while the note is on', () => {
    expect(sandboxStatus(view({ state: 'ready', ms: 400 }), thinking, true)).toEqual({ kind: 'ready', ms: 400 });
    expect(sandboxStatus(view({ state: 'ready', ms: 400 }), thinking, false)).toBeNull();
  });

  it('says the workspace is paused only when nothing else is going on', () => {
    expect(sandboxStatus(view({ state: 'stopped' }), idle, false)).toEqual({ kind: 'stopped' });
    expect(sandboxStatus(view({ state: 'stopped' }), { kind: 'stopped' }, false)).toEqual({ kind: 'stopped' });
    expect(sandboxStatus(view({ state: 'stopped' }), { kind: 'sending' }, false)).toBeNull();
  });

  it('leaves failures to their banner, and says nothing before any sandbox event', () => {
    expect(sandboxStatus(view({ state: 'failed', reason: 'oom' }), idle, true)).toBeNull();
    expect(sandboxStatus(null, thinking, true)).toBeNull();
  });
});

describe('formatSeconds and formatPercent', () => {
  it('formats short waits readably', () => {
    expect(formatSeconds('en', 400)).toBe('0.4');
    expect(formatSeconds('en', 12_345)).toBe('12.3');
    expect(formatSeconds('en', 30)).toBe('0.03');
    expect(formatSeconds('en', 1_000)).toBe('1.0');
    expect(formatSeconds('en', 75_000)).toBe('75');
    expect(en.sandbox.ready(formatSeconds('en', 400))).toBe('Workspace ready (0.4 s)');
    expect(ko.sandbox.ready(formatSeconds('ko', 400))).toBe('작업 공간 준비됨 (0.4초)');
    expect(formatPercent('en', 0.4)).toBe('40%');
    expect(formatPercent('ko', 0.4)).toBe('40%');
  });
});
