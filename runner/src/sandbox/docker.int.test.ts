import { randomBytes } from 'node:crypto';
import path from 'node:path';
import Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import { describeSandboxContract, run } from '../../../test/contracts/sandbox.contract.js';
import { createLogger } from '../log.js';
import { DockerRuntime } from './docker.js';

const claudeBinary = path.resolve('node_modules/@anthropic-ai/claude-agent-sdk-linux-x64/claude');
const image = process.env.SANDBOX_IMAGE ?? 'agent-platform/workspace:latest';

async function makeRuntime(extra: Partial<ConstructorParameters<typeof DockerRuntime>[0]> = {}) {
  const docker = new Docker();
  await docker.ping().catch((e: Error) => {
    throw new Error(`No Docker engine answers (${e.message}). Run docker/ensure-docker.sh, then docker/workspace/build-offline.sh.`);
  });
  const runtime = new DockerRuntime({
    docker,
    image,
    network: { name: 'bridge', gateway: '172.17.0.1' },
    instance: `t${randomBytes(4).toString('hex')}`,
    claudeBinary,
    idleMs: 0,
    log: createLogger('error'),
    ...extra,
  });
  await runtime.init();
  return runtime;
}

describeSandboxContract(
  'docker',
  async () => {
    const runtime = await makeRuntime();
    return { runtime, cleanup: () => runtime.destroyAll() };
  },
  { isolatesUsers: true },
);
