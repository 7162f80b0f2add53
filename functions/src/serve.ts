import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { createCloudApi } from './cloud.js';
import { registerApiFunction } from './index.js';
import { registerSchedulesFunction } from './schedules-function.js';

/**
 * Serves the Cloud Functions locally through the functions framework (its Express server, its
 * body parsing and its Pub/Sub push conversion), bound to loopback: the framework's own CLI
 * listens on every interface. Environment: as in the cloud (GoogleEnv, FunctionsEnv) plus
 * API_PORT and SCHEDULES_PORT (default 0: free ports). Prints one JSON line with the URLs when ready.
 */
const cloud = await createCloudApi(process.env);
registerApiFunction(cloud.deps);
registerSchedulesFunction({
  store: cloud.deps.store,
  scheduler: cloud.deps.scheduler,
  bus: cloud.deps.bus,
  clock: cloud.deps.clock,
  placement: cloud.deps.placement,
  log: (msg, details) => console.error(JSON.stringify({ level: 'warn', msg, ...details })),
});

const listen = (server: Server, port: number) =>
  new Promise<string>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`));
  });
const api = getTestServer('api');
const apiUrl = await listen(api, Number(process.env.API_PORT ?? 0));
// Pub/Sub pushes what Cloud Scheduler publishes here (push endpoint .../projects/P/topics/agent-schedules).
const schedules = getTestServer('schedules');
const schedulesUrl = await listen(schedules, Number(process.env.SCHEDULES_PORT ?? 0));
process.stdout.write(`${JSON.stringify({ ready: true, api: apiUrl, schedules: schedulesUrl })}\n`);

const shutdown = () => {
  api.close();
  schedules.close();
  cloud.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
