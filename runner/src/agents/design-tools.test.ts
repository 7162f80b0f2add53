import { systemClock } from '@agent-platform/core/ports';
import { openSqliteStore, type SqliteStore } from '@agent-platform/core/store/sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../log.js';
import { EventLog } from '../sessions/event-log.js';
import { AgentDesigner, DEFAULT_RUN_LIMITS, formatRunTime, parseProposal, summarizeSchedule } from './design-tools.js';

const valid = {
  name: '주간 매출 보고서',
  description: 'Sums last week’s sales by region every Monday.',
  instructions: 'Run python3 /home/agent/workspace/weekly-sales/report.py and keep report.md next to it.',
  schedule: { cron: '0 8 * * 1', timeZone: 'Asia/Seoul' },
  steps: ['Read sales.csv', 'Sum by region', 'Write report.md'],
};

const problems = (input: unknown): string[] => {
  const r = parseProposal(input);
  if (r.ok) throw new Error('expected the proposal to be refused');
  return r.problems;
};

describe('parseProposal', () => {
  it('accepts a proposal and fills in what it may leave out', () => {
    const r = parseProposal({ ...valid, schedule: { cron: '  0  8 * *   1 ', timeZone: 'Asia/Seoul' } });
    expect(r).toEqual({
      ok: true,
      proposal: {
        spec: {
          name: valid.name,
          description: valid.description,
          instructions: valid.instructions,
          schedule: {
            cron: '0 8 * * 1',
            timeZone: 'Asia/Seoul',
            enabled: true,
            missedRunPolicy: 'skip',
            overlapPolicy: 'skip',
          },
          limits: DEFAULT_RUN_LIMITS,
          notifications: { webhookUrl: null, inApp: true },
        },
        steps: valid.steps,
      },
    });
  });

  it('keeps the limits, schedule options and notifications it is given', () => {
    const r = parseProposal({
      ...valid,
      schedule: { ...valid.schedule, enabled: false, missedRunPolicy: 'run-once' },
      limits: { maxUsd: 0.5 },
      notifications: { webhookUrl: 'https://example.com/hook', inApp: false },
    });
    expect(r.ok && r.proposal.spec).toMatchObject({
      schedule: { enabled: false, missedRunPolicy: 'run-once' },
      limits: { ...DEFAULT_RUN_LIMITS, maxUsd: 0.5 },
      notifications: { webhookUrl: 'https://example.com/hook', inApp: false },
    });
  });

  it('accepts no schedule (runs only when started by hand)', () => {
    const r = parseProposal({ ...valid, schedule: null });
    expect(r.ok && r.proposal.spec.schedule).toBeNull();
  });

  it('names a cron that is not 5 fields, and says how to write one', () => {
    const [p, ...rest] = problems({ ...valid, schedule: { cron: 'every monday', timeZone: 'Asia/Seoul' } });
    expect(rest).toEqual([]);
    expect(p).toMatch(/^schedule\.cron: /);
    expect(p).toContain('write 5 fields');
  });

  it('names an unknown time zone and suggests the right one', () => {
    const [p] = problems({ ...valid, schedule: { cron: '0 8 * * 1', timeZone: 'Seoul' } });
    expect(p).toMatch(/^schedule\.timeZone: /);
    expect(p).toContain('"Asia/Seoul"');
  });

  it('names each missing field with an example', () => {
    const ps = problems({ description: '', instructions: 'x', steps: ['a'] });
    expect(ps).toHaveLength(2);
    expect(ps[0]).toMatch(/^name is missing: give a short name/);
    expect(ps[1]).toMatch(/^schedule is missing: give \{"cron"/);
  });

  it('names limits out of range, bad steps, a bad webhook and unknown fields', () => {
    const ps = problems({
      ...valid,
      steps: ['ok', ' ', 'x'.repeat(201)],
      limits: { maxUsd: 500, maxTurns: 2.5 },
      notifications: { webhookUrl: 'ftp://example.com' },
      inputs: ['sales.csv'],
    });
    expect(ps).toEqual(
      expect.arrayContaining([
        'steps[1]: a step must not be empty',
        'steps[2]: each step must be at most 200 characters',
        'limits.maxUsd must be at most 100 USD',
        'limits.maxTurns must be a whole number',
        'notifications.webhookUrl must be an http or https URL',
        'inputs is not a field of this tool: leave it out',
      ]),
    );
    expect(ps).toHaveLength(6);
  });

  it('refuses empty steps, blank names and wrong types', () => {
    expect(problems({ ...valid, steps: [] })).toEqual(['steps must list at least one step']);
    expect(problems({ ...valid, name: '   ' })).toEqual(['name must not be empty']);
    expect(problems({ ...valid, steps: 'read, sum, write' })[0]).toMatch(/^steps must be a list of strings, such as/);
    expect(problems(null)).toHaveLength(1);
  });
});

describe('summarizeSchedule', () => {
  // Thursday 2026-01-01 00:00 UTC; Monday 08:00 in Seoul is Sunday 23:00 UTC.
  const now = Date.UTC(2026, 0, 1);
  const schedule = {
    cron: '0 8 * * 1',
    timeZone: 'Asia/Seoul',
    enabled: true,
    missedRunPolicy: 'skip',
    overlapPolicy: 'skip',
  } as const;

  it('says the schedule in English and Korean and gives the next three runs', () => {
    const s = summarizeSchedule(schedule, now);
    expect(s.scheduleText.en).toBe('every Monday at 08:00 (Asia/Seoul)');
    expect(s.scheduleText.ko).toContain('월요일');
    expect(s.nextRuns).toEqual([Date.UTC(2026, 0, 4, 23), Date.UTC(2026, 0, 11, 23), Date.UTC(2026, 0, 18, 23)]);
    expect(formatRunTime(s.nextRuns[0]!, 'Asia/Seoul')).toBe('Mon 2026-01-05 08:00');
  });

  it('gives no runs for a switched-off schedule or none', () => {
    expect(summarizeSchedule({ ...schedule, enabled: false }, now).nextRuns).toEqual([]);
    expect(summarizeSchedule(null, now)).toEqual({
      scheduleText: { en: 'only when started by hand', ko: '직접 실행할 때만' },
      nextRuns: [],
    });
  });
});

describe('AgentDesigner (a real SQLite store)', () => {
  let store: SqliteStore;
  let events: EventLog;
  const sessionId = 's1';
  const ownerId = 'u1';

  const designer = () =>
    new AgentDesigner({
      sessionId,
      ownerId,
      store,
      events,
      clock: systemClock,
      log: createLogger('error'),
      currentMessageId: () => 'm1',
    });
  const textOf = (r: { content: Array<{ type: string; text?: string }> }) => r.content.map((c) => c.text).join('');

  beforeEach(async () => {
    store = openSqliteStore({ file: ':memory:' });
    events = new EventLog(store, systemClock);
    await store.createSession({ id: sessionId, ownerId, title: 't', context: 'agent-create', now: Date.now() });
  });
  afterEach(async () => {
    await store.close();
  });

  it('refuses to save before a proposal', async () => {
    const r = await designer().save({});
    expect(r.isError).toBe(true);
    expect(textOf(r)).toContain('call propose_agent first');
    expect(await store.listAgents(ownerId)).toEqual([]);
  });

  it('proposes, saves once, and says so when asked to save again', async () => {
    const d = designer();
    const proposed = await d.propose(valid);
    expect(proposed.isError).toBeUndefined();
    expect(textOf(proposed)).toContain('every Monday at 08:00 (Asia/Seoul)');
    const saved = await d.save({});
    const [agent] = await store.listAgents(ownerId);
    expect(agent).toMatchObject({ name: valid.name, notifications: { webhookSecretLast4: null } });
    expect(textOf(saved)).toContain(agent!.id);
    const again = await d.save({});
    expect(textOf(again)).toContain('saved already');
    expect(await store.listAgents(ownerId)).toHaveLength(1);
    const types = (await store.listEvents(sessionId, -1)).map((e) => e.type);
    expect(types).toEqual(['agent.proposal', 'agent.saved']);
  });

  it('saves arguments given in full, with a webhook secret when there is a webhook', async () => {
    const r = await designer().save({ ...valid, notifications: { webhookUrl: 'https://example.com/hook' } });
    expect(r.isError).toBeUndefined();
    const [agent] = await store.listAgents(ownerId);
    expect(agent?.notifications.webhookSecretLast4).toMatch(/^[0-9a-f]{4}$/);
    expect(await store.getAgentWebhookSecret(ownerId, agent!.id)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('finds the last proposal in the stored events after the process changed', async () => {
    await designer().propose(valid);
    await designer().propose({ ...valid, name: 'Second design' });
    const r = await designer().save({});
    expect(r.isError).toBeUndefined();
    expect((await store.listAgents(ownerId)).map((a) => a.name)).toEqual(['Second design']);
    expect(textOf(await designer().save({}))).toContain('saved already');
  });
});
