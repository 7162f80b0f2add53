import type { Locale } from './index.js';

const units: ReadonlyArray<[Intl.RelativeTimeFormatUnit, number]> = [
  ['year', 365 * 24 * 3600_000],
  ['month', 30 * 24 * 3600_000],
  ['week', 7 * 24 * 3600_000],
  ['day', 24 * 3600_000],
  ['hour', 3600_000],
  ['minute', 60_000],
];

/** "5 minutes ago" / "5분 전"; under a minute reads "now". */
export function formatRelativeTime(locale: Locale, atMs: number, nowMs: number): string {
  const rtf = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' });
  const diff = atMs - nowMs;
  for (const [unit, size] of units) {
    if (Math.abs(diff) >= size) return rtf.format(Math.round(diff / size), unit);
  }
  return rtf.format(0, 'second');
}

export function formatDateTime(locale: Locale, atMs: number): string {
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' }).format(atMs);
}

export function formatInteger(locale: Locale, n: number): string {
  return new Intl.NumberFormat(locale).format(n);
}

/**
 * Dollars with enough digits to show small costs: whole cents from 10 cents up ("$12.50", "$0.61"),
 * up to four decimals below ("$0.0123", "$0.05"), "< $0.0001" below that; zero is "$0.00".
 */
export function formatCostUsd(locale: Locale, usd: number): string {
  const small = usd > 0 && usd < 0.1;
  const format = (n: number) =>
    new Intl.NumberFormat(locale, {
      style: 'currency',
      currency: 'USD',
      minimumFractionDigits: 2,
      maximumFractionDigits: small ? 4 : 2,
    }).format(n);
  // Something was spent, however little: never show it as nothing.
  return small && usd < 0.0001 ? `< ${format(0.0001)}` : format(usd);
}

/** "4.2 sec", "1 min 5 sec", "2 hr 5 min" (in the page's language). */
export function formatDurationMs(locale: Locale, ms: number): string {
  if (ms < 60_000) {
    return new Intl.NumberFormat(locale, { style: 'unit', unit: 'second', maximumFractionDigits: 1 }).format(ms / 1000);
  }
  const unit = (u: 'hour' | 'minute' | 'second', n: number) =>
    new Intl.NumberFormat(locale, { style: 'unit', unit: u }).format(n);
  const totalSeconds = Math.round(ms / 1000);
  if (totalSeconds >= 3600) {
    const minutes = Math.round((totalSeconds % 3600) / 60);
    return `${unit('hour', Math.floor(totalSeconds / 3600))} ${unit('minute', minutes)}`;
  }
  return `${unit('minute', Math.floor(totalSeconds / 60))} ${unit('second', totalSeconds % 60)}`;
}

/** A UTC calendar day (`2025-03-05`, as the usage API names days) as "Mar 5" / "3월 5일". */
export function formatDay(locale: Locale, day: string): string {
  const at = Date.parse(`${day}T00:00:00Z`);
  if (Number.isNaN(at)) return day;
  return new Intl.DateTimeFormat(locale, { month: 'short', day: 'numeric', timeZone: 'UTC' }).format(at);
}

/** Seconds for short waits: "0.4", "12.3"; two digits below 0.1 s ("0.04"), none from a minute on. */
export function formatSeconds(locale: Locale, ms: number): string {
  const seconds = ms / 1000;
  const options: Intl.NumberFormatOptions =
    seconds < 0.1
      ? { maximumSignificantDigits: 1 }
      : { maximumFractionDigits: seconds < 60 ? 1 : 0, minimumFractionDigits: seconds < 60 ? 1 : 0 };
  return new Intl.NumberFormat(locale, options).format(seconds);
}

/** 0.4 → "40%". */
export function formatPercent(locale: Locale, fraction: number): string {
  return new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 0 }).format(fraction);
}
