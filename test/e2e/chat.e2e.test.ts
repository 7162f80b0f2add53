/**
 * A person's first chat, in Debian's Chromium against `npm start` with the scripted model and the
 * Docker sandbox: sign in with the printed link, start a session, send a message, watch the reply
 * stream in with a tool card run in the user's container, reload, and find the whole conversation
 * again.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { removeDockerInstance } from '@agent-platform/runner/sandbox/select';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ScriptedModel, startScriptedModel } from '../fixtures/scripted-model.js';
import { launchChromium, type RunningApp, startApp } from './app-process.js';
import { SessionsPage, WorkspacePage } from './pages.js';

let model: ScriptedModel;
let app: RunningApp;
let browser: Browser;
let page: Page;
let dataDir: string;
// Its own containers and network, removed afterwards (a real runner keeps them for its next start).
const docker = { instance: `e2e${randomBytes(3).toString('hex')}`, network: `ap-e2e-${process.pid}` };

beforeAll(async () => {
  model = await startScriptedModel({ requireApiKey: 'e2e-key' });
  dataDir = mkdtempSync(path.join(tmpdir(), 'ap-e2e-'));
  app = await startApp({
    DATA_DIR: dataDir,
    ANTHROPIC_BASE_URL: model.url,
    ANTHROPIC_API_KEY: 'e2e-key',
    SANDBOX: 'docker',
    SANDBOX_INSTANCE: docker.instance,
    SANDBOX_NETWORK: docker.network,
  });
  browser = await launchChromium();
  page = await browser.newPage();
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await app?.stop();
  await removeDockerInstance(docker);
  await model?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('chatting in the browser', () => {
  it('signs in, chats with a streamed reply and a tool card, and restores it all after a reload', async () => {
    expect(app.output()).toContain('Sandbox: docker.');
    await page.goto(app.signInUrl);
    const sessions = new SessionsPage(page);
    await sessions.newSessionButton().waitFor();
    // The token does not stay in the address bar.
    expect(page.url()).not.toContain('token=');

    const workspace = await sessions.createSession();
    const words = ['I ', 'will ', 'compute ', 'it ', 'with ', 'Python.'];
    model.script([
      {
        chunks: words,
        chunkDelayMs: 150,
        // 42 only as the sandbox's user (uid 1000), never as this root test process.
        toolUse: [
          { name: 'Bash', input: { command: 'python3 -c "import os; print(6*7 if os.getuid() == 1000 else -1)"' } },
        ],
      },
      { text: 'The answer is **42**.' },
    ]);
    await workspace.send('What is 6 times 7? Use Python.');
    await expect.poll(() => workspace.userMessages().first().innerText()).toContain('What is 6 times 7?');

    // Streaming: part of the reply is on screen before the model has finished writing it.
    await expect
      .poll(() => workspace.assistantMessages().first().innerText(), { timeout: 30_000 })
      .toContain('compute');
    const early = await workspace.assistantMessages().first().innerText();
    expect(early).not.toContain('Python.');

    await expect.poll(() => workspace.assistantMessages().last().innerText(), { timeout: 30_000 }).toContain('42');
    await expect.poll(() => workspace.toolCards().count()).toBe(1);
    // The user's container was started for this turn, and the status line said so.
    await expect.poll(() => page.locator('[data-testid="sandbox-status"]').getAttribute('data-state')).toBe('ready');
    expect(await page.locator('[data-testid="host-sandbox-warning"]').count()).toBe(0);
    expect(await workspace.toolCard(0)).toEqual({ name: 'Bash', output: '42' });
    await expect.poll(() => workspace.turnUsage().count()).toBeGreaterThan(0);
    // Markdown is rendered, not shown raw.
    expect(await workspace.assistantMessages().last().locator('strong').innerText()).toBe('42');

    await page.reload();
    const restored = new WorkspacePage(page);
    await expect.poll(() => restored.userMessages().count(), { timeout: 15_000 }).toBe(1);
    expect(await restored.userMessages().first().innerText()).toContain('What is 6 times 7?');
    const texts = await restored.assistantMessages().allInnerTexts();
    expect(texts.join('\n')).toContain('I will compute it with Python.');
    expect(texts.join('\n')).toContain('The answer is 42.');
    expect(await restored.toolCard(0)).toEqual({ name: 'Bash', output: '42' });
    await expect.poll(() => restored.connection().getAttribute('data-state')).toBe('connected');
    expect(model.failures).toEqual([]);
  });
});
