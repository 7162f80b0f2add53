import type { Agent } from '@agent-platform/core/protocol';
import { describe, expect, it } from 'vitest';
import { en } from '../i18n/en.js';
import { draftFromAgent, fieldErrorsFrom, patchFromDraft } from './agent-form-model.js';

const agent: Agent = {
  id: 'a1',
  ownerId: 'u1',
  name: 'Daily prices',
  description: 'Collects prices',
  instructions: 'Run prices.py',
  schedule: {
    cron: '0 9 * * *',
    timeZone: 'Asia/Seoul',
    enabled: true,
    missedRunPolicy: 'skip',
    overlapPolicy: 'skip',
  },
  limits: { timeoutMs: 600_000, maxTurns: 30, maxUsd: 1 },
  notifications: { webhookUrl: null, inApp: true, webhookSecretLast4: null },
  folder: '/home/agent/agents/a1',
  status: 'active',
  version: 1,
  createdAt: 0,
  updatedAt: 0,
};

describe('draftFromAgent / patchFromDraft', () => {
  it('shows the timeout in minutes and sends nothing when nothing changed', () => {
    const draft = draftFromAgent(agent, 'Europe/London');
    expect(draft.timeoutMinutes).toBe('10');
    expect(draft.timeZone).toBe('Asia/Seoul');
    expect(patchFromDraft(draft, agent, en)).toEqual({ ok: true, body: {} });
  });

  it('sends only what changed, schedule, limits and notifications whole', () => {
    const draft = {
      ...draftFromAgent(agent, 'UTC'),
      name: 'Prices',
      timeoutMinutes: '1.5',
      webhookUrl: ' https://x.test/h ',
    };
    expect(patchFromDraft(draft, agent, en)).toEqual({
      ok: true,
      body: {
        name: 'Prices',
        limits: { timeoutMs: 90_000, maxTurns: 30, maxUsd: 1 },
        notifications: { webhookUrl: 'https://x.test/h', inApp: true },
      },
    });
  });

  it('removes the schedule, or offers the local time zone for a new one', () => {
    expect(patchFromDraft({ ...draftFromAgent(agent, 'UTC'), hasSchedule: false }, agent, en)).toEqual({
      ok: true,
      body: { schedule: null },
    });
    const unscheduled = { ...agent, schedule: null };
    const draft = draftFromAgent(unscheduled, 'Europe/London');
    expect(draft).toMatchObject({ hasSchedule: false, cron: '0 9 * * *', timeZone: 'Europe/London' });
    const result = patchFromDraft({ ...draft, hasSchedule: true }, unscheduled, en);
    expect(result).toEqual({
      ok: true,
      body: {
        schedule: {
          cron: '0 9 * * *',
          timeZone: 'Europe/London',
          enabled: true,
          missedRunPolicy: 'skip',
          overlapPolicy: 'skip',
        },
      },
    });
  });

  it('names the fields that cannot be sent', () => {
    const draft = {
      ...draftFromAgent(agent, 'UTC'),
      name: ' ',
      maxTurns: '2.5',
      maxUsd: 'lots',
      timeoutMinutes: '0.01',
    };
    const result = patchFromDraft(draft, agent, en);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(Object.keys(result.errors).sort()).toEqual(['limits.maxTurns', 'limits.maxUsd', 'limits.timeoutMs', 'name']);
  });
});

describe('fieldErrorsFrom', () => {
  it('keys the server’s issues by field', () => {
    const error = {
      code: 'VALIDATION_FAILED',
      details: {
        issues: [
          { path: 'schedule.cron', message: 'write 5 fields' },
          { path: 'schedule.cron', message: 'second' },
          { path: 'limits.maxUsd', message: 'at most 100' },
          { nonsense: true },
        ],
      },
    };
    expect(fieldErrorsFrom(error)).toEqual({ 'schedule.cron': 'write 5 fields', 'limits.maxUsd': 'at most 100' });
  });

  it('has nothing for other errors', () => {
    expect(fieldErrorsFrom({ code: 'NETWORK_ERROR' })).toEqual({});
    expect(fieldErrorsFrom({ code: 'VALIDATION_FAILED', details: { issues: 'x' } })).toEqual({});
  });
});
