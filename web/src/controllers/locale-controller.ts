import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { type Locale, type LocaleStore, localeStore, type Messages } from '../i18n/index.js';

/** Gives a component the current strings and re-renders it when the language changes. */
export class LocaleController implements ReactiveController {
  private unsubscribe: (() => void) | null = null;

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly store: LocaleStore = localeStore,
  ) {
    host.addController(this);
  }

  get t(): Messages {
    return this.store.t;
  }

  get locale(): Locale {
    return this.store.locale;
  }

  hostConnected(): void {
    this.unsubscribe = this.store.subscribe(() => this.host.requestUpdate());
  }

  hostDisconnected(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
  }
}
