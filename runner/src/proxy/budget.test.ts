import { describe, expect, it } from 'vitest';
import { budgetExceeded, monthUtc } from './budget.js';

describe('monthUtc', () => {
  it('is the UTC calendar month around a time, December included', () => {
    expect(monthUtc(Date.UTC(2025, 5, 15, 12))).toEqual({ startMs: Date.UTC(2025, 5, 1), endMs: Date.UTC(2025, 6, 1) });
    expect(monthUtc(Date.UTC(2025, 11, 31, 23, 59, 59, 999))).toEqual({
      startMs: Date.UTC(2025, 11, 1),
      endMs: Date.UTC(2026, 0, 1),
    });
    expect(monthUtc(Date.UTC(2026, 0, 1))).toEqual({ startMs: Date.UTC(2026, 0, 1), endMs: Date.UTC(2026, 1, 1) });
  });
});

describe('budgetExceeded', () => {
  it('says the budget is spent, until when, and how to raise it', () => {
    const e = budgetExceeded(5, 5.0312, Date.UTC(2025, 5, 15));
    expect(e.code).toBe('BUDGET_EXCEEDED');
    expect(e.status).toBe(402);
    expect(e.message).toBe(
      'Your monthly budget of $5.00 on Agent Platform is spent ($5.03 used since 2025-06-01), so Claude cannot ' +
        'answer until it resets on 2025-07-01 (UTC). To continue now, raise the limit (MONTHLY_BUDGET_USD in the ' +
        'runner settings) or ask your administrator to.',
    );
    expect(e.details).toEqual({
      limitUsd: 5,
      spentUsd: 5.0312,
      periodStartMs: Date.UTC(2025, 5, 1),
      resetsAtMs: Date.UTC(2025, 6, 1),
    });
  });
});
