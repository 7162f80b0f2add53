import { GoogleEnv, parseEnv } from '@agent-platform/core/google-env';
import { startCloudRunner } from './cloud.js';
import { loadConfig, PoolConfig } from './config.js';
import { closeOnSignals } from './shutdown.js';

// The entry point of a runner of the cloud pool: config is read once here and passed down.
const runner = await startCloudRunner(
  loadConfig(process.env),
  parseEnv(PoolConfig, process.env),
  parseEnv(GoogleEnv, process.env),
);
process.stdout.write(`runner ${runner.runnerId} ready at ${runner.url} (browsers: ${runner.wsUrl})\n`);

closeOnSignals(runner.close);
