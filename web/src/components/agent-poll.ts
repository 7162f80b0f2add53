import type { ReactiveController, ReactiveControllerHost } from 'lit';

export interface PollOptions {
  /** Time between two asks, in ms. */
  intervalMs: number;
  /** Whether there is anything to ask about now (a run still going, say); default: always. */
  active?: () => boolean;
  /** Asks for news. A tick is skipped while the previous one has not settled. */
  tick: () => unknown;
}

/**
 * Asks for news every `intervalMs` while the host is on the page and the tab is visible, and once
 * at once when the tab comes back into view. Nothing is asked from a hidden tab: a person who
 * left one open overnight should not cost the server a request every few seconds.
 */
export class PollController implements ReactiveController {
  private timer: ReturnType<typeof setInterval> | null = null;
  private inFlight = false;

  constructor(
    host: ReactiveControllerHost,
    private readonly options: PollOptions,
  ) {
    host.addController(this);
  }

  hostConnected(): void {
    this.timer = setInterval(() => this.poll(), this.options.intervalMs);
    document.addEventListener('visibilitychange', this.onVisibility);
  }

  hostDisconnected(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    document.removeEventListener('visibilitychange', this.onVisibility);
  }

  private readonly onVisibility = (): void => {
    if (document.visibilityState === 'visible') this.poll();
  };

  private poll(): void {
    if (this.inFlight || document.visibilityState !== 'visible') return;
    if (this.options.active && !this.options.active()) return;
    this.inFlight = true;
    Promise.resolve()
      .then(() => this.options.tick())
      .catch((e: unknown) => console.warn('Polling failed; trying again at the next tick', e))
      .finally(() => {
        this.inFlight = false;
      });
  }
}
