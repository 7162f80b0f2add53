/**
 * The platform on the bubblewrap runtime (machines without a Docker engine): Claude Code runs as
 * uid 1000 in its own namespaces, reaches the model through the proxy with a sandbox token, and
 * sees neither the upstream key nor the runner's data.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { modelEnv, startTestPlatform, type TestPlatform } from '../fixtures/platform.js';
import { type ScriptedModel, startScriptedModel, toolResults } from '../fixtures/scripted-model.js';

const UPSTREAM_KEY = `sk-ant-upstream-${randomBytes(12).toString('hex')}`;
let model: ScriptedModel;
let test: TestPlatform;

beforeAll(async () => {
  model = await startScriptedModel({ requireApiKey: UPSTREAM_KEY });
  test = await startTestPlatform({ ...modelEnv(model.url), ANTHROPIC_API_KEY: UPSTREAM_KEY, SANDBOX: 'bubblewrap' });
});

afterAll(async () => {
  await test?.close();
  await model?.close();
});

it('runs Claude as uid 1000 without the key, out of sight of the runner data', async () => {
  expect(test.platform.sandboxes.runtime.kind).toBe('bubblewrap');
  const dataDir = test.platform.dataDir;
  let output = '';
  model.script([
    {
      toolUse: [
        {
          name: 'Bash',
          input: {
            command: `id -u; pwd; ls ${dataDir} 2>&1 | head -1; cat ${dataDir}/platform.db 2>&1 | head -c 300; env | grep -c ANTHROPIC_API_KEY=ap-sbx-`,
          },
        },
      ],
    },
    (req) => {
      output = toolResults(req)[0]?.text ?? '';
      return { text: 'done' };
    },
  ]);
  const sessionId = await test.client.createSession();
  const ws = await test.client.connect();
  ws.subscribe(sessionId);
  const m = await test.client.send(sessionId, 'probe');
  await ws.waitForEvent((e) => e.type === 'turn.result' && e.messageId === m);
  expect(model.failures).toEqual([]);
  const lines = output.trim().split('\n');
  expect(lines[0]).toBe('1000');
  expect(lines[1]).toBe('/home/agent/workspace');
  expect(lines[2]).toMatch(/No such file or directory/);
  expect(lines[3]).toMatch(/No such file or directory/);
  expect(lines[4]).toBe('1');
  expect(output).not.toContain(UPSTREAM_KEY);
  // The data folder is traversable for the sandbox's uid, so what is in it is owner-only.
  for (const f of readdirSync(dataDir)) {
    const st = statSync(path.join(dataDir, f));
    if (st.isFile()) expect([f, st.mode & 0o077]).toEqual([f, 0]);
  }
});
