import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createMemoryBus } from '@agent-platform/core/bus/memory';
import { type Clock, systemClock } from '@agent-platform/core/ports';
import { openSqliteStore } from '@agent-platform/core/store/sqlite';
import { createApi } from '@agent-platform/functions';
import { LocalAuth } from '@agent-platform/functions/auth/local';
import { getRequestListener } from '@hono/node-server';
import { Hono } from 'hono';
import type { RunnerConfig } from './config.js';
import { startRunnerEngine } from './engine.js';
import { securityHeaders, staticApp } from './http/static.js';
import { consumeJobs } from './jobs/consumer.js';
import { createLogger, type Logger } from './log.js';
import type { ModelProxy } from './proxy/server.js';
import type { SandboxTokens } from './proxy/tokens.js';
import type { SandboxSetup } from './sandbox/select.js';
import type { SessionManager } from './sessions/manager.js';
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
  const engine = await startRunnerEngine(config, {
    store,
    clock,
    log,
    env: deps.env ?? process.env,
    // One machine: transcripts stay on the sandbox's disk.
    keepTranscriptsInStore: false,
  });
  const { sandboxes, proxy, tokens, events, sessions } = engine;
  const runtime = sandboxes.runtime;
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
      await engine.close();
      await store.close();
    },
  };
}

export { claudeEnvironment } from './engine.js';
