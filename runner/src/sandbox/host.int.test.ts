import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describeSandboxContract } from '../../../test/contracts/sandbox.contract.js';
import { HostRuntime } from './host.js';

// The host runtime keeps users apart by folder only; it is for one local user.
describeSandboxContract(
  'host',
  async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ap-host-sbx-'));
    return {
      runtime: new HostRuntime({ dataDir: dir }),
      cleanup: async () => rmSync(dir, { recursive: true, force: true }),
    };
  },
  { isolatesUsers: false },
);
