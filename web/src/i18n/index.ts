import { en, type Messages } from './en.js';
import { ko } from './ko.js';

export type { Messages } from './en.js';

export const Locales = ['en', 'ko'] as const;
export type Locale = (typeof Locales)[number];

const catalogues: Record<Locale, Messages> = { en, ko };

/** Each language's name in itself, for the switch. */
export const localeNames: Record<Locale, string> = { en: 'English', ko: '한국어' };

export const isLocale = (value: unknown): value is Locale => Locales.includes(value as Locale);

export const messagesFor = (locale: Locale): Messages => catalogues[locale];

/** The saved choice wins; otherwise the first browser language we have; otherwise English. */
export function detectLocale(saved: string | null, browserLanguages: readonly string[]): Locale {
  if (isLocale(saved)) return saved;
  for (const tag of browserLanguages) {
    const primary = tag.toLowerCase().split('-')[0];
    if (isLocale(primary)) return primary;
  }
  return 'en';
}

const storageKey = 'ap.locale';

function safeStorage(): Storage | null {
  try {
    return globalThis.localStorage ?? null;
  } catch {
    // Storage can be disabled (privacy settings); the choice then lasts for this page only.
    return null;
  }
}

/**
 * The page's current language. One per page (like the document's `lang`): components reach it
 * through `LocaleController`, and the header's switch changes it.
 */
export class LocaleStore {
  private current: Locale;
  private readonly listeners = new Set<() => void>();

  constructor(
    private readonly storage: Storage | null,
    browserLanguages: readonly string[],
  ) {
    this.current = detectLocale(storage?.getItem(storageKey) ?? null, browserLanguages);
  }

  get locale(): Locale {
    return this.current;
  }

  get t(): Messages {
    return catalogues[this.current];
  }

  set(locale: Locale): void {
    if (locale === this.current) return;
    this.current = locale;
    this.storage?.setItem(storageKey, locale);
    for (const listener of this.listeners) listener();
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

export const localeStore = new LocaleStore(
  safeStorage(),
  typeof navigator === 'undefined' ? [] : (navigator.languages ?? [navigator.language]),
);

/** A failed call's text for people: our words for the codes we know, else the server's message. */
export function errorMessage(t: Messages, error: { code: string; message: string }): string {
  return t.errors.codes[error.code] ?? error.message;
}
