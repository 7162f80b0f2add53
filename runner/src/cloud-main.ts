import { GoogleEnv, parseEnv } from '@agent-platform/core/google-env';
import { startCloudRunner } from './cloud.js';
import { loadConfig, PoolConfig } from './config.js';

// The entry point of a runner of the cloud pool: config is read once here and passed down.
const runner = await startCloudRunner(
  loadConfig(process.env),
  parseEnv(PoolConfig, process.env),
  parseEnv(GoogleEnv, process.env),
);
process.stdout.write(`runner ${runner.runnerId} ready at ${runner.url} (browsers: ${runner.wsUrl})\n`);

let stopping = false;
const shutdown = () => {
  if (stopping) return;
  stopping = true;
  runner.close().then(
    () => process.exit(0),
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
};
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
