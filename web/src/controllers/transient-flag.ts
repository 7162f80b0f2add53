import type { ReactiveController, ReactiveControllerHost } from 'lit';

/**
 * A flag that turns itself off after a while, re-rendering its host when it does (a note that
 * shows for a few seconds, like "Workspace ready").
 */
export class TransientFlag implements ReactiveController {
  private on = false;
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly host: ReactiveControllerHost,
    /** How long the flag stays on after `show()`, in milliseconds. */
    private readonly durationMs: number,
  ) {
    host.addController(this);
  }

  get active(): boolean {
    return this.on;
  }

  /** Turns the flag on; showing it again while on starts the time over. */
  show(): void {
    this.clearTimer();
    this.on = true;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.on = false;
      this.host.requestUpdate();
    }, this.durationMs);
    this.host.requestUpdate();
  }

  hostDisconnected(): void {
    this.clearTimer();
    this.on = false;
  }

  private clearTimer(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }
}
