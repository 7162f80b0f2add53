import type { AgentSummary } from '@agent-platform/core/protocol';
import { describe, expect, it } from 'vitest';
import { en } from '../i18n/en.js';
import { ko } from '../i18n/ko.js';
import { noNextRunText, scheduleWords, totalMonthCostUsd } from './agent-text.js';

type Part = Pick<AgentSummary, 'agent' | 'scheduleText'>;

const summary = (schedule: { enabled: boolean } | null, status: 'active' | 'paused' = 'active'): Part =>
  ({
    agent: { status, schedule },
    scheduleText: schedule ? { en: 'every day at 09:00 (UTC)', ko: '매일 09:00 (UTC)' } : null,
  }) as unknown as Part;

describe('scheduleWords', () => {
  it('says the schedule in the page’s language', () => {
    expect(scheduleWords(en, 'en', summary({ enabled: true }))).toBe('every day at 09:00 (UTC)');
    expect(scheduleWords(ko, 'ko', summary({ enabled: true }))).toBe('매일 09:00 (UTC)');
  });

  it('says when an agent has no schedule, or its schedule is turned off', () => {
    expect(scheduleWords(en, 'en', summary(null))).toBe('Runs only when asked');
    expect(scheduleWords(en, 'en', summary({ enabled: false }))).toContain('every day at 09:00 (UTC)');
    expect(scheduleWords(en, 'en', summary({ enabled: false }))).not.toBe('every day at 09:00 (UTC)');
  });
});

describe('noNextRunText', () => {
  it('tells a paused agent from one without a schedule', () => {
    expect(noNextRunText(en, summary({ enabled: true }, 'paused'))).not.toBe(noNextRunText(en, summary(null)));
  });
});

describe('totalMonthCostUsd', () => {
  it('adds the agents’ month costs', () => {
    expect(totalMonthCostUsd([{ monthCostUsd: 0.5 }, { monthCostUsd: 0.25 }])).toBe(0.75);
    expect(totalMonthCostUsd([])).toBe(0);
  });
});
