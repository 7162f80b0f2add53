import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config.js';

describe('model proxy configuration', () => {
  it('has no budget and a free port by default, forwarding to the Anthropic API', () => {
    expect(loadConfig({}).modelProxy).toEqual({
      port: 0,
      monthlyBudgetUsd: undefined,
      upstreamUrl: 'https://api.anthropic.com',
      upstreamApiKey: undefined,
      upstreamAuthToken: undefined,
    });
  });

  it('reads the budget, the port and the upstream credential', () => {
    const c = loadConfig({
      MONTHLY_BUDGET_USD: '12.5',
      MODEL_PROXY_PORT: '9100',
      ANTHROPIC_BASE_URL: 'http://127.0.0.1:4000/gw',
      ANTHROPIC_AUTH_TOKEN: 'bearer-secret',
    });
    expect(c.modelProxy).toEqual({
      port: 9100,
      monthlyBudgetUsd: 12.5,
      upstreamUrl: 'http://127.0.0.1:4000/gw',
      upstreamApiKey: undefined,
      upstreamAuthToken: 'bearer-secret',
    });
    // An API key wins, as it does for Claude Code itself; the proxy sends one credential only.
    const both = loadConfig({ ANTHROPIC_API_KEY: 'key', ANTHROPIC_AUTH_TOKEN: 'bearer' }).modelProxy;
    expect([both.upstreamApiKey, both.upstreamAuthToken]).toEqual(['key', undefined]);
  });

  it('treats an empty budget as unset and 0 as a budget that refuses everything', () => {
    expect(loadConfig({ MONTHLY_BUDGET_USD: '' }).modelProxy.monthlyBudgetUsd).toBeUndefined();
    expect(loadConfig({ MONTHLY_BUDGET_USD: '0' }).modelProxy.monthlyBudgetUsd).toBe(0);
  });

  it.each(['-1', 'ten', 'Infinity'])('refuses MONTHLY_BUDGET_USD=%s, naming the variable', (bad) => {
    expect(() => loadConfig({ MONTHLY_BUDGET_USD: bad })).toThrow(/MONTHLY_BUDGET_USD/);
  });

  it('refuses a port out of range', () => {
    expect(() => loadConfig({ MODEL_PROXY_PORT: '70000' })).toThrow(/MODEL_PROXY_PORT/);
  });
});
