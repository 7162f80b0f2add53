import type { ScheduledAgent, ScheduledRun } from '@agent-platform/core/ports';
import { type ScheduleSpec } from '@agent-platform/core/schedule';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalScheduler } from './local.js';
import { ManualTime } from './manual-time.js';

const at = (iso: string): number => Date.parse(iso);
const iso = (ms: number): string => new Date(ms).toISOString();

interface Fired extends ScheduledRun {
  /** The clock when the scheduler fired it. */
  firedAt: number;
}

function setup(startIso: string, options: { missedAfterMs?: number } = {}) {
  const time = new ManualTime(at(startIso));
  const fired: Fired[] = [];
  const errors: { error: unknown; agentId: string }[] = [];
  let fail = false;
  const scheduler = new LocalScheduler({
    clock: time,
    timers: time,
    ...options,
    onRun: async (run) => {
      fired.push({ ...run, firedAt: time.now() });
      if (fail) throw new Error('the run could not start');
    },
    onRunError: (error, agentId) => errors.push({ error, agentId }),
  });
  open.push(scheduler);
  return {
    time,
    fired,
    errors,
    scheduler,
    failRuns: (v: boolean) => {
      fail = v;
    },
  };
}

const open: LocalScheduler[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

function agent(
  schedule: Partial<ScheduleSpec> & { cron: string; timeZone: string },
  extra: Partial<ScheduledAgent> = {},
) {
  return {
    agentId: 'a1',
    ownerId: 'u1',
    schedule: { enabled: true, missedRunPolicy: 'skip', overlapPolicy: 'skip', ...schedule } as ScheduleSpec,
    ...extra,
  } satisfies ScheduledAgent;
}

describe('LocalScheduler on a controllable clock', () => {
  it('fires at 09:00 New York time on both sides of the spring-forward change, when that time comes', async () => {
    const { time, fired, scheduler } = setup('2025-03-07T12:00:00Z');
    await scheduler.upsert(agent({ cron: '0 9 * * *', timeZone: 'America/New_York' }));
    await time.advanceTo(at('2025-03-11T00:00:00Z'));

    // 09:00 EST is 14:00Z; from 9 March, 09:00 EDT is 13:00Z.
    expect(fired.map((f) => iso(f.scheduledFor))).toEqual([
      '2025-03-07T14:00:00.000Z',
      '2025-03-08T14:00:00.000Z',
      '2025-03-09T13:00:00.000Z',
      '2025-03-10T13:00:00.000Z',
    ]);
    for (const f of fired) {
      expect(f).toMatchObject({ agentId: 'a1', ownerId: 'u1', missed: false });
      expect(f.firedAt).toBe(f.scheduledFor);
    }
  });

  it('fires once at 01:30 London time on the day it happens twice, and every 15 minutes skips the lost hour', async () => {
    const { time, fired, scheduler } = setup('2025-10-25T12:00:00Z');
    await scheduler.upsert(agent({ cron: '30 1 * * *', timeZone: 'Europe/London' }));
    await time.advanceTo(at('2025-10-28T00:00:00Z'));
    // 01:30 BST (00:30Z) on the 26th; the second 01:30 that day (GMT, 01:30Z) does not fire again.
    expect(fired.map((f) => iso(f.firedAt))).toEqual(['2025-10-26T00:30:00.000Z', '2025-10-27T01:30:00.000Z']);

    const ny = setup('2025-03-09T06:20:00Z');
    await ny.scheduler.upsert(agent({ cron: '*/15 * * * *', timeZone: 'America/New_York' }));
    await ny.time.advanceTo(at('2025-03-09T07:20:00Z'));
    // 01:30 and 01:45 EST, then the clocks jump from 02:00 to 03:00 EDT.
    expect(ny.fired.map((f) => iso(f.firedAt))).toEqual([
      '2025-03-09T06:30:00.000Z',
      '2025-03-09T06:45:00.000Z',
      '2025-03-09T07:00:00.000Z',
      '2025-03-09T07:15:00.000Z',
    ]);
  });

  it('does not fire a disabled schedule, holds no timer for it, and does not make up for it when enabled', async () => {
    const { time, fired, scheduler } = setup('2025-06-02T00:00:00Z');
    await scheduler.upsert(agent({ cron: '0 8 * * *', timeZone: 'Asia/Seoul', enabled: false }));
    expect(time.pendingTimers).toBe(0);
    await time.advanceTo(at('2025-06-05T00:00:00Z'));
    expect(fired).toEqual([]);

    await scheduler.upsert(agent({ cron: '0 8 * * *', timeZone: 'Asia/Seoul', missedRunPolicy: 'run-once' }));
    await time.advanceTo(at('2025-06-06T00:00:00Z'));
    // 08:00 in Seoul is 23:00Z the day before.
    expect(fired.map((f) => [iso(f.scheduledFor), f.missed])).toEqual([['2025-06-05T23:00:00.000Z', false]]);

    await scheduler.upsert(agent({ cron: '0 8 * * *', timeZone: 'Asia/Seoul', enabled: false }));
    expect(time.pendingTimers).toBe(0);
  });

  it('stops firing after remove(), leaving no timer behind', async () => {
    const { time, fired, scheduler } = setup('2025-06-02T00:00:00Z');
    await scheduler.upsert(agent({ cron: '*/15 * * * *', timeZone: 'UTC' }));
    await scheduler.upsert(agent({ cron: '0 * * * *', timeZone: 'UTC' }, { agentId: 'a2' }));
    expect(time.pendingTimers).toBe(2);
    await time.advanceTo(at('2025-06-02T00:30:00Z'));
    expect(fired.filter((f) => f.agentId === 'a1')).toHaveLength(2);

    await scheduler.remove('a1');
    await scheduler.remove('a1');
    await scheduler.remove('never-there');
    expect(time.pendingTimers).toBe(1);
    await time.advanceTo(at('2025-06-02T03:00:00Z'));
    expect(fired.filter((f) => f.agentId === 'a1')).toHaveLength(2);
    expect(fired.filter((f) => f.agentId === 'a2')).toHaveLength(3);

    await scheduler.close();
    expect(time.pendingTimers).toBe(0);
    await expect(scheduler.upsert(agent({ cron: '* * * * *', timeZone: 'UTC' }))).rejects.toThrow(/after close/);
  });

  it('re-saving a schedule re-arms it for the new time', async () => {
    const { time, fired, scheduler } = setup('2025-06-02T00:00:00Z');
    await scheduler.upsert(agent({ cron: '0 8 * * *', timeZone: 'UTC' }));
    await scheduler.upsert(agent({ cron: '0 6 * * *', timeZone: 'UTC' }));
    expect(time.pendingTimers).toBe(1);
    await time.advanceTo(at('2025-06-02T09:00:00Z'));
    expect(fired.map((f) => iso(f.scheduledFor))).toEqual(['2025-06-02T06:00:00.000Z']);
  });

  describe('missed runs', () => {
    it('run-once: at start, fires one catch-up for the latest missed time, then keeps time', async () => {
      const { time, fired, scheduler } = setup('2025-06-05T10:00:00Z');
      await scheduler.upsert(
        agent(
          { cron: '0 8 * * *', timeZone: 'UTC', missedRunPolicy: 'run-once' },
          { missedSinceMs: at('2025-06-01T12:00:00Z') },
        ),
      );
      expect(fired).toEqual([
        {
          agentId: 'a1',
          ownerId: 'u1',
          scheduledFor: at('2025-06-05T08:00:00Z'),
          missed: true,
          firedAt: at('2025-06-05T10:00:00Z'),
        },
      ]);
      await time.advanceTo(at('2025-06-06T09:00:00Z'));
      expect(fired.slice(1).map((f) => [iso(f.scheduledFor), f.missed])).toEqual([['2025-06-06T08:00:00.000Z', false]]);
    });

    it('skip: at start, fires none of the missed times', async () => {
      const { time, fired, scheduler } = setup('2025-06-05T10:00:00Z');
      await scheduler.upsert(
        agent({ cron: '0 8 * * *', timeZone: 'UTC' }, { missedSinceMs: at('2025-06-01T12:00:00Z') }),
      );
      expect(fired).toEqual([]);
      await time.advanceTo(at('2025-06-06T09:00:00Z'));
      expect(fired.map((f) => [iso(f.scheduledFor), f.missed])).toEqual([['2025-06-06T08:00:00.000Z', false]]);
    });

    it('nothing missed since then: no catch-up', async () => {
      const { fired, scheduler } = setup('2025-06-05T10:00:00Z');
      await scheduler.upsert(
        agent(
          { cron: '0 8 * * *', timeZone: 'UTC', missedRunPolicy: 'run-once' },
          { missedSinceMs: at('2025-06-05T08:30:00Z') },
        ),
      );
      expect(fired).toEqual([]);
    });

    it('run-once: the clock jumps past several fire times (the machine slept): one catch-up, for the latest', async () => {
      const { time, fired, scheduler } = setup('2025-06-02T09:30:00Z');
      await scheduler.upsert(agent({ cron: '0 * * * *', timeZone: 'Europe/London', missedRunPolicy: 'run-once' }));
      await time.jumpTo(at('2025-06-02T14:20:00Z'));
      expect(fired.map((f) => [iso(f.scheduledFor), f.missed, iso(f.firedAt)])).toEqual([
        ['2025-06-02T14:00:00.000Z', true, '2025-06-02T14:20:00.000Z'],
      ]);
      await time.advanceTo(at('2025-06-02T15:30:00Z'));
      expect(fired.slice(1).map((f) => [iso(f.scheduledFor), f.missed])).toEqual([['2025-06-02T15:00:00.000Z', false]]);
    });

    it('skip: the clock jumps past fire times: none of them fires, the next one does', async () => {
      const { time, fired, scheduler } = setup('2025-06-02T09:30:00Z');
      await scheduler.upsert(agent({ cron: '0 * * * *', timeZone: 'UTC' }));
      await time.jumpTo(at('2025-06-02T14:20:00Z'));
      expect(fired).toEqual([]);
      await time.advanceTo(at('2025-06-02T15:30:00Z'));
      expect(fired.map((f) => [iso(f.scheduledFor), f.missed])).toEqual([['2025-06-02T15:00:00.000Z', false]]);
    });

    it('a short nap over a fire time still runs it on time, without a catch-up for older misses', async () => {
      const { time, fired, scheduler } = setup('2025-06-02T09:30:00Z', { missedAfterMs: 60_000 });
      await scheduler.upsert(agent({ cron: '0 * * * *', timeZone: 'UTC', missedRunPolicy: 'run-once' }));
      await time.jumpTo(at('2025-06-02T12:00:30Z'));
      expect(fired.map((f) => [iso(f.scheduledFor), f.missed])).toEqual([['2025-06-02T12:00:00.000Z', false]]);
    });
  });

  it('reports a run that fails to start and keeps firing', async () => {
    const { time, fired, errors, scheduler, failRuns } = setup('2025-06-02T00:00:00Z');
    failRuns(true);
    await scheduler.upsert(agent({ cron: '0 * * * *', timeZone: 'UTC' }));
    await time.advanceTo(at('2025-06-02T02:00:00Z'));
    expect(fired).toHaveLength(2);
    expect(errors.map((e) => [e.agentId, (e.error as Error).message])).toEqual([
      ['a1', 'the run could not start'],
      ['a1', 'the run could not start'],
    ]);
  });

  it('refuses an invalid schedule with VALIDATION_FAILED and the reason', async () => {
    const { scheduler, time } = setup('2025-06-02T00:00:00Z');
    await expect(scheduler.upsert(agent({ cron: '0 25 * * *', timeZone: 'UTC' }))).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      message: expect.stringMatching(/hour field "25": 25 is outside 0-23/),
    });
    await expect(scheduler.upsert(agent({ cron: '0 8 * * *', timeZone: 'Asia/Nowhere' }))).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      message: expect.stringMatching(/unknown time zone "Asia\/Nowhere"/),
    });
    expect(time.pendingTimers).toBe(0);
  });
});
