import { describe, expect, it } from 'vitest';
import { describeSchedule, nextRuns, previousRun, ScheduleSpec, validateSchedule } from './index.js';

const at = (iso: string): number => Date.parse(iso);
const isos = (ms: number[]): string[] => ms.map((m) => new Date(m).toISOString());
const utc = (cron: string) => validateSchedule({ cron, timeZone: 'UTC' });

describe('validateSchedule', () => {
  it('accepts 5-field crons with numbers, names, ranges, lists and steps', () => {
    for (const cron of ['0 8 * * 1', '*/15 * * * *', '30 9 * * MON-FRI', '0 9,17 1-15 JAN,JUL *', '0 8 * * FRI-SUN']) {
      expect(utc(cron), cron).toBeNull();
    }
    expect(validateSchedule({ cron: '  0   8 * * 1 ', timeZone: 'Asia/Seoul' })).toBeNull();
  });

  it('names the field and the value that is wrong, and how to write it', () => {
    expect(utc('61 8 * * *')).toBe('minute field "61": 61 is outside 0-59');
    expect(utc('0 24 * * *')).toBe('hour field "24": 24 is outside 0-23');
    expect(utc('0 8 0 * *')).toBe('day-of-month field "0": 0 is outside 1-31');
    expect(utc('0 8 * 13 *')).toBe('month field "13": 13 is outside 1-12');
    expect(utc('0 8 * * 8')).toBe('day-of-week field "8": 8 is outside 0-7');
    expect(utc('x 8 * * *')).toBe('minute field "x": "x" is not a number in 0-59');
    expect(utc('0 8 * * MOON')).toMatch(
      /^day-of-week field "MOON": "MOON" is not a number or a name in 0-7 or SUN-SAT/,
    );
    expect(utc('0 22-2 * * *')).toBe('hour field "22-2": the range 22-2 goes backwards: split it, such as "22-23,0-2"');
    expect(utc('*/0 * * * *')).toBe('minute field "*/0": the step must be at least 1');
    expect(utc('5/15 * * * *')).toBe('minute field "5/15": a step needs "*" or a range: write "5-59/15"');
    expect(utc('0 8 * * 5L')).toMatch(/^day-of-week field "5L": L, W, # and \? are not supported/);
    expect(utc('0 8 ? * MON#2')).toMatch(/^day-of-month field "\?": L, W, # and \? are not supported/);
  });

  it('takes 5 fields only: no seconds, no shorthands', () => {
    expect(utc('0 0 8 * * *')).toMatch(/has 6 fields; seconds are not supported: write 5 fields \(minute hour/);
    expect(utc('0 8 * *')).toMatch(/^cron "0 8 \* \*" has 4 fields: write 5 fields/);
    expect(utc('@daily')).toMatch(/^cron shorthands such as "@daily" are not supported/);
    expect(utc('  ')).toMatch(/^cron is empty/);
  });

  it('refuses a cron that never runs', () => {
    expect(utc('0 8 30 2 *')).toBe('cron "0 8 30 2 *" never runs: no date matches it');
    expect(utc('0 8 29 2 *')).toBeNull();
  });

  it('wants an IANA time zone, spelled as the tz database spells it', () => {
    const zone = (timeZone: string) => validateSchedule({ cron: '0 8 * * *', timeZone });
    for (const ok of ['Asia/Seoul', 'Europe/London', 'America/New_York', 'UTC', 'Etc/UTC'])
      expect(zone(ok), ok).toBeNull();
    expect(zone('Mars/Olympus')).toBe(
      'unknown time zone "Mars/Olympus": use an IANA time zone name such as "Europe/London" or "Asia/Seoul"',
    );
    expect(zone('Seoul')).toMatch(/^unknown time zone "Seoul": .* \(did you mean "Asia\/Seoul"\?\)$/);
    expect(zone('asia/seoul')).toBe('time zone "asia/seoul" is written "Asia/Seoul"');
    expect(zone('+09:00')).toMatch(/^time zone "\+09:00" is a UTC offset: use an IANA time zone name/);
    expect(zone('')).toMatch(/^time zone is empty/);
  });

  it('reports the cron and the time zone together', () => {
    expect(validateSchedule({ cron: '61 * * * *', timeZone: 'Nowhere' })).toMatch(
      /^minute field "61": .*; unknown time zone "Nowhere"/,
    );
  });
});

describe('ScheduleSpec', () => {
  it('fills the policies, tidies the cron and checks it', () => {
    expect(ScheduleSpec.parse({ cron: ' 0  8 * * 1 ', timeZone: 'Asia/Seoul' })).toEqual({
      cron: '0 8 * * 1',
      timeZone: 'Asia/Seoul',
      enabled: true,
      missedRunPolicy: 'skip',
      overlapPolicy: 'skip',
    });
    const bad = ScheduleSpec.safeParse({
      cron: '0 8 * * * *',
      timeZone: 'Asia/Nowhere',
      enabled: true,
      missedRunPolicy: 'run-once',
    });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues.map((i) => [i.path.join('.'), i.message.split(':')[0]])).toEqual([
      ['cron', 'cron "0 8 * * * *" has 6 fields; seconds are not supported'],
      ['timeZone', 'unknown time zone "Asia/Nowhere"'],
    ]);
    expect(ScheduleSpec.safeParse({ cron: '0 8 * * *', timeZone: 'UTC', missedRunPolicy: 'catch-up' }).success).toBe(
      false,
    );
  });
});

describe('nextRuns', () => {
  it('counts from strictly after `fromMs`, in the schedule’s time zone', () => {
    const seoul = { cron: '0 8 * * 1', timeZone: 'Asia/Seoul' };
    // Monday 08:00 in Seoul is Sunday 23:00Z.
    expect(isos(nextRuns(seoul, at('2025-06-01T23:00:00Z'), 2))).toEqual([
      '2025-06-08T23:00:00.000Z',
      '2025-06-15T23:00:00.000Z',
    ]);
    expect(isos(nextRuns(seoul, at('2025-06-01T22:59:59.999Z'), 1))).toEqual(['2025-06-01T23:00:00.000Z']);
    expect(nextRuns(seoul, 0, 0)).toEqual([]);
  });

  it('keeps local time across DST in America/New_York', () => {
    const daily = { cron: '0 9 * * *', timeZone: 'America/New_York' };
    // Spring forward on 9 March 2025: 09:00 EST (14:00Z), then 09:00 EDT (13:00Z).
    expect(isos(nextRuns(daily, at('2025-03-08T00:00:00Z'), 3))).toEqual([
      '2025-03-08T14:00:00.000Z',
      '2025-03-09T13:00:00.000Z',
      '2025-03-10T13:00:00.000Z',
    ]);
    // Fall back on 2 November 2025.
    expect(isos(nextRuns(daily, at('2025-11-01T00:00:00Z'), 3))).toEqual([
      '2025-11-01T13:00:00.000Z',
      '2025-11-02T14:00:00.000Z',
      '2025-11-03T14:00:00.000Z',
    ]);
    // 02:30 does not exist on 9 March: it runs at 03:00 EDT, once.
    expect(isos(nextRuns({ cron: '30 2 * * *', timeZone: 'America/New_York' }, at('2025-03-08T12:00:00Z'), 2))).toEqual(
      ['2025-03-09T07:00:00.000Z', '2025-03-10T06:30:00.000Z'],
    );
    // 01:30 happens twice on 2 November: it runs once, at the first.
    expect(isos(nextRuns({ cron: '30 1 * * *', timeZone: 'America/New_York' }, at('2025-11-01T12:00:00Z'), 2))).toEqual(
      ['2025-11-02T05:30:00.000Z', '2025-11-03T06:30:00.000Z'],
    );
  });

  it('keeps local time across DST in Europe/London', () => {
    const daily = { cron: '30 9 * * *', timeZone: 'Europe/London' };
    expect(isos(nextRuns(daily, at('2025-03-29T00:00:00Z'), 3))).toEqual([
      '2025-03-29T09:30:00.000Z',
      '2025-03-30T08:30:00.000Z',
      '2025-03-31T08:30:00.000Z',
    ]);
    expect(isos(nextRuns(daily, at('2025-10-25T00:00:00Z'), 2))).toEqual([
      '2025-10-25T08:30:00.000Z',
      '2025-10-26T09:30:00.000Z',
    ]);
    // Every 30 minutes runs on both passes of the repeated hour (01:00-02:00 BST, then GMT).
    expect(isos(nextRuns({ cron: '*/30 * * * *', timeZone: 'Europe/London' }, at('2025-10-25T23:45:00Z'), 5))).toEqual([
      '2025-10-26T00:00:00.000Z',
      '2025-10-26T00:30:00.000Z',
      '2025-10-26T01:00:00.000Z',
      '2025-10-26T01:30:00.000Z',
      '2025-10-26T02:00:00.000Z',
    ]);
  });

  it('throws VALIDATION_FAILED for an invalid schedule', () => {
    expect(() => nextRuns({ cron: '0 8 * * *', timeZone: 'Nowhere' }, 0, 1)).toThrow(
      expect.objectContaining({ code: 'VALIDATION_FAILED', message: expect.stringMatching(/unknown time zone/) }),
    );
  });
});

describe('previousRun', () => {
  it('gives the latest fire time at or before the moment, across DST', () => {
    const s = { cron: '30 2 * * *', timeZone: 'America/New_York' };
    expect(previousRun(s, at('2025-03-09T07:00:00Z'))).toBe(at('2025-03-09T07:00:00Z'));
    expect(previousRun(s, at('2025-03-09T06:59:59Z'))).toBe(at('2025-03-08T07:30:00Z'));
    expect(previousRun({ cron: '0 * * * *', timeZone: 'UTC' }, at('2025-06-02T10:59:00Z'))).toBe(
      at('2025-06-02T10:00:00Z'),
    );
  });
});

describe('describeSchedule', () => {
  const cases: [string, string, string, string][] = [
    ['0 8 * * 1', 'Asia/Seoul', 'every Monday at 08:00 (Asia/Seoul)', '매주 월요일 08:00 (Asia/Seoul)'],
    ['30 9 * * *', 'Europe/London', 'every day at 09:30 (Europe/London)', '매일 09:30 (Europe/London)'],
    ['15 * * * *', 'UTC', 'every hour at :15', '매시 15분'],
    ['0 * * * *', 'UTC', 'every hour at :00', '매시 정각'],
    ['*/15 * * * *', 'UTC', 'every 15 minutes', '15분마다'],
    ['* * * * *', 'UTC', 'every minute', '매분'],
    ['0 8 * * 1-5', 'Asia/Seoul', 'every weekday at 08:00 (Asia/Seoul)', '평일 08:00 (Asia/Seoul)'],
    ['0 8 * * MON-FRI', 'UTC', 'every weekday at 08:00 (UTC)', '평일 08:00 (UTC)'],
    [
      '0 8 * * 5,1,3',
      'UTC',
      'every Monday, Wednesday and Friday at 08:00 (UTC)',
      '매주 월요일, 수요일, 금요일 08:00 (UTC)',
    ],
    ['0 8 * * 0,6', 'UTC', 'every Saturday and Sunday at 08:00 (UTC)', '매주 토요일, 일요일 08:00 (UTC)'],
    ['0 8 * * 7', 'UTC', 'every Sunday at 08:00 (UTC)', '매주 일요일 08:00 (UTC)'],
    ['0 9,17 * * *', 'UTC', 'every day at 09:00 and 17:00 (UTC)', '매일 09:00, 17:00 (UTC)'],
    ['0 8 1 * *', 'UTC', 'cron 0 8 1 * * (UTC)', 'cron 0 8 1 * * (UTC)'],
    ['*/7 * * * *', 'UTC', 'cron */7 * * * * (UTC)', 'cron */7 * * * * (UTC)'],
    ['0 */2 * * *', 'UTC', 'cron 0 */2 * * * (UTC)', 'cron 0 */2 * * * (UTC)'],
  ];
  it.each(cases)('%s in %s', (cron, timeZone, english, korean) => {
    expect(describeSchedule({ cron, timeZone }, 'en')).toBe(english);
    expect(describeSchedule({ cron, timeZone }, 'ko')).toBe(korean);
  });

  it('falls back to the cron itself for what does not parse', () => {
    expect(describeSchedule({ cron: '0 8 * * * *', timeZone: 'UTC' }, 'en')).toBe('cron 0 8 * * * * (UTC)');
  });
});
