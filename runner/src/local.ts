import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { getuid } from 'node:process';
import { type Clock, systemClock } from '@agent-platform/core/ports';
import { createApi } from '@agent-platform/functions';
import { LocalAuth } from '@agent-platform/functions/auth/local';
import { getRequestListener } from '@hono/node-server';
import { Hono } from 'hono';
import { createMemoryBus } from '@agent-platform/core/bus/memory';
import type { RunnerConfig } from './config.js';
import { securityHeaders, staticApp } from './http/static.js';
import { consumeJobs } from './jobs/consumer.js';
import { createLogger, type Logger } from './log.js';
import { createModelProxy, type ModelProxy } from './proxy/server.js';
import { SandboxTokens } from './proxy/tokens.js';
import { type SandboxSetup, setUpSandboxes } from './sandbox/select.js';
import { EventLog } from './sessions/event-log.js';
import { SessionManager } from './sessions/manager.js';
import { openSqliteStore } from '@agent-platform/core/store/sqlite';
import { attachWebSocket } from './ws/server.js';

export const VERSION = '0.1.0';

export interface LocalPlatform {
  url: string;
  dataDir: string;
  signInUrl: string;
  auth: LocalAuth;
  sessions: SessionManager;
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
  // Sandboxes reach the model only through the proxy, with a token of their own: the real
  // credential stays in this process.
  const sandboxes = await setUpSandboxes(config, log);
  const runtime = sandboxes.runtime;
  const tokens = new SandboxTokens();
  const proxy = createModelProxy({
    ...config.modelProxy,
    tokens,
    store,
    clock,
    log,
    budget: { monthlyUsdLimit: config.modelProxy.monthlyBudgetUsd },
  });
  const proxyUrl = new URL(await proxy.listen(config.modelProxy.port, sandboxes.proxyHost));
  const proxyPort = Number(proxyUrl.port);
  await sandboxes.secure(proxyPort);
  runtime.watch((_userId, change) => {
    if (change.state === 'removed') tokens.revoke(change.sandboxId);
  });
  const baseEnv = claudeEnvironment(deps.env ?? process.env);
  const events = new EventLog(store, clock);
  const sessions = new SessionManager({
    store,
    events,
    runtime,
    clock,
    log,
    modelConfigured: config.model.configured,
    claudeEnv: (sandbox) => ({
      ...baseEnv,
      ANTHROPIC_BASE_URL: `http://${sandbox.runnerAddress}:${proxyPort}`,
      ANTHROPIC_API_KEY: tokens.issue(sandbox.userId, sandbox.sandboxId),
    }),
    model: config.model.name,
    idleMs: config.sessionIdleMs,
  });
  const stopJobs = await consumeJobs({ bus, subscription: 'runner-local', sessions, log });

  const api = createApi({
    store,
    bus,
    auth,
    localSignIn: auth,
    clock,
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
    store,
    server,
    sandboxes,
    proxy,
    tokens,
    close: async () => {
      await stopJobs();
      await sessions.close();
      await ws.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await bus.close();
      await sandboxes.close();
      await proxy.close();
      await store.close();
    },
  };
}

/**
 * The Claude Code process's environment, without the model endpoint: only what it needs, never this
 * process's whole environment (which holds the real API key).
 */
export function claudeEnvironment(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {
    PATH: env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    LANG: env.LANG ?? 'C.UTF-8',
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    DISABLE_AUTOUPDATER: '1',
  };
  // Claude Code refuses to skip permission prompts as root unless told it is sandboxed (the host
  // runtime as root; in Docker and bubblewrap it runs as uid 1000).
  if (getuid?.() === 0) out.IS_SANDBOX = '1';
  return out;
}
