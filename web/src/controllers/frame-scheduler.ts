/**
 * Coalesces many changes into one render per animation frame. A timer backs the frame up:
 * browsers pause animation frames in hidden tabs, and the state must still catch up.
 */
export class FrameScheduler {
  private frame: number | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly flush: () => void,
    /** Longest wait when no frame comes. Default 250 ms. */
    private readonly fallbackMs = 250,
  ) {}

  schedule(): void {
    if (this.frame !== null || this.timer !== null) return;
    if (typeof requestAnimationFrame === 'function') this.frame = requestAnimationFrame(this.run);
    this.timer = setTimeout(this.run, this.fallbackMs);
  }

  /** Renders now (a user action should show without waiting for a frame). */
  flushNow(): void {
    this.run();
  }

  cancel(): void {
    if (this.frame !== null) cancelAnimationFrame(this.frame);
    if (this.timer !== null) clearTimeout(this.timer);
    this.frame = null;
    this.timer = null;
  }

  private readonly run = (): void => {
    this.cancel();
    this.flush();
  };
}
