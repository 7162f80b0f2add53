import path from 'node:path';
import { parseEnv } from '@agent-platform/core/google-env';
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
    /** auto: Docker when an engine answers, else bubblewrap when installed, else the host. */
    SANDBOX: z.enum(['auto', 'docker', 'bubblewrap', 'host']).default('auto'),
    SANDBOX_IMAGE: z.string().min(1).default('agent-platform/workspace:latest'),
    SANDBOX_MEMORY_MB: z.coerce.number().int().min(64).default(1024),
    SANDBOX_CPUS: z.coerce.number().positive().max(64).default(1),
    SANDBOX_PIDS: z.coerce.number().int().min(16).default(256),
    /** A sandbox container with no Claude process for this long is stopped (files kept); 0: never. */
    SANDBOX_IDLE_MS: ms(15 * 60_000),
    /** Started, unassigned containers kept ready so a new user's first sandbox is instant. */
    SANDBOX_WARM_POOL: z.coerce.number().int().min(0).max(50).default(0),
    SANDBOX_NETWORK: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/)
      .default('agent-platform-sandboxes'),
    /** The sandbox network's subnet (CIDR); Docker picks a free one when unset. */
    SANDBOX_SUBNET: z
      .string()
      .regex(/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/, 'a CIDR such as 172.30.0.0/24')
      .optional(),
    /** Names this runner's containers (ap-<instance>-...), so two runners on one engine stay apart. */
    SANDBOX_INSTANCE: z
      .string()
      .regex(/^[a-z0-9]{1,16}$/, 'lowercase letters and digits, up to 16')
      .default('local'),
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
    /** Agent runs at once on this runner; further runs wait for a slot. */
    RUNS_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(4),
    /** The wait before the first automatic retry of a run that failed on the platform (then ×4). */
    RUN_RETRY_BASE_MS: ms(15_000),
    /**
     * Webhooks may post to loopback and private addresses. On one machine (the default there) the
     * person's own services are on them; in the cloud pool they must not be reachable (off by default).
     */
    WEBHOOK_ALLOW_PRIVATE: z.enum(['true', 'false']).optional(),
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
    runs: { concurrency: c.RUNS_CONCURRENCY, retryBaseMs: c.RUN_RETRY_BASE_MS },
    /** Undefined: the composition's default (allowed on one machine, refused in the pool). */
    webhookAllowPrivate: c.WEBHOOK_ALLOW_PRIVATE === undefined ? undefined : c.WEBHOOK_ALLOW_PRIVATE === 'true',
    sandbox: {
      kind: c.SANDBOX,
      image: c.SANDBOX_IMAGE,
      limits: { memoryBytes: c.SANDBOX_MEMORY_MB * 1024 * 1024, cpus: c.SANDBOX_CPUS, pids: c.SANDBOX_PIDS },
      idleMs: c.SANDBOX_IDLE_MS,
      warmPool: c.SANDBOX_WARM_POOL,
      network: c.SANDBOX_NETWORK,
      subnet: c.SANDBOX_SUBNET,
      instance: c.SANDBOX_INSTANCE,
    },
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
  return parseEnv(RunnerConfig, env);
}

/** What a runner of the cloud pool adds to RunnerConfig. */
export const PoolConfig = z
  .object({
    /** This runner's id in the pool (the instance name on Compute Engine). */
    RUNNER_ID: z.string().regex(/^[A-Za-z0-9._~-]{1,64}$/, 'letters, digits and . _ ~ -, up to 64'),
    /** Where browsers open this runner's WebSocket; default ws://HOST:PORT/ws. */
    RUNNER_WS_URL: z
      .url()
      .refine((u) => /^wss?:/.test(u), 'a ws:// or wss:// URL')
      .optional(),
    /** Users this runner takes at most. */
    RUNNER_CAPACITY: z.coerce.number().int().min(1).max(10_000).default(50),
    RUNNER_HEARTBEAT_MS: z.coerce.number().int().min(100).default(5000),
    /** A runner silent this long is taken over by a peer (at least two heartbeats). */
    RUNNER_LEASE_MS: z.coerce.number().int().min(300).default(15_000),
  })
  .refine((c) => c.RUNNER_LEASE_MS >= 2 * c.RUNNER_HEARTBEAT_MS, {
    message: 'RUNNER_LEASE_MS must be at least two heartbeats',
    path: ['RUNNER_LEASE_MS'],
  })
  .transform((c) => ({
    runnerId: c.RUNNER_ID,
    wsUrl: c.RUNNER_WS_URL,
    capacity: c.RUNNER_CAPACITY,
    heartbeatMs: c.RUNNER_HEARTBEAT_MS,
    leaseMs: c.RUNNER_LEASE_MS,
  }));
export type PoolConfig = z.output<typeof PoolConfig>;
