import type { ReactiveController, ReactiveControllerHost } from 'lit';

/**
 * Keeps a scrolling conversation pinned to its end while it grows (streamed text, tool output),
 * unless the user scrolled up to read: then it stays put until they come back down.
 */
export class StickToBottomController implements ReactiveController {
  private observer: ResizeObserver | null = null;
  private observed: Element[] = [];
  private stuck = true;

  constructor(
    host: ReactiveControllerHost,
    private readonly scroller: () => HTMLElement | null | undefined,
    private readonly content: () => Element | null | undefined,
    /** How close to the end still counts as "at the end". Default 80 px. */
    private readonly thresholdPx = 80,
  ) {
    host.addController(this);
  }

  hostUpdated(): void {
    const scroller = this.scroller();
    const content = this.content();
    const targets = [scroller, content].filter((e): e is HTMLElement => !!e);
    if (targets.length === this.observed.length && targets.every((t, i) => t === this.observed[i])) return;
    this.observer ??= new ResizeObserver(() => this.follow());
    for (const el of this.observed) this.observer.unobserve(el);
    for (const el of targets) this.observer.observe(el);
    this.observed = targets;
  }

  hostDisconnected(): void {
    this.observer?.disconnect();
    this.observer = null;
    this.observed = [];
  }

  /** Wire to the scroller's scroll event. */
  readonly onScroll = (): void => {
    const el = this.scroller();
    if (el) this.stuck = el.scrollHeight - el.scrollTop - el.clientHeight < this.thresholdPx;
  };

  /** Back to the end (the user sent a message). */
  stick(): void {
    this.stuck = true;
    this.follow();
  }

  private follow(): void {
    const el = this.scroller();
    if (this.stuck && el) el.scrollTop = el.scrollHeight;
  }
}
