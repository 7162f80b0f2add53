import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createPubSubBus } from '@agent-platform/core/bus/pubsub';
import type { GoogleEnv } from '@agent-platform/core/google-env';
import { type Clock, systemClock } from '@agent-platform/core/ports';
import { Topics } from '@agent-platform/core/protocol';
import { openFirestoreStore } from '@agent-platform/core/store/firestore';
import { FirebaseAuth } from '@agent-platform/functions/auth/firebase';
import type { PoolConfig, RunnerConfig } from './config.js';
import { type RunnerEngine, startRunnerEngine } from './engine.js';
import { consumeJobs } from './jobs/consumer.js';
import { createLogger, type Logger } from './log.js';
import { startRunNotifier } from './notify/notifier.js';
import { RunnerPresence } from './pool/presence.js';
import { attachWebSocket } from './ws/server.js';

export interface CloudRunner {
  runnerId: string;
  /** http://host:port of this runner (its WebSocket is at /ws, its health at /healthz). */
  url: string;
  wsUrl: string;
  engine: RunnerEngine;
  presence: RunnerPresence;
  server: Server;
  close(): Promise<void>;
}

/**
 * A runner of the cloud pool (a Compute Engine VM in production): Firestore, Pub/Sub, Firebase Auth
 * on the WebSocket, its own job subscription filtered on its id, a heartbeat in the Store, and
 * transcripts kept in the Store so its users can be moved to a peer if it dies.
 */
export async function startCloudRunner(
  config: RunnerConfig,
  pool: PoolConfig,
  google: GoogleEnv,
  deps: { clock?: Clock; log?: Logger; env?: NodeJS.ProcessEnv } = {},
): Promise<CloudRunner> {
  const clock = deps.clock ?? systemClock;
  const log = deps.log ?? createLogger(config.logLevel);
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const store = openFirestoreStore({ projectId: google.projectId, emulatorHost: google.firestoreEmulatorHost });
  const bus = await createPubSubBus({
    projectId: google.projectId,
    emulatorHost: google.pubsubEmulatorHost,
    runnerId: pool.runnerId,
    topics: [Topics.runnerJobs, Topics.runEvents],
  });
  const auth = new FirebaseAuth({ projectId: google.projectId, emulatorHost: google.authEmulatorHost });
  const placement = {
    place: async (userId: string) => ({ runnerId: (await store.placeUser(userId, clock.now())).runner.id }),
  };
  const engine = await startRunnerEngine(config, {
    store,
    bus,
    runnerId: pool.runnerId,
    placement,
    clock,
    log,
    env: deps.env ?? process.env,
    keepTranscriptsInStore: true,
  });

  const server = createServer((req, res) => {
    if (req.url === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: true, runnerId: pool.runnerId, activeSessions: engine.sessions.activeCount }));
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ code: 'NOT_FOUND', message: 'A runner serves only /ws and /healthz.' }));
  });
  // Placement is known once the presence exists; until then (start-up) nobody is admitted.
  let presence: RunnerPresence | undefined;
  const ws = attachWebSocket({
    server,
    auth,
    store,
    events: engine.events,
    log,
    admits: async (userId) => (presence ? presence.serves(userId) : false),
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${config.host}:${port}`;
  const wsUrl = pool.wsUrl ?? `ws://${config.host}:${port}/ws`;

  presence = new RunnerPresence({
    store,
    bus,
    clock,
    log,
    runnerId: pool.runnerId,
    wsUrl,
    capacity: pool.capacity,
    activeSessions: () => engine.sessions.activeCount,
    heartbeatMs: pool.heartbeatMs,
    leaseMs: pool.leaseMs,
    // A dead runner's running runs end as RUNNER_LOST (retried per policy); its moved users' queued
    // runs are sent to their new runners.
    onPeerLost: async (deadRunnerId, moved) => {
      const lost = await engine.runs.failLostRuns(deadRunnerId);
      const resent = moved.size > 0 ? await engine.runs.resendQueued(moved) : 0;
      if (lost + resent > 0) log.warn('runs of a lost runner recovered', { runner: deadRunnerId, lost, resent });
    },
  });
  await presence.start();
  const stopJobs = await consumeJobs({
    bus,
    subscription: `${Topics.runnerJobs}-${pool.runnerId}`,
    sessions: engine.sessions,
    runs: engine.runs,
    log,
    serves: (userId) => (presence as RunnerPresence).serves(userId),
  });
  // One shared subscription: each finished run is notified by one runner of the pool. Webhooks
  // never reach private addresses from the pool unless configured to.
  const stopNotifier = await startRunNotifier({
    bus,
    subscription: 'run-notifier',
    store,
    log,
    clock,
    allowPrivateNetworks: config.webhookAllowPrivate ?? false,
  });
  log.info('runner up', { runnerId: pool.runnerId, url, wsUrl });

  return {
    runnerId: pool.runnerId,
    url,
    wsUrl,
    engine,
    presence,
    server,
    close: async () => {
      await stopJobs();
      await stopNotifier();
      // Retired first: peers take the users over while this one finishes.
      await presence.stop({ retire: true });
      await engine.close();
      await ws.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await bus.close();
      await auth.close();
      await store.close();
    },
  };
}
