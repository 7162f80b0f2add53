import { getuid } from 'node:process';
import type { Bus, Clock, Sandbox, Store } from '@agent-platform/core/ports';
import type { RunStartDeps } from '@agent-platform/functions/services/runs';
import type { RunnerConfig } from './config.js';
import type { Logger } from './log.js';
import { createModelProxy, type ModelProxy } from './proxy/server.js';
import { SandboxTokens } from './proxy/tokens.js';
import { RunExecutor } from './runs/executor.js';
import { type SandboxSetup, setUpSandboxes } from './sandbox/select.js';
import { EventLog } from './sessions/event-log.js';
import { SessionManager } from './sessions/manager.js';
import { TranscriptMirror } from './sessions/transcripts.js';

/** What runs Claude for users, the same in the local process and in a runner of the pool. */
export interface RunnerEngine {
  sandboxes: SandboxSetup;
  proxy: ModelProxy;
  tokens: SandboxTokens;
  events: EventLog;
  sessions: SessionManager;
  /** Headless agent runs. */
  runs: RunExecutor;
  /** Stops the runs, the sessions, the sandboxes and the proxy (not the store or the bus). */
  close(): Promise<void>;
}

/**
 * Sandboxes, the model proxy and Claude sessions. Sandboxes reach the model only through the
 * proxy, with a token of their own: the real credential stays in this process.
 */
export async function startRunnerEngine(
  config: RunnerConfig,
  deps: {
    store: Store;
    bus: Bus;
    clock: Clock;
    log: Logger;
    env: NodeJS.ProcessEnv;
    keepTranscriptsInStore: boolean;
    /** This runner's id ('local' on one machine). */
    runnerId: string;
    /** The pool's placement (retries go to the owner's runner); absent on one machine. */
    placement?: RunStartDeps['placement'];
  },
): Promise<RunnerEngine> {
  const { store, clock, log } = deps;
  const sandboxes = await setUpSandboxes(config, log);
  const runtime = sandboxes.runtime;
  const tokens = new SandboxTokens();
  const proxy = createModelProxy({
    ...config.modelProxy,
    tokens,
    store,
    clock,
    log,
    budget: { monthlyUsdLimit: config.modelProxy.monthlyBudgetUsd },
  });
  const proxyUrl = new URL(await proxy.listen(config.modelProxy.port, sandboxes.proxyHost));
  const proxyPort = Number(proxyUrl.port);
  await sandboxes.secure(proxyPort);
  runtime.watch((_userId, change) => {
    if (change.state === 'removed') tokens.revoke(change.sandboxId);
  });
  const baseEnv = claudeEnvironment(deps.env);
  const events = new EventLog(store, clock);
  const claudeEnv = (sandbox: Sandbox) => ({
    ...baseEnv,
    ANTHROPIC_BASE_URL: `http://${sandbox.runnerAddress}:${proxyPort}`,
    ANTHROPIC_API_KEY: tokens.issue(sandbox.userId, sandbox.sandboxId),
  });
  const sessions = new SessionManager({
    store,
    events,
    runtime,
    clock,
    log,
    modelConfigured: config.model.configured,
    claudeEnv,
    model: config.model.name,
    idleMs: config.sessionIdleMs,
    transcripts: deps.keepTranscriptsInStore ? new TranscriptMirror(store, runtime) : undefined,
  });
  const runs = new RunExecutor({
    store,
    bus: deps.bus,
    events,
    runtime,
    clock,
    log,
    runnerId: deps.runnerId,
    modelConfigured: config.model.configured,
    claudeEnv,
    model: config.model.name,
    placement: deps.placement,
    concurrency: config.runs.concurrency,
    retryBaseMs: config.runs.retryBaseMs,
  });
  return {
    sandboxes,
    proxy,
    tokens,
    events,
    sessions,
    runs,
    close: async () => {
      await runs.close();
      await sessions.close();
      await sandboxes.close();
      await proxy.close();
    },
  };
}

/**
 * The Claude Code process's environment, without the model endpoint: only what it needs, never this
 * process's whole environment (which holds the real API key).
 */
export function claudeEnvironment(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {
    PATH: env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    LANG: env.LANG ?? 'C.UTF-8',
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    DISABLE_AUTOUPDATER: '1',
  };
  // Claude Code refuses to skip permission prompts as root unless told it is sandboxed (the host
  // runtime as root; in Docker and bubblewrap it runs as uid 1000).
  if (getuid?.() === 0) out.IS_SANDBOX = '1';
  return out;
}
