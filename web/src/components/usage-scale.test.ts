import { describe, expect, it } from 'vitest';
import { axisTicks, budgetShare, niceCeiling, peakDay, stackUsage } from './usage-scale.js';

describe('niceCeiling', () => {
  it('rounds the largest value up to 1, 2, 2.5 or 5 times a power of ten', () => {
    expect(niceCeiling(0.2317)).toBe(0.25);
    expect(niceCeiling(0.3)).toBe(0.5);
    expect(niceCeiling(0.1 * 3)).toBe(0.5);
    expect(niceCeiling(1)).toBe(1);
    expect(niceCeiling(1.01)).toBe(2);
    expect(niceCeiling(7)).toBe(10);
    expect(niceCeiling(0.0042)).toBe(0.005);
    expect(niceCeiling(180)).toBe(200);
  });

  it('gives a small axis when nothing was spent', () => {
    expect(niceCeiling(0)).toBe(0.01);
    expect(niceCeiling(-1)).toBe(0.01);
    expect(niceCeiling(Number.NaN)).toBe(0.01);
  });
});

describe('axisTicks', () => {
  it('spaces the ticks evenly from zero', () => {
    expect(axisTicks(0.25)).toEqual([0, 0.0625, 0.125, 0.1875, 0.25]);
    expect(axisTicks(2, 2)).toEqual([0, 1, 2]);
    expect(axisTicks(0.3, 3)).toEqual([0, 0.1, 0.2, 0.3]);
  });
});

describe('stackUsage', () => {
  const day = (d: string, costUsd: number) => ({ day: d, costUsd, inputTokens: 0, outputTokens: 0 });
  const agent = (id: string, costUsd: number, byDay: Record<string, number>) => ({
    agentId: id,
    name: id.toUpperCase(),
    deleted: false,
    runs: 1,
    costUsd,
    inputTokens: 0,
    outputTokens: 0,
    byDay,
  });

  it('puts the costliest agents on their own, the rest together, and chats on top', () => {
    const { series, days } = stackUsage(
      {
        days: [day('2025-03-01', 1), day('2025-03-02', 0.5)],
        agents: [
          agent('b', 0.2, { '2025-03-01': 0.2 }),
          agent('a', 0.4, { '2025-03-02': 0.4 }),
          agent('c', 0.1, { '2025-03-01': 0.1 }),
        ],
      },
      2,
    );
    expect(series.map((s) => s.key)).toEqual(['a', 'b', 'other', 'chat']);
    expect(days[0]).toEqual({ day: '2025-03-01', total: 1, parts: [0, 0.2, 0.1, 0.7] });
    expect(days[1]?.parts[0]).toBe(0.4);
    expect(days[1]?.parts[3]).toBeCloseTo(0.1);
  });

  it('has only the chats series without agents, and never a negative part', () => {
    const { series, days } = stackUsage({
      days: [day('2025-03-01', 0.1)],
      agents: [agent('a', 0.3, { '2025-03-01': 0.3 })],
    });
    expect(series.map((s) => s.kind)).toEqual(['agent', 'chat']);
    expect(days[0]).toEqual({ day: '2025-03-01', total: 0.3, parts: [0.3, 0] });
    expect(stackUsage({ days: [day('2025-03-01', 0)], agents: [] }).series.map((s) => s.key)).toEqual(['chat']);
  });
});

describe('peakDay and budgetShare', () => {
  it('finds the costliest day', () => {
    expect(
      peakDay([
        { day: 'a', costUsd: 0.1 },
        { day: 'b', costUsd: 0.3 },
        { day: 'c', costUsd: 0.2 },
      ])?.day,
    ).toBe('b');
    expect(peakDay([{ day: 'a', costUsd: 0 }])).toBeNull();
  });

  it('measures spending against the budget', () => {
    expect(budgetShare(8, 10)).toBe(0.8);
    expect(budgetShare(8, null)).toBeNull();
    expect(budgetShare(0, 0)).toBe(0);
    expect(budgetShare(1, 0)).toBe(Number.POSITIVE_INFINITY);
  });
});
