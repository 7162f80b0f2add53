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

/** Dollars with enough digits to show small per-turn costs ($0.0042). */
export function formatCostUsd(locale: Locale, usd: number): string {
  const digits = usd > 0 && usd < 0.01 ? 4 : 2;
  return new Intl.NumberFormat(locale, {
    style: 'currency',
    currency: 'USD',
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  }).format(usd);
}

export function formatDurationMs(locale: Locale, ms: number): string {
  if (ms < 60_000) {
    return new Intl.NumberFormat(locale, { style: 'unit', unit: 'second', maximumFractionDigits: 1 }).format(ms / 1000);
  }
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.round((ms % 60_000) / 1000);
  const m = new Intl.NumberFormat(locale, { style: 'unit', unit: 'minute' }).format(minutes);
  const s = new Intl.NumberFormat(locale, { style: 'unit', unit: 'second' }).format(seconds);
  return `${m} ${s}`;
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
