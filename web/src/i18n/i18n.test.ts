import { describe, expect, it } from 'vitest';
import { en } from './en.js';
import { formatCostUsd, formatDay, formatDurationMs } from './format.js';
import { detectLocale, LocaleStore } from './index.js';
import { ko } from './ko.js';

/** Every key path of a catalogue (functions count as leaves). */
function keys(value: unknown, prefix = ''): string[] {
  if (typeof value !== 'object' || value === null) return [prefix];
  return Object.entries(value).flatMap(([k, v]) => keys(v, prefix ? `${prefix}.${k}` : k));
}

describe('catalogues', () => {
  it('have the same keys (the type checks this too; this also covers the optional error codes)', () => {
    expect(keys(ko).sort()).toEqual(keys(en).sort());
  });

  it('have no empty strings', () => {
    for (const catalogue of [en, ko]) {
      for (const path of keys(catalogue)) {
        const value = path.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], catalogue);
        if (typeof value === 'string') expect(value.trim(), path).not.toBe('');
      }
    }
  });
});

describe('detectLocale', () => {
  it('prefers the saved choice, then the browser, then English', () => {
    expect(detectLocale('ko', ['en-US'])).toBe('ko');
    expect(detectLocale(null, ['ko-KR', 'en'])).toBe('ko');
    expect(detectLocale(null, ['fr-FR', 'en-GB'])).toBe('en');
    expect(detectLocale('xx', ['de'])).toBe('en');
  });
});

describe('LocaleStore', () => {
  it('persists the choice and tells listeners', () => {
    const saved = new Map<string, string>();
    const storage = {
      getItem: (k: string) => saved.get(k) ?? null,
      setItem: (k: string, v: string) => void saved.set(k, v),
    } as Storage;
    const store = new LocaleStore(storage, ['en-US']);
    let calls = 0;
    store.subscribe(() => calls++);
    store.set('ko');
    store.set('ko');
    expect(store.locale).toBe('ko');
    expect(store.t.app.signOut).toBe('로그아웃');
    expect(calls).toBe(1);
    expect(new LocaleStore(storage, ['en-US']).locale).toBe('ko');
  });
});

describe('formatting', () => {
  it('shows small costs with enough digits and never shows a cost as nothing', () => {
    expect(formatCostUsd('en', 0)).toBe('$0.00');
    expect(formatCostUsd('en', 0.0123)).toBe('$0.0123');
    expect(formatCostUsd('en', 0.5)).toBe('$0.50');
    expect(formatCostUsd('en', 0.613)).toBe('$0.61');
    expect(formatCostUsd('en', 0.05)).toBe('$0.05');
    expect(formatCostUsd('en', 12.345)).toBe('$12.35');
    expect(formatCostUsd('en', 0.00004)).toBe('< $0.0001');
  });

  it('says durations in seconds, minutes and hours', () => {
    expect(formatDurationMs('en', 4200)).toBe('4.2 sec');
    expect(formatDurationMs('en', 65_000)).toBe('1 min 5 sec');
    expect(formatDurationMs('en', 2 * 3600_000 + 5 * 60_000)).toBe('2 hr 5 min');
    expect(formatDurationMs('ko', 65_000)).toBe('1분 5초');
  });

  it('names the usage API’s UTC days without shifting them to the local zone', () => {
    expect(formatDay('en', '2025-03-05')).toBe('Mar 5');
    expect(formatDay('ko', '2025-03-05')).toBe('3월 5일');
    expect(formatDay('en', 'not a day')).toBe('not a day');
  });
});
