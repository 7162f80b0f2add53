import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createMemoryBus } from '@agent-platform/core/bus/memory';
import { type Clock, systemClock } from '@agent-platform/core/ports';
import { LocalScheduler } from '@agent-platform/core/scheduler/local';
import { openSqliteStore } from '@agent-platform/core/store/sqlite';
import { createApi } from '@agent-platform/functions';
import { LocalAuth } from '@agent-platform/functions/auth/local';
import { runScheduled } from '@agent-platform/functions/services/schedules';
import { getRequestListener } from '@hono/node-server';
import { Hono } from 'hono';
import type { RunnerConfig } from './config.js';
import { startRunnerEngine } from './engine.js';
import { securityHeaders, staticApp } from './http/static.js';
import { consumeJobs } from './jobs/consumer.js';
import { createLogger, type Logger } from './log.js';
import { startRunNotifier } from './notify/notifier.js';
import type { ModelProxy } from './proxy/server.js';
import type { SandboxTokens } from './proxy/tokens.js';
import type { RunExecutor } from './runs/executor.js';
import type { SandboxSetup } from './sandbox/select.js';
import { AliveMark } from './scheduler/alive-mark.js';
import type { SessionManager } from './sessions/manager.js';
import { attachWebSocket } from './ws/server.js';

export const VERSION = '0.1.0';

/** The one runner of the one-machine composition. */
export const LOCAL_RUNNER_ID = 'local';

export interface LocalPlatform {
  url: string;
  dataDir: string;
  signInUrl: string;
  auth: LocalAuth;
  sessions: SessionManager;
  /** Headless agent runs. */
  runs: RunExecutor;
  store: ReturnType<typeof openSqliteStore>;
  server: Server;
  sandboxes: SandboxSetup;
  proxy: ModelProxy;
  tokens: SandboxTokens;
  close(): Promise<void>;
}

/**
 * The embedded, one-machine composition: SQLite store, in-process bus, local sign-in, host sandbox;
 * API, WebSocket and the built web app on one port.
 */
export async function startLocalPlatform(
  config: RunnerConfig,
  deps: { clock?: Clock; log?: Logger; env?: NodeJS.ProcessEnv } = {},
): Promise<LocalPlatform> {
  const clock = deps.clock ?? systemClock;
  const log = deps.log ?? createLogger(config.logLevel);
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const store = openSqliteStore({ file: path.join(config.dataDir, 'platform.db') });
  const bus = createMemoryBus();
  const auth = new LocalAuth({ dataDir: config.dataDir, signInToken: config.signInToken, clock });
  const engine = await startRunnerEngine(config, {
    store,
    bus,
    runnerId: LOCAL_RUNNER_ID,
    clock,
    log,
    env: deps.env ?? process.env,
    // One machine: transcripts stay on the sandbox's disk.
    keepTranscriptsInStore: false,
  });
  const { sandboxes, proxy, tokens, events, sessions, runs } = engine;
  const runtime = sandboxes.runtime;
  const stopJobs = await consumeJobs({ bus, subscription: 'runner-local', sessions, runs, log });

  // Runs this process left running when it stopped end as RUNNER_LOST (and are retried); queued
  // ones were lost with the in-process bus and are sent again.
  const lost = await runs.failLostRuns(LOCAL_RUNNER_ID);
  const resent = await runs.resendQueued();
  if (lost + resent > 0) log.info('runs recovered after a restart', { lost, resent });

  const scheduleDeps = { store, bus, clock, log: (msg: string, d?: Record<string, unknown>) => log.info(msg, d) };
  const scheduler = new LocalScheduler({
    clock,
    onRun: async (fire) => {
      await runScheduled(scheduleDeps, fire);
    },
    onRunError: (error, agentId) => log.error('a scheduled run could not start', { agentId, error }),
  });
  const alive = new AliveMark(path.join(config.dataDir, 'alive-at'), clock);
  const downSince = alive.read();
  for (const agent of await store.listScheduledAgents()) {
    if (!agent.schedule) continue;
    await scheduler
      .upsert({
        agentId: agent.id,
        ownerId: agent.ownerId,
        schedule: agent.schedule,
        // Fire times while the platform was down follow each agent's missed-run policy.
        ...(downSince !== null ? { missedSinceMs: Math.max(downSince, agent.updatedAt) } : {}),
      })
      .catch((error: unknown) => log.error('an agent schedule could not be armed', { agentId: agent.id, error }));
  }
  alive.start();
  // Webhooks and in-app notifications of finished runs. On one machine the person's own services
  // live on loopback and the private network, so webhooks may post there unless configured off.
  const stopNotifier = await startRunNotifier({
    bus,
    subscription: 'run-notifier',
    store,
    log,
    clock,
    allowPrivateNetworks: config.webhookAllowPrivate ?? true,
  });

  const api = createApi({
    store,
    bus,
    auth,
    localSignIn: auth,
    clock,
    scheduler,
    monthlyBudgetUsd: config.modelProxy.monthlyBudgetUsd ?? null,
    info: {
      version: VERSION,
      modelConfigured: config.model.configured,
      sandbox: runtime.kind,
      auth: { kind: 'local' },
    },
    log: (msg, err) => log.error(msg, { error: err }),
  });
  const web = staticApp(config.webDist);
  const app = new Hono();
  app.use('*', async (c, next) => {
    await next();
    for (const [k, v] of Object.entries(securityHeaders)) if (!c.res.headers.has(k)) c.res.headers.set(k, v);
  });
  app.route('/', api);
  app.all('*', (c) => web(c.req.raw));

  const server = createServer(getRequestListener(app.fetch));
  const ws = attachWebSocket({ server, auth, store, events, log });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${config.host}:${port}`;

  return {
    url,
    dataDir: config.dataDir,
    signInUrl: `${url}/?token=${auth.signInToken}`,
    auth,
    sessions,
    runs,
    store,
    server,
    sandboxes,
    proxy,
    tokens,
    close: async () => {
      alive.stop();
      await scheduler.close();
      await stopJobs();
      await stopNotifier();
      await sessions.close();
      await ws.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await bus.close();
      await engine.close();
      await store.close();
    },
  };
}

export { claudeEnvironment } from './engine.js';
