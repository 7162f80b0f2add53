import { Cron } from 'croner';
import { z } from 'zod';
import { AppError } from '../errors.js';

/**
 * Agent schedules: a 5-field cron in an IANA time zone. Pure and browser-safe (the web app's preview
 * panel uses it too): croner computes the runs, the rest is checking and phrasing. The cron is read
 * as Cloud Scheduler's unix-cron reads it, so what passes here also passes there: 5 fields, numbers,
 * `*`, ranges, lists, steps and the names JAN-DEC / SUN-SAT; day-of-month and day-of-week both
 * restricted means either (Vixie cron's OR). No seconds, no `L`, `W`, `#`, `?` or `@daily`.
 */

// The policies are part of the agent's record (domain); re-exported here for the schedule's users.
import { MissedRunPolicy, OverlapPolicy } from '../domain/agents.js';

export { MissedRunPolicy, OverlapPolicy };

/** The part of a schedule that says when. */
export interface CronInZone {
  cron: string;
  timeZone: string;
}

export const ScheduleSpec = z
  .object({
    cron: z.string().max(200).transform(normalizeCron),
    timeZone: z.string().trim().max(64),
    enabled: z.boolean().default(true),
    missedRunPolicy: MissedRunPolicy.default('skip'),
    overlapPolicy: OverlapPolicy.default('skip'),
  })
  .superRefine((s, ctx) => {
    for (const issue of scheduleIssues(s))
      ctx.addIssue({ code: 'custom', path: [issue.field], message: issue.message });
  });
export type ScheduleSpec = z.infer<typeof ScheduleSpec>;

/** Null when the schedule is valid, else one message naming what is wrong and how to write it. */
export function validateSchedule(schedule: CronInZone): string | null {
  const issues = scheduleIssues(schedule);
  return issues.length === 0 ? null : issues.map((i) => i.message).join('; ');
}

/**
 * The next `n` fire times strictly after `fromMs`, in ms since the epoch, computed in the
 * schedule's time zone. Across DST: a time that falls in the spring-forward gap runs at the end of
 * the gap, a time that occurs twice runs once (fixed-time jobs such as `30 2 * * *`); interval jobs
 * (every 15 minutes, say) skip the gap and run on both passes of the repeated hour. Throws
 * VALIDATION_FAILED for an invalid schedule.
 */
export function nextRuns(schedule: CronInZone, fromMs: number, n: number): number[] {
  if (n <= 0) return [];
  return cronOf(schedule)
    .nextRuns(n, new Date(fromMs))
    .map((d) => d.getTime());
}

/** The latest fire time at or before `atMs`, or null if there is none. Throws like `nextRuns`. */
export function previousRun(schedule: CronInZone, atMs: number): number | null {
  // croner's previousRuns excludes a run exactly at the reference; fire times are whole seconds.
  const [prev] = cronOf(schedule).previousRuns(1, new Date(atMs + 1));
  return prev ? prev.getTime() : null;
}

export type ScheduleLocale = 'en' | 'ko';

/**
 * The schedule in plain words: "every Monday at 08:00 (Asia/Seoul)", "every day at 09:30
 * (Europe/London)", "every weekday at 08:00 (UTC)", "every hour at :15", "every 15 minutes", and
 * the Korean equivalents. What it cannot phrase comes back as "cron 0 8 1 * * (UTC)".
 */
export function describeSchedule(schedule: CronInZone, locale: ScheduleLocale): string {
  const cron = normalizeCron(schedule.cron);
  const fallback = `cron ${cron} (${schedule.timeZone})`;
  const fields = parseCron(cron);
  if (!('fields' in fields)) return fallback;
  const [minute, hour, dom, month, dow] = fields.fields;
  if (!dom.star || !month.star) return fallback;
  const words = locale === 'ko' ? ko : en;

  // Every N minutes (only when N divides the hour, so that the gaps are really N minutes).
  if (hour.star && dow.star) {
    const step = minute.text === '*' ? 1 : /^\*\/(\d+)$/.exec(minute.text)?.[1];
    if (step !== undefined && 60 % Number(step) === 0) return words.everyMinutes(Number(step));
    if (minute.values.length === 1) return words.hourlyAt(minute.values[0]!);
    return fallback;
  }

  if (minute.values.length !== 1 || hour.star || /[*/]/.test(hour.text) || hour.values.length > 4) return fallback;
  const at = hour.values.map((h) => `${pad(h)}:${pad(minute.values[0]!)}`);
  const days = dow.values;
  const zone = `(${schedule.timeZone})`;
  if (dow.star || days.length === 7) return `${words.daily(at)} ${zone}`;
  if (days.length === 5 && [1, 2, 3, 4, 5].every((d) => days.includes(d))) return `${words.weekdays(at)} ${zone}`;
  return `${words.weekly(mondayFirst(days), at)} ${zone}`;
}

// --- phrasing ---------------------------------------------------------------------------------

interface Words {
  everyMinutes(n: number): string;
  hourlyAt(minute: number): string;
  daily(at: string[]): string;
  weekdays(at: string[]): string;
  weekly(days: number[], at: string[]): string;
}

const enDays = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const koDays = ['일요일', '월요일', '화요일', '수요일', '목요일', '금요일', '토요일'];

const andList = (items: string[]): string =>
  items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;

const en: Words = {
  everyMinutes: (n) => (n === 1 ? 'every minute' : `every ${n} minutes`),
  hourlyAt: (m) => `every hour at :${pad(m)}`,
  daily: (at) => `every day at ${andList(at)}`,
  weekdays: (at) => `every weekday at ${andList(at)}`,
  weekly: (days, at) => `every ${andList(days.map((d) => enDays[d]!))} at ${andList(at)}`,
};

const ko: Words = {
  everyMinutes: (n) => (n === 1 ? '매분' : `${n}분마다`),
  hourlyAt: (m) => (m === 0 ? '매시 정각' : `매시 ${m}분`),
  daily: (at) => `매일 ${at.join(', ')}`,
  weekdays: (at) => `평일 ${at.join(', ')}`,
  weekly: (days, at) => `매주 ${days.map((d) => koDays[d]!).join(', ')} ${at.join(', ')}`,
};

const pad = (n: number): string => String(n).padStart(2, '0');
const mondayFirst = (days: number[]): number[] => [...days].sort((a, b) => ((a + 6) % 7) - ((b + 6) % 7));

// --- checking -----------------------------------------------------------------------------------

export interface ScheduleIssue {
  field: 'cron' | 'timeZone';
  message: string;
}

/** Each problem of a schedule, with the field it is in (empty when it is fine). */
export function scheduleIssues(schedule: CronInZone): ScheduleIssue[] {
  const issues: ScheduleIssue[] = [];
  const cronIssue = checkCron(schedule.cron);
  if (cronIssue) issues.push({ field: 'cron', message: cronIssue });
  const zoneIssue = checkTimeZone(schedule.timeZone);
  if (zoneIssue) issues.push({ field: 'timeZone', message: zoneIssue });
  if (issues.length > 0) return issues;
  const cron = normalizeCron(schedule.cron);
  try {
    // A date that never comes (31 February) passes field by field; croner finds no run for it.
    if (cronOf(schedule, false).nextRun() === null) {
      issues.push({ field: 'cron', message: `cron "${cron}" never runs: no date matches it` });
    }
  } catch (e) {
    issues.push({ field: 'cron', message: `cron "${cron}": ${e instanceof Error ? e.message : String(e)}` });
  }
  return issues;
}

const fiveFields = 'write 5 fields (minute hour day-of-month month day-of-week), such as "0 8 * * 1"';

function checkCron(cron: string): string | null {
  const parsed = parseCron(normalizeCron(cron));
  if ('error' in parsed) return parsed.error;
  return null;
}

const zoneExamples = 'use an IANA time zone name such as "Europe/London" or "Asia/Seoul"';
const zoneShape = /^[A-Z][A-Za-z0-9_+-]*(\/[A-Z][A-Za-z0-9_+-]*)*$/;

function checkTimeZone(timeZone: string): string | null {
  if (timeZone.trim() === '') return `time zone is empty: ${zoneExamples}`;
  if (/^(UTC|GMT)?[+-]\d/.test(timeZone)) {
    return `time zone "${timeZone}" is a UTC offset: ${zoneExamples}, which also follows daylight saving time`;
  }
  let resolved: string | undefined;
  try {
    resolved = new Intl.DateTimeFormat('en-US', { timeZone }).resolvedOptions().timeZone;
  } catch {
    resolved = undefined;
  }
  // Intl ignores case; Cloud Scheduler does not.
  if (resolved && resolved !== timeZone && resolved.toLowerCase() === timeZone.toLowerCase()) {
    return `time zone "${timeZone}" is written "${resolved}"`;
  }
  if (resolved === undefined || !zoneShape.test(timeZone)) {
    const guess = guessZone(timeZone);
    return `unknown time zone "${timeZone}": ${zoneExamples}${guess ? ` (did you mean "${guess}"?)` : ''}`;
  }
  return null;
}

function supportedZones(): string[] {
  try {
    return [...Intl.supportedValuesOf('timeZone'), 'UTC'];
  } catch {
    return ['UTC'];
  }
}

/** A zone whose last part matches what was typed ("seoul" → "Asia/Seoul"). */
function guessZone(typed: string): string | undefined {
  const city = typed.split('/').pop()?.trim().replace(/\s+/g, '_').toLowerCase();
  if (!city) return undefined;
  return supportedZones().find((z) => z.split('/').pop()?.toLowerCase() === city);
}

// --- the cron itself ----------------------------------------------------------------------------

interface FieldDef {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
}

const fieldDefs: readonly FieldDef[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day-of-month', min: 1, max: 31 },
  {
    name: 'month',
    min: 1,
    max: 12,
    names: ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'],
  },
  // 7 is Sunday too, as in Vixie cron.
  { name: 'day-of-week', min: 0, max: 7, names: ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] },
];

interface Field {
  text: string;
  /** The field is `*`. */
  star: boolean;
  /** Every value it matches, sorted (day-of-week 7 folded into 0). */
  values: number[];
}

function normalizeCron(cron: string): string {
  return cron.trim().replace(/\s+/g, ' ');
}

function parseCron(cron: string): { fields: [Field, Field, Field, Field, Field] } | { error: string } {
  if (cron === '') return { error: `cron is empty: ${fiveFields}` };
  if (cron.startsWith('@')) return { error: `cron shorthands such as "${cron}" are not supported: ${fiveFields}` };
  const parts = cron.split(' ');
  if (parts.length === 6) return { error: `cron "${cron}" has 6 fields; seconds are not supported: ${fiveFields}` };
  if (parts.length !== 5) return { error: `cron "${cron}" has ${parts.length} fields: ${fiveFields}` };
  const fields: Field[] = [];
  for (const [i, def] of fieldDefs.entries()) {
    const parsed = parseField(parts[i]!, def);
    if (typeof parsed === 'string') return { error: `${def.name} field "${parts[i]}": ${parsed}` };
    fields.push(parsed);
  }
  return { fields: fields as [Field, Field, Field, Field, Field] };
}

function parseField(text: string, def: FieldDef): Field | string {
  if (/[LW#?]/i.test(text.replace(/[A-Z]{3}/gi, (m) => (def.names?.includes(m.toUpperCase()) ? '' : m)))) {
    return 'L, W, # and ? are not supported; use numbers, names, "*", ranges (1-5), lists (1,3) or steps (*/2)';
  }
  const values = new Set<number>();
  for (const item of text.split(',')) {
    const problem = parseItem(item, def, values);
    if (problem) return problem;
  }
  if (def.name === 'day-of-week' && values.delete(7)) values.add(0);
  return { text, star: text === '*', values: [...values].sort((a, b) => a - b) };
}

function parseItem(item: string, def: FieldDef, into: Set<number>): string | null {
  const range = `${def.min}-${def.max}${def.names ? ` or ${def.names[0]}-${def.names[def.names.length - 1]}` : ''}`;
  const m = /^([^/]+)(?:\/(.*))?$/.exec(item);
  if (!m) return `a list item is empty; write a value in ${range}`;
  const [, base = '', stepText] = m;
  let step = 1;
  if (stepText !== undefined) {
    if (!/^\d+$/.test(stepText)) return `step "${stepText}" is not a number`;
    step = Number(stepText);
    if (step < 1) return 'the step must be at least 1';
    if (step > def.max - def.min + 1) return `step ${step} is larger than the field (${def.min}-${def.max})`;
  }
  let lo: number;
  let hi: number;
  if (base === '*') {
    lo = def.min;
    hi = def.name === 'day-of-week' ? 6 : def.max;
  } else {
    const ends = base.split('-');
    if (ends.length > 2 || ends.some((e) => e === '')) {
      return `"${item}" is not a number, a name, "*", a range (1-5), a list (1,3) or a step (*/2)`;
    }
    const nums: number[] = [];
    for (const [k, end] of ends.entries()) {
      const n = fieldValue(end, def, k === 1);
      if (n === undefined) {
        return `"${end}" is not a number${def.names ? ' or a name' : ''} in ${range}`;
      }
      if (n < def.min || n > def.max) return `${n} is outside ${def.min}-${def.max}`;
      nums.push(n);
    }
    lo = nums[0]!;
    hi = nums[1] ?? (stepText !== undefined ? Number.NaN : lo);
    if (Number.isNaN(hi)) return `a step needs "*" or a range: write "${lo}-${def.max}/${step}"`;
    if (lo > hi) return `the range ${lo}-${hi} goes backwards: split it, such as "${lo}-${def.max},${def.min}-${hi}"`;
  }
  for (let v = lo; v <= hi; v += step) into.add(v);
  return null;
}

function fieldValue(text: string, def: FieldDef, rangeEnd: boolean): number | undefined {
  if (/^\d+$/.test(text)) return Number(text);
  const idx = def.names?.indexOf(text.toUpperCase()) ?? -1;
  if (idx < 0) return undefined;
  if (def.name === 'month') return idx + 1;
  // SUN at the end of a range is 7, so that FRI-SUN reads as 5-7.
  return idx === 0 && rangeEnd ? 7 : idx;
}

function cronOf(schedule: CronInZone, check = true): Cron {
  if (check) {
    const problem = validateSchedule(schedule);
    if (problem) throw new AppError('VALIDATION_FAILED', problem, { cron: schedule.cron, timeZone: schedule.timeZone });
  }
  return new Cron(normalizeCron(schedule.cron), {
    timezone: schedule.timeZone,
    mode: '5-part',
    paused: true,
    // As Vixie cron: lists and ranges of fixed hours are fixed-time jobs too (run once on a repeated hour).
    fixedTimeRule: 'no-wildcard',
  });
}
