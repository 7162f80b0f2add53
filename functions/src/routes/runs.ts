import type { AgentRun } from '@agent-platform/core/domain';
import { AppError } from '@agent-platform/core/errors';
import type { Principal } from '@agent-platform/core/ports';
import { type RunFileContent, RunFileQuery, type RunResponse, StartRunBody } from '@agent-platform/core/protocol';
import type { Context, Hono } from 'hono';
import type { BlankSchema } from 'hono/types';
import type { ApiEnv } from '../app.js';
import { parseJsonBody, parseQuery } from '../http/parse.js';
import { publishRunFinished, type RunStartDeps, startRun } from '../services/runs.js';

/** Run now, read, cancel and retry runs, and open the files a run made. */
export function registerRunRoutes(app: Hono<ApiEnv, BlankSchema, '/api'>, deps: RunStartDeps): void {
  const { store, clock } = deps;

  const ownedAgent = async (principal: Principal, id: string) => {
    const agent = id.length <= 128 ? await store.getAgent(principal.userId, id) : null;
    if (!agent) throw new AppError('NOT_FOUND', `No agent ${id.slice(0, 128)} for this account.`);
    return agent;
  };

  const ownedRun = async (principal: Principal, id: string): Promise<AgentRun> => {
    const run = id.length <= 128 ? await store.getRun(principal.userId, id) : null;
    if (!run) throw new AppError('NOT_FOUND', `No run ${id.slice(0, 128)} for this account.`);
    return run;
  };

  const answer = async (run: AgentRun): Promise<RunResponse> => ({
    run,
    agentName: run.agentDeleted ? null : ((await store.getAgent(run.ownerId, run.agentId))?.name ?? null),
  });

  /** The body is optional here: a POST without one (curl -X POST) means no request id. */
  const optionalBody = async (c: Context<ApiEnv>): Promise<StartRunBody> => {
    const length = c.req.header('content-length');
    if (!c.req.header('content-type') && (length === undefined || length === '0')) return {};
    return parseJsonBody(c, StartRunBody);
  };

  app.post('/agents/:id/runs', async (c) => {
    const body = await optionalBody(c);
    const agent = await ownedAgent(c.get('principal'), c.req.param('id'));
    const { run, created } = await startRun(deps, agent, { trigger: 'manual', requestId: body.requestId });
    return c.json(await answer(run), created ? 202 : 200);
  });

  app.get('/runs/:id', async (c) => c.json(await answer(await ownedRun(c.get('principal'), c.req.param('id')))));

  app.post('/runs/:id/cancel', async (c) => {
    const run = await ownedRun(c.get('principal'), c.req.param('id'));
    // Queued: it never starts. Running: its runner sees the status within seconds and stops Claude.
    const cancelled = await store.transitionRun(
      run.id,
      ['queued', 'running'],
      'cancelled',
      { reason: 'CANCELLED' },
      clock.now(),
    );
    if (!cancelled) {
      const now = await ownedRun(c.get('principal'), run.id);
      throw new AppError('CONFLICT', `This run has already ended (${now.status}); there is nothing to cancel.`, {
        status: now.status,
      });
    }
    // A running run is announced by its runner when Claude has stopped; a queued one ends here.
    if (run.status === 'queued') {
      const agentName = (await store.getAgent(run.ownerId, run.agentId))?.name ?? run.agentId;
      await publishRunFinished(deps.bus, cancelled, agentName);
    }
    return c.json(await answer(cancelled));
  });

  app.post('/runs/:id/retry', async (c) => {
    const principal = c.get('principal');
    const run = await ownedRun(principal, c.req.param('id'));
    if (run.status === 'queued' || run.status === 'running') {
      throw new AppError('CONFLICT', 'This run has not ended yet; cancel it first or wait for it.', {
        status: run.status,
      });
    }
    if (run.agentDeleted) throw new AppError('NOT_FOUND', 'The agent of this run was deleted; it cannot run again.');
    const agent = await ownedAgent(principal, run.agentId);
    const { run: retry, created } = await startRun(deps, agent, { trigger: 'retry', of: run });
    return c.json(await answer(retry), created ? 202 : 200);
  });

  app.get('/runs/:id/file', async (c) => {
    const { path } = parseQuery(c, RunFileQuery);
    const run = await ownedRun(c.get('principal'), c.req.param('id'));
    const file = await store.getRunFile(run.ownerId, run.id, path);
    if (!file) {
      throw new AppError(
        'NOT_FOUND',
        `The content of ${path.slice(0, 200)} was not kept with this run (too large or not a kind the app shows). It is in the agent's folder in your workspace.`,
      );
    }
    const body: RunFileContent = {
      path: file.path,
      contentType: file.contentType,
      bytes: file.data.byteLength,
      ...encode(file.contentType, file.data),
    };
    return c.json(body);
  });
}

/** Text as text (when it is valid UTF-8), anything else as base64. */
function encode(contentType: string, data: Uint8Array): Pick<RunFileContent, 'encoding' | 'content'> {
  const textual = /^text\/|^application\/(json|xml|x-ndjson)\b|\+json\b|\+xml\b/.test(contentType);
  if (textual) {
    try {
      return { encoding: 'utf8', content: new TextDecoder('utf-8', { fatal: true }).decode(data) };
    } catch {
      // Not UTF-8 after all: sent as bytes.
    }
  }
  return { encoding: 'base64', content: Buffer.from(data).toString('base64') };
}
