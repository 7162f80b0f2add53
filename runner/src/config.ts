import path from 'node:path';
import { z } from 'zod';

const ms = (def: number) => z.coerce.number().int().min(0).default(def);

/** The whole configuration of a runner process, read once from the environment at start-up. */
export const RunnerConfig = z
  .object({
    PORT: z.coerce.number().int().min(0).max(65535).default(8080),
    /** Loopback by default: the local app has one user and must not be reachable from elsewhere. */
    HOST: z.string().default('127.0.0.1'),
    DATA_DIR: z.string().default('./.data'),
    ANTHROPIC_API_KEY: z.string().optional(),
    ANTHROPIC_AUTH_TOKEN: z.string().optional(),
    /** Any Anthropic-compatible gateway; the Anthropic API when unset. */
    ANTHROPIC_BASE_URL: z.url().optional(),
    /** The Claude model to use; Claude Code's default when unset. */
    CLAUDE_MODEL: z.string().optional(),
    /** A Claude process with no turn for this long is ended; the next message resumes it. */
    SESSION_IDLE_MS: ms(10 * 60_000),
    SANDBOX: z.enum(['auto', 'host']).default('auto'),
    /** Fixes the local sign-in token (otherwise kept in DATA_DIR/signin-token). */
    SIGNIN_TOKEN: z.string().min(16).optional(),
    /** Where the built web app is; served at / when it exists. */
    WEB_DIST: z.string().default('web/dist'),
    LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
    /** Each user's model spending limit per calendar month (UTC), in USD; unset means no limit. */
    MONTHLY_BUDGET_USD: z.preprocess(
      // `MONTHLY_BUDGET_USD=` (empty) means unset, not a budget of 0 that refuses every request.
      (v) => (v === '' ? undefined : v),
      z.coerce.number().finite().min(0).optional(),
    ),
    /** Port of the model proxy that sandboxes call instead of the model API; 0 picks a free one. */
    MODEL_PROXY_PORT: z.coerce.number().int().min(0).max(65535).default(0),
  })
  .transform((c) => ({
    port: c.PORT,
    host: c.HOST,
    dataDir: path.resolve(c.DATA_DIR),
    model: {
      apiKey: c.ANTHROPIC_API_KEY ?? c.ANTHROPIC_AUTH_TOKEN,
      baseUrl: c.ANTHROPIC_BASE_URL,
      name: c.CLAUDE_MODEL,
      /** A base URL alone is enough: local gateways may take any key. */
      configured: Boolean(c.ANTHROPIC_API_KEY || c.ANTHROPIC_AUTH_TOKEN || c.ANTHROPIC_BASE_URL),
    },
    sessionIdleMs: c.SESSION_IDLE_MS,
    sandbox: c.SANDBOX,
    signInToken: c.SIGNIN_TOKEN,
    webDist: path.resolve(c.WEB_DIST),
    logLevel: c.LOG_LEVEL,
    modelProxy: {
      port: c.MODEL_PROXY_PORT,
      monthlyBudgetUsd: c.MONTHLY_BUDGET_USD,
      /** Where the proxy forwards to, with which credential (kept apart: they go in different headers). */
      upstreamUrl: c.ANTHROPIC_BASE_URL ?? 'https://api.anthropic.com',
      upstreamApiKey: c.ANTHROPIC_API_KEY,
      upstreamAuthToken: c.ANTHROPIC_API_KEY ? undefined : c.ANTHROPIC_AUTH_TOKEN,
    },
  }));
export type RunnerConfig = z.output<typeof RunnerConfig>;

export function loadConfig(env: NodeJS.ProcessEnv): RunnerConfig {
  const parsed = RunnerConfig.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n');
    throw new Error(`Invalid configuration:\n${lines}`);
  }
  return parsed.data;
}
