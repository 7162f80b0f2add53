import { describe, expect, it } from 'vitest';
import { backoffDelayMs } from './backoff.js';

describe('backoffDelayMs', () => {
  it('doubles per attempt between half and all of the exponential delay', () => {
    expect(backoffDelayMs(0, {}, () => 0)).toBe(250);
    expect(backoffDelayMs(0, {}, () => 0.999_999)).toBe(500);
    expect(backoffDelayMs(1, {}, () => 0)).toBe(500);
    expect(backoffDelayMs(3, {}, () => 0)).toBe(2000);
  });

  it('is capped at about 10 s', () => {
    for (const attempt of [5, 6, 10, 100, 10_000]) {
      expect(backoffDelayMs(attempt, {}, () => 0.999_999)).toBeLessThanOrEqual(10_000);
      expect(backoffDelayMs(attempt, {}, () => 0)).toBe(5000);
    }
  });

  it('honours its options', () => {
    expect(backoffDelayMs(2, { baseDelayMs: 100, maxDelayMs: 300 }, () => 1)).toBe(300);
  });
});
