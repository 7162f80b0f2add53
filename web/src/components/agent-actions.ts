import type { AgentRun, AgentStatus, AgentSummary } from '@agent-platform/core/protocol';
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { type ApiClient, type ApiError, asApiError } from '../api/client.js';
import { newClientMessageId } from '../controllers/conversation-controller.js';

/** What a person can do to an agent from its card or its page. */
export type AgentAction = 'run' | 'pause' | 'resume' | 'delete';

export interface AgentActionsOptions {
  api: () => ApiClient | undefined;
  /** The agent changed (paused, resumed): its new summary. */
  onChanged: (summary: AgentSummary) => void;
  /** The agent is gone. */
  onDeleted: (agentId: string) => void;
  /** A run was started (its page is the place to watch it). */
  onRunStarted: (run: AgentRun) => void;
}

/**
 * The requests behind an agent's buttons: run now, pause, resume, delete. One action per agent at
 * a time (its buttons wait meanwhile); the last failure is kept for the page to show.
 */
export class AgentActionsController implements ReactiveController {
  /** The action under way, per agent id. */
  busy: ReadonlyMap<string, AgentAction> = new Map();
  /** The last action that failed, until another starts or it is dismissed. */
  failure: { agentId: string; action: AgentAction; error: ApiError } | null = null;

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly options: AgentActionsOptions,
  ) {
    host.addController(this);
  }

  /** Nothing to set up: requests start from the buttons. */
  hostConnected(): void {}

  runNow(agentId: string): Promise<boolean> {
    // A fresh request id per press; a retried POST of the same press runs once on the server.
    const requestId = newClientMessageId();
    return this.perform(agentId, 'run', async (api) => {
      const { run } = await api.runAgentNow(agentId, requestId);
      this.options.onRunStarted(run);
    });
  }

  setStatus(agentId: string, status: AgentStatus): Promise<boolean> {
    return this.perform(agentId, status === 'paused' ? 'pause' : 'resume', async (api) => {
      const { summary } = await api.updateAgent(agentId, { status });
      this.options.onChanged(summary);
    });
  }

  remove(agentId: string): Promise<boolean> {
    return this.perform(agentId, 'delete', async (api) => {
      await api.deleteAgent(agentId);
      this.options.onDeleted(agentId);
    });
  }

  dismiss(): void {
    this.failure = null;
    this.host.requestUpdate();
  }

  /** True when it worked. */
  private async perform(
    agentId: string,
    action: AgentAction,
    work: (api: ApiClient) => Promise<void>,
  ): Promise<boolean> {
    const api = this.options.api();
    if (!api || this.busy.has(agentId)) return false;
    this.failure = null;
    this.setBusy(agentId, action);
    try {
      await work(api);
      return true;
    } catch (e) {
      this.failure = { agentId, action, error: asApiError(e) };
      return false;
    } finally {
      this.setBusy(agentId, null);
    }
  }

  private setBusy(agentId: string, action: AgentAction | null): void {
    const next = new Map(this.busy);
    if (action) next.set(agentId, action);
    else next.delete(agentId);
    this.busy = next;
    this.host.requestUpdate();
  }
}
