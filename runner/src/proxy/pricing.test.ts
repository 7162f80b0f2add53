import { describe, expect, it } from 'vitest';
import { costUsd, defaultPricing, type PricedUsage, priceOf } from './pricing.js';

const million = (over: Partial<PricedUsage> = {}): PricedUsage => ({
  inputTokens: 0,
  outputTokens: 0,
  cacheReadTokens: 0,
  cacheCreationTokens: 0,
  ...over,
});

describe('priceOf', () => {
  it.each([
    ['claude-opus-4-5-20251101', 5, 25],
    ['claude-opus-4-6', 5, 25],
    ['claude-opus-4-1-20250805', 15, 75],
    ['claude-opus-4-20250514', 15, 75],
    ['claude-3-opus-20240229', 15, 75],
    ['claude-sonnet-4-5-20250929', 3, 15],
    ['claude-sonnet-4-20250514', 3, 15],
    ['claude-3-7-sonnet-20250219', 3, 15],
    ['anthropic.claude-sonnet-4-5-20250929-v1:0', 3, 15],
    ['claude-sonnet-4-5@20250929', 3, 15],
    ['claude-haiku-4-5-20251001', 1, 5],
    ['claude-3-5-haiku-20241022', 0.8, 4],
    ['claude-3-haiku-20240307', 0.25, 1.25],
    ['Claude-Haiku-4-5', 1, 5],
  ])('prices %s at $%s in / $%s out per million tokens', (model, input, output) => {
    const { price, known } = priceOf(model);
    expect(known).toBe(true);
    expect(price.inputPerMTok).toBe(input);
    expect(price.outputPerMTok).toBe(output);
  });

  it('uses the dearest price for a model it does not know, and says so', () => {
    const { price, known } = priceOf('gpt-oss-120b');
    expect(known).toBe(false);
    expect(price).toBe(defaultPricing.fallback);
    expect(price.inputPerMTok).toBe(15);
    expect(price.outputPerMTok).toBe(75);
  });
});

describe('costUsd', () => {
  it('prices each kind of token at its own rate', () => {
    const m = 'claude-sonnet-4-5-20250929';
    expect(costUsd(m, million({ inputTokens: 1e6 }))).toBeCloseTo(3, 12);
    expect(costUsd(m, million({ outputTokens: 1e6 }))).toBeCloseTo(15, 12);
    expect(costUsd(m, million({ cacheReadTokens: 1e6 }))).toBeCloseTo(0.3, 12);
    expect(costUsd(m, million({ cacheCreationTokens: 1e6 }))).toBeCloseTo(3.75, 12);
    expect(costUsd(m, million({ cacheCreationTokens: 1e6, cacheCreation1hTokens: 1e6 }))).toBeCloseTo(6, 12);
  });

  it('adds them up for a typical Claude Code turn', () => {
    // 321 input, 12 output, 100 cache reads, 7 cache writes on Sonnet:
    // (321*3 + 12*15 + 100*0.3 + 7*3.75) / 1e6
    const usage = million({ inputTokens: 321, outputTokens: 12, cacheReadTokens: 100, cacheCreationTokens: 7 });
    expect(costUsd('claude-sonnet-4-5', usage)).toBeCloseTo(0.00119925, 15);
  });

  it('splits cache writes between the 5-minute and 1-hour rates', () => {
    const usage = million({ cacheCreationTokens: 1000, cacheCreation1hTokens: 400 });
    // Haiku 4.5: 600 * 1.25 + 400 * 2 per million.
    expect(costUsd('claude-haiku-4-5', usage)).toBeCloseTo((600 * 1.25 + 400 * 2) / 1e6, 15);
    // A 1-hour count above the total (a malformed usage) is capped rather than priced negative.
    expect(costUsd('claude-haiku-4-5', million({ cacheCreationTokens: 10, cacheCreation1hTokens: 50 }))).toBeCloseTo(
      (10 * 2) / 1e6,
      15,
    );
  });

  it('charges server-side web searches at $10 per thousand', () => {
    expect(costUsd('claude-sonnet-4-5', million({ webSearchRequests: 3 }))).toBeCloseTo(0.03, 12);
  });

  it('is zero for no tokens and takes a custom table', () => {
    expect(costUsd('claude-opus-4-5', million())).toBe(0);
    const flat = {
      inputPerMTok: 1,
      outputPerMTok: 1,
      cacheReadPerMTok: 1,
      cacheWrite5mPerMTok: 1,
      cacheWrite1hPerMTok: 1,
    };
    const table = { families: [{ family: 'local', match: /^local-/, price: flat }], fallback: flat, webSearchUsd: 0 };
    expect(costUsd('local-llama', million({ inputTokens: 2e6, outputTokens: 1e6 }), table)).toBe(3);
  });
});
