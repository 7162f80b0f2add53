/**
 * Designing an agent by conversation, for real: an agent-create session's Claude Code process (the
 * real CLI through the real Agent SDK) calls the runner's in-process MCP tools propose_agent and
 * save_agent; the proposal and the saved agent reach the browser as events, and the agent the store.
 */
import type { Session } from '@agent-platform/core/domain';
import type { SessionEvent } from '@agent-platform/core/protocol';
import type { LocalPlatform } from '@agent-platform/runner/local';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { modelEnv, startTestPlatform, type TestPlatform } from '../fixtures/platform.js';
import type { EventStream, PlatformClient } from '../fixtures/platform-client.js';
import {
  type RecordedRequest,
  type ScriptedModel,
  startScriptedModel,
  toolResults,
} from '../fixtures/scripted-model.js';

let model: ScriptedModel;
let test: TestPlatform;
let platform: LocalPlatform;
let client: PlatformClient;

beforeAll(async () => {
  model = await startScriptedModel();
  test = await startTestPlatform(modelEnv(model.url));
  ({ platform, client } = test);
});

afterAll(async () => {
  await test?.close();
  await model?.close();
});

afterEach(() => {
  // A scripted turn's own assertion failing must fail the test that scripted it.
  const failures = [...model.failures];
  model.reset();
  expect(failures).toEqual([]);
});

const turnEnd = (messageId: string) => (e: SessionEvent) => e.type === 'turn.result' && e.messageId === messageId;
const toolNames = (req: RecordedRequest): string[] => (req.body?.tools ?? []).map((t) => t.name);
const systemText = (req: RecordedRequest): string => JSON.stringify(req.body?.system ?? '');

const PROPOSE = 'mcp__agent__propose_agent';
const SAVE = 'mcp__agent__save_agent';

const proposal = {
  name: 'Weekly sales report',
  description: 'Sums last week’s sales by region.',
  instructions: 'Run python3 weekly-sales/report.py in the workspace and keep report.md next to it.',
  schedule: { cron: '0 8 * * 1', timeZone: 'Asia/Seoul' },
  steps: ['Read sales.csv', 'Sum by region', 'Write report.md'],
  limits: { maxUsd: 0.5 },
};

async function openSession(context: 'agent-create' | 'workspace'): Promise<{ session: Session; ws: EventStream }> {
  const res = await client.request('POST', '/api/sessions', { context });
  expect(res.status).toBe(201);
  const session = (res.body as { session: Session }).session;
  expect(session.context).toBe(context);
  const ws = await client.connect();
  ws.subscribe(session.id);
  await ws.waitForFrame((f) => f.type === 'subscribed');
  return { session, ws };
}

describe('an agent-create conversation', () => {
  it('corrects an invalid proposal, shows a valid one and saves it as an agent', async () => {
    const { session, ws } = await openSession('agent-create');

    model.script([
      {
        expect: (req) => {
          // The session has the agent tools and the design prompt.
          expect(toolNames(req)).toEqual(expect.arrayContaining([PROPOSE, SAVE]));
          expect(systemText(req)).toContain('Designing an agent with the person');
        },
        text: 'Let me propose it.',
        toolUse: [
          { name: PROPOSE, input: { ...proposal, schedule: { cron: 'every monday', timeZone: 'Asia/Seoul' } } },
        ],
      },
      {
        expect: (req) => {
          const [result] = toolResults(req);
          expect(result?.isError).toBe(true);
          expect(result?.text).toContain('schedule.cron:');
          expect(result?.text).toContain('call propose_agent again');
        },
        toolUse: [{ name: PROPOSE, input: proposal }],
      },
      {
        expect: (req) => {
          const [result] = toolResults(req);
          expect(result?.isError).toBe(false);
          expect(result?.text).toContain('every Monday at 08:00 (Asia/Seoul)');
          expect(result?.text).toMatch(/Next runs \(Asia\/Seoul\): Mon \d{4}-\d\d-\d\d 08:00, Mon/);
        },
        text: 'Here is the agent: it runs every Monday at 08:00. Shall I save it?',
      },
    ]);
    const m1 = await client.send(session.id, 'Every Monday at 8, sum last week’s sales by region.');
    await ws.waitForEvent(turnEnd(m1), 90_000);

    const proposals = ws.events.filter((e) => e.type === 'agent.proposal');
    expect(proposals).toHaveLength(1); // the invalid one made none
    const shown = proposals[0] as Extract<SessionEvent, { type: 'agent.proposal' }>;
    expect(shown.messageId).toBe(m1);
    expect(shown.scheduleText.en).toBe('every Monday at 08:00 (Asia/Seoul)');
    expect(shown.scheduleText.ko).toContain('월요일');
    expect(shown.steps).toEqual(proposal.steps);
    expect(shown.nextRuns).toHaveLength(3);
    const now = Date.now();
    expect(shown.nextRuns[0]).toBeGreaterThan(now - 60_000);
    expect(shown.nextRuns[1]! - shown.nextRuns[0]!).toBe(7 * 24 * 3600 * 1000);
    expect(shown.draft).toMatchObject({
      name: proposal.name,
      schedule: { cron: '0 8 * * 1', timeZone: 'Asia/Seoul', enabled: true },
      limits: { maxUsd: 0.5 },
    });

    model.script([
      { toolUse: [{ name: SAVE, input: {} }] },
      (req) => {
        const [result] = toolResults(req);
        expect(result?.isError).toBe(false);
        const id = /with id ([0-9a-f-]{36})/.exec(result?.text ?? '')?.[1];
        expect(id).toBeTruthy();
        return { text: `Saved as ${id}.` };
      },
    ]);
    const m2 = await client.send(session.id, 'Yes, save it.');
    await ws.waitForEvent(turnEnd(m2), 90_000);

    const saved = ws.events.find((e) => e.type === 'agent.saved') as
      | Extract<SessionEvent, { type: 'agent.saved' }>
      | undefined;
    expect(saved).toMatchObject({ messageId: m2, name: proposal.name });
    const agents = await platform.store.listAgents(session.ownerId);
    expect(agents).toHaveLength(1);
    expect(agents[0]).toMatchObject({
      id: saved?.agentId,
      ownerId: session.ownerId,
      name: proposal.name,
      description: proposal.description,
      instructions: proposal.instructions,
      schedule: { cron: '0 8 * * 1', timeZone: 'Asia/Seoul', enabled: true, missedRunPolicy: 'skip' },
      limits: { maxUsd: 0.5 },
      notifications: { webhookUrl: null, inApp: true, webhookSecretLast4: null },
      status: 'active',
      version: 1,
    });
    // Stored in order with the turn's other events, as streamed.
    const stored = await platform.store.listEvents(session.id, -1);
    expect(stored.map((e) => e.seq)).toEqual(stored.map((_, i) => i));
    expect(stored.filter((e) => e.type.startsWith('agent.'))).toEqual(
      ws.events.filter((e) => e.type.startsWith('agent.')),
    );
    ws.close();
  });
});

describe('a workspace conversation', () => {
  it('has neither the agent tools nor the design prompt', async () => {
    const { session, ws } = await openSession('workspace');
    model.script([
      {
        expect: (req) => {
          expect(toolNames(req)).toContain('Bash');
          expect(toolNames(req).filter((n) => n.startsWith('mcp__agent__'))).toEqual([]);
          expect(systemText(req)).not.toContain('Designing an agent');
        },
        text: 'Hello.',
      },
    ]);
    const m = await client.send(session.id, 'hello');
    await ws.waitForEvent(turnEnd(m), 90_000);
    expect(ws.events.some((e) => e.type === 'error')).toBe(false);
    ws.close();
  });
});
