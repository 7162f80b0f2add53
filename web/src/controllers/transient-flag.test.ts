import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TransientFlag } from './transient-flag.js';

class FakeHost implements ReactiveControllerHost {
  readonly controllers: ReactiveController[] = [];
  updates = 0;
  readonly updateComplete = Promise.resolve(true);
  addController(controller: ReactiveController): void {
    this.controllers.push(controller);
  }
  removeController(): void {}
  requestUpdate(): void {
    this.updates++;
  }
}

describe('TransientFlag', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('is on for its duration, then off with a re-render', () => {
    const host = new FakeHost();
    const flag = new TransientFlag(host, 3_000);
    expect(host.controllers).toEqual([flag]);
    expect(flag.active).toBe(false);
    flag.show();
    expect(flag.active).toBe(true);
    vi.advanceTimersByTime(2_999);
    expect(flag.active).toBe(true);
    const before = host.updates;
    vi.advanceTimersByTime(1);
    expect(flag.active).toBe(false);
    expect(host.updates).toBe(before + 1);
  });

  it('starts the time over when shown again', () => {
    const flag = new TransientFlag(new FakeHost(), 1_000);
    flag.show();
    vi.advanceTimersByTime(800);
    flag.show();
    vi.advanceTimersByTime(800);
    expect(flag.active).toBe(true);
    vi.advanceTimersByTime(200);
    expect(flag.active).toBe(false);
  });

  it('turns off, with no timer left behind, when the host goes away', () => {
    const host = new FakeHost();
    const flag = new TransientFlag(host, 1_000);
    flag.show();
    flag.hostDisconnected();
    expect(flag.active).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
  });
});
