/**
 * A person's first agent, in Debian's Chromium against `npm start` with the scripted model and the
 * Docker sandbox: design it by chatting (Claude proposes it with its tool, the preview panel shows
 * it, Claude saves it), find it on the dashboard with its next run, run it now, watch the run page
 * stream it live, and read its result, its CSV file as a table, and its cost.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { removeDockerInstance } from '@agent-platform/runner/sandbox/select';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoTurn, type ScriptedModel, startScriptedModel } from '../fixtures/scripted-model.js';
import { launchChromium, type RunningApp, startApp } from './app-process.js';
import { AgentPreview, AgentsPage, Navigation, RunPage } from './pages.js';

let model: ScriptedModel;
let app: RunningApp;
let browser: Browser;
let page: Page;
let dataDir: string;
const docker = { instance: `e2a${randomBytes(3).toString('hex')}`, network: `ap-e2a-${process.pid}` };

beforeAll(async () => {
  model = await startScriptedModel({ requireApiKey: 'e2e-key' });
  // The demo behaviour a person gets without a key: it designs an agent from their words, and an
  // agent's run writes result.csv. The run streams slowly enough to be seen while it runs.
  model.fallback = (req) => {
    const turn = demoTurn(req);
    const isRun = JSON.stringify(req.body?.system ?? '').includes('Unattended run of the agent');
    return isRun ? { ...turn, chunkDelayMs: 250 } : turn;
  };
  dataDir = mkdtempSync(path.join(tmpdir(), 'ap-e2a-'));
  app = await startApp({
    DATA_DIR: dataDir,
    ANTHROPIC_BASE_URL: model.url,
    ANTHROPIC_API_KEY: 'e2e-key',
    SANDBOX: 'docker',
    SANDBOX_INSTANCE: docker.instance,
    SANDBOX_NETWORK: docker.network,
  });
  browser = await launchChromium();
  page = await browser.newPage({ baseURL: app.url, viewport: { width: 1400, height: 900 } });
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await app?.stop();
  await removeDockerInstance(docker);
  await model?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

const NAME = 'Send me a weekly sales summary';

describe('an agent, from a conversation to its runs', () => {
  it('is designed in chat, listed with its next run, run now and watched live, with result, files and cost', async () => {
    await page.goto(app.signInUrl);
    const nav = new Navigation(page);
    await nav.open('agents');
    const agents = new AgentsPage(page);
    await agents.emptyState().waitFor();

    // Designing: Claude proposes the agent with its tool; the preview panel shows it.
    const chat = await agents.newAgent();
    const preview = new AgentPreview(page);
    await preview.waitForState('empty');
    await chat.send(NAME);
    await preview.waitForState('draft', 90_000);
    await expect.poll(() => preview.name().innerText()).toBe(NAME);
    await expect.poll(() => preview.schedule().innerText()).toMatch(/Monday.*08:00.*Asia\/Seoul/);
    await expect.poll(() => preview.nextRuns().count()).toBe(3);
    expect(await preview.steps().count()).toBe(3);

    // Saving: the person says so, Claude calls save_agent, the panel links to the agent.
    await chat.send('save');
    await preview.waitForState('saved', 90_000);
    await expect.poll(() => chat.assistantMessages().last().innerText()).toContain('Agents');

    // The dashboard lists it with its schedule in words and its next run.
    await nav.open('agents');
    const card = agents.card(NAME);
    await card.waitFor();
    expect(await card.getByTestId('agent-schedule').innerText()).toMatch(/Monday/);
    expect((await card.getByTestId('agent-next-run').innerText()).trim()).not.toBe('');

    // Run now: the run page streams it while it runs, in the user's container.
    await agents.runNow(NAME);
    const run = new RunPage(page);
    await run.root().waitFor();
    await expect
      .poll(async () => ({ status: await run.status(), text: await run.assistantMessages().count() }), {
        timeout: 90_000,
        interval: 100,
      })
      .toEqual({ status: 'running', text: 1 });
    await run.waitForStatus('succeeded', 90_000);
    await expect.poll(() => run.result().innerText()).toContain('result.csv');
    expect(await run.toolCards().count()).toBeGreaterThanOrEqual(1);
    expect(await run.cost().innerText()).toMatch(/\$\d/);

    // Its file: listed with its size, and opened as a table.
    const runId = decodeURIComponent(new URL(page.url()).pathname.split('/').pop() ?? '');
    const agentHref = await run.agentLink().getAttribute('href');
    const agentId = decodeURIComponent(agentHref?.split('/').pop() ?? '');
    expect(runId).not.toBe('');
    const csv = `~/agents/${agentId}/result.csv`;
    await run.file(csv).waitFor();
    expect(await run.file(csv).getAttribute('data-stored')).toBe('true');
    const viewer = await run.openFile(csv);
    const table = viewer.getByTestId('run-file-table');
    await table.waitFor();
    expect(await table.locator('tr').count()).toBe(4);
    expect(await table.innerText()).toContain('north');

    // Back on the dashboard, the card shows the last run and what the month cost.
    await nav.open('agents');
    await expect.poll(() => agents.lastRunStatus(NAME)).toBe('succeeded');
    expect(await agents.card(NAME).getByTestId('agent-month-cost').innerText()).toMatch(/\$\d/);
  }, 300_000);
});
