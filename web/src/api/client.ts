import {
  AgentListResponse,
  AgentResponse,
  type CreateAgentBody,
  type CreateSessionBody,
  ErrorEnvelope,
  HealthResponse,
  MeResponse,
  NotificationListResponse,
  type PostMessageBody,
  PostMessageResponse,
  RestoreSessionResponse,
  RetryMessageResponse,
  RunFileContent,
  RunListResponse,
  RunResponse,
  type RunStatus,
  SessionListResponse,
  SessionResponse,
  SignInResponse,
  type UpdateAgentBody,
  type UpdateMeBody,
  UsageResponse,
} from '@agent-platform/core/protocol';

/** An answer without a body (204). */
const NoContent: Schema<void> = { safeParse: () => ({ success: true, data: undefined }) };

const id = (s: string): string => encodeURIComponent(s);

/** The part of a zod schema the client uses; keeps zod itself out of this package's imports. */
interface Schema<T> {
  safeParse(data: unknown): { success: true; data: T } | { success: false; error: unknown };
}

/**
 * Codes the browser makes itself, besides the server's (`ErrorCode` in core): the request never got
 * an answer, or the answer did not match the protocol.
 */
export type ClientErrorCode = 'NETWORK_ERROR' | 'BAD_RESPONSE' | 'HTTP_ERROR';

/** Every failed API call throws this: the server's envelope, or one of the client codes. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly code: string,
    message: string,
    /** HTTP status; 0 when no answer arrived. */
    readonly status: number,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

export const isApiError = (e: unknown): e is ApiError => e instanceof ApiError;

/** Anything caught from an API call, as an ApiError (a bug in the page becomes an INTERNAL one). */
export const asApiError = (e: unknown): ApiError =>
  isApiError(e) ? e : new ApiError('INTERNAL', e instanceof Error ? e.message : String(e), 0);

/** The codes of a refused credential (all 401): what the browser does next depends on which. */
export type AuthRefusalCode = 'UNAUTHENTICATED' | 'AUTH_EXPIRED' | 'AUTH_REVOKED';

/** A refusal's code as one of ours; anything else the server says with a 401 counts as UNAUTHENTICATED. */
export const authRefusalCode = (code: string): AuthRefusalCode =>
  code === 'AUTH_EXPIRED' || code === 'AUTH_REVOKED' ? code : 'UNAUTHENTICATED';

export interface ApiClientOptions {
  /** Prefix of every path; default '' (same origin). */
  baseUrl?: string;
  /** The credential to send (a Firebase ID token, or the local one), or null when signed out. */
  getCredential: () => string | null | Promise<string | null>;
  /**
   * A fresh credential, asked once when the server answers 401 AUTH_EXPIRED; the request is then
   * sent again with it. Null (or no function, the default) when this kind of credential cannot be
   * renewed: the refusal is then reported. A rejection means it could not be renewed now (offline).
   */
  refreshCredential?: () => Promise<string | null>;
  /** Called when the server refuses the credential (401 on an authenticated call, after any renewal). */
  onUnauthenticated: (error: ApiError) => void;
  fetch?: typeof fetch;
}

interface RequestOptions {
  body?: unknown;
  signal?: AbortSignal | undefined;
  /** Send the credential; default true. */
  auth?: boolean;
}

/** The HTTP API, one method per route; every answer is parsed with core's schemas. */
export class ApiClient {
  private readonly baseUrl: string;
  private readonly fetchFn: typeof fetch;

  constructor(private readonly options: ApiClientOptions) {
    this.baseUrl = options.baseUrl ?? '';
    this.fetchFn = options.fetch ?? globalThis.fetch.bind(globalThis);
  }

  /** The credential in use; the WebSocket authenticates with it too. */
  async credential(): Promise<string | null> {
    return this.options.getCredential();
  }

  /** A renewed credential after a refusal with AUTH_EXPIRED; null when it cannot be renewed. */
  async refreshCredential(): Promise<string | null> {
    return this.options.refreshCredential ? this.options.refreshCredential() : null;
  }

  /** For other channels (the WebSocket) that learn the credential was refused, and why (`code`). */
  reportUnauthenticated(code: string = 'UNAUTHENTICATED', message = 'The server refused the credential.'): void {
    this.options.onUnauthenticated(new ApiError(authRefusalCode(code), message, 401));
  }

  health(signal?: AbortSignal): Promise<HealthResponse> {
    return this.request('GET', '/api/health', HealthResponse, { auth: false, signal });
  }

  signInLocal(token: string, signal?: AbortSignal): Promise<SignInResponse> {
    return this.request('POST', '/api/auth/local', SignInResponse, { auth: false, body: { token }, signal });
  }

  me(signal?: AbortSignal): Promise<MeResponse> {
    return this.request('GET', '/api/me', MeResponse, { signal });
  }

  /** The person's own settings (language, first-run answers); answers with the whole profile. */
  updateMe(body: UpdateMeBody, signal?: AbortSignal): Promise<MeResponse> {
    return this.request('PATCH', '/api/me', MeResponse, { body, signal });
  }

  createSession(body: Partial<CreateSessionBody>, signal?: AbortSignal): Promise<SessionResponse> {
    return this.request('POST', '/api/sessions', SessionResponse, { body, signal });
  }

  /** `before` is the `nextBefore` of the previous page, passed on as it came. */
  listSessions(query: { limit?: number; before?: string }, signal?: AbortSignal): Promise<SessionListResponse> {
    const params = new URLSearchParams();
    if (query.limit !== undefined) params.set('limit', String(query.limit));
    if (query.before !== undefined) params.set('before', query.before);
    const qs = params.toString() ? `?${params}` : '';
    return this.request('GET', `/api/sessions${qs}`, SessionListResponse, { signal });
  }

  getSession(sessionId: string, signal?: AbortSignal): Promise<RestoreSessionResponse> {
    return this.request('GET', `/api/sessions/${encodeURIComponent(sessionId)}`, RestoreSessionResponse, { signal });
  }

  postMessage(sessionId: string, body: PostMessageBody, signal?: AbortSignal): Promise<PostMessageResponse> {
    return this.request('POST', `/api/sessions/${encodeURIComponent(sessionId)}/messages`, PostMessageResponse, {
      body,
      signal,
    });
  }

  retryMessage(sessionId: string, messageId: string, signal?: AbortSignal): Promise<RetryMessageResponse> {
    const path = `/api/sessions/${encodeURIComponent(sessionId)}/messages/${encodeURIComponent(messageId)}/retry`;
    return this.request('POST', path, RetryMessageResponse, { signal });
  }

  // ─── Agents and runs ───

  listAgents(signal?: AbortSignal): Promise<AgentListResponse> {
    return this.request('GET', '/api/agents', AgentListResponse, { signal });
  }

  getAgent(agentId: string, signal?: AbortSignal): Promise<AgentResponse> {
    return this.request('GET', `/api/agents/${id(agentId)}`, AgentResponse, { signal });
  }

  /** Saves a new agent (from the preview panel or a form); the answer holds the webhook secret, once. */
  createAgent(body: CreateAgentBody, signal?: AbortSignal): Promise<AgentResponse> {
    return this.request('POST', '/api/agents', AgentResponse, { body, signal });
  }

  /** Changes an agent: any spec field, and `status` to pause (`paused`) or resume (`active`). */
  updateAgent(agentId: string, body: UpdateAgentBody, signal?: AbortSignal): Promise<AgentResponse> {
    return this.request('PATCH', `/api/agents/${id(agentId)}`, AgentResponse, { body, signal });
  }

  /** Deletes the agent and its schedule; its runs stay as records. Its folder in the workspace stays. */
  deleteAgent(agentId: string, signal?: AbortSignal): Promise<void> {
    return this.request('DELETE', `/api/agents/${id(agentId)}`, NoContent, { signal });
  }

  /** Runs the agent now. The same `requestId` again returns the same run (a double click runs once). */
  runAgentNow(agentId: string, requestId: string, signal?: AbortSignal): Promise<RunResponse> {
    return this.request('POST', `/api/agents/${id(agentId)}/runs`, RunResponse, { body: { requestId }, signal });
  }

  /** `before` is the `nextBefore` of the previous page, passed on as it came. */
  listRuns(
    agentId: string,
    query: { status?: RunStatus | undefined; limit?: number; before?: string | undefined },
    signal?: AbortSignal,
  ): Promise<RunListResponse> {
    const params = new URLSearchParams();
    if (query.status) params.set('status', query.status);
    if (query.limit !== undefined) params.set('limit', String(query.limit));
    if (query.before !== undefined) params.set('before', query.before);
    const qs = params.toString() ? `?${params}` : '';
    return this.request('GET', `/api/agents/${id(agentId)}/runs${qs}`, RunListResponse, { signal });
  }

  getRun(runId: string, signal?: AbortSignal): Promise<RunResponse> {
    return this.request('GET', `/api/runs/${id(runId)}`, RunResponse, { signal });
  }

  cancelRun(runId: string, signal?: AbortSignal): Promise<RunResponse> {
    return this.request('POST', `/api/runs/${id(runId)}/cancel`, RunResponse, { signal });
  }

  /** Runs the agent again as a new run (attempt + 1) of this one; answers with the new run. */
  retryRun(runId: string, signal?: AbortSignal): Promise<RunResponse> {
    return this.request('POST', `/api/runs/${id(runId)}/retry`, RunResponse, { signal });
  }

  /** The kept content of a file the run made (its `stored` flag is true). */
  getRunFile(runId: string, path: string, signal?: AbortSignal): Promise<RunFileContent> {
    const qs = new URLSearchParams({ path });
    return this.request('GET', `/api/runs/${id(runId)}/file?${qs}`, RunFileContent, { signal });
  }

  usage(days: number, signal?: AbortSignal): Promise<UsageResponse> {
    return this.request('GET', `/api/usage?days=${days}`, UsageResponse, { signal });
  }

  notifications(signal?: AbortSignal): Promise<NotificationListResponse> {
    return this.request('GET', '/api/notifications', NotificationListResponse, { signal });
  }

  /** Marks notifications up to `upTo` (ms since the epoch) as read. */
  markNotificationsRead(upTo: number, signal?: AbortSignal): Promise<void> {
    return this.request('POST', '/api/notifications/read', NoContent, { body: { upTo }, signal });
  }

  private async request<T>(method: string, path: string, schema: Schema<T>, opts: RequestOptions): Promise<T> {
    const authenticated = opts.auth ?? true;
    let credential: string | null = null;
    if (authenticated) {
      try {
        credential = await this.options.getCredential();
      } catch (e) {
        // Firebase renews an ID token near its end over the network; offline, that fails.
        const reason = e instanceof Error ? e.message : String(e);
        throw new ApiError('NETWORK_ERROR', `Could not get the sign-in credential for ${method} ${path}: ${reason}`, 0);
      }
      if (!credential) {
        const error = new ApiError('UNAUTHENTICATED', 'Sign in first.', 401);
        this.options.onUnauthenticated(error);
        throw error;
      }
    }

    let answer = await this.send(method, path, opts, credential);
    if (answer.error?.code === 'AUTH_EXPIRED' && authenticated) {
      // An ID token lives an hour: get a fresh one and try once more before giving up.
      const fresh = await this.renewCredential(method, path);
      if (fresh) answer = await this.send(method, path, opts, fresh);
    }
    const { response, data, error } = answer;
    if (error) {
      if (response.status === 401 && authenticated) this.options.onUnauthenticated(error);
      throw error;
    }
    const parsed = schema.safeParse(data);
    if (!parsed.success) {
      throw new ApiError(
        'BAD_RESPONSE',
        `The answer to ${method} ${path} does not match the protocol.`,
        response.status,
        {
          issues: String(parsed.error),
        },
      );
    }
    return parsed.data;
  }

  /** One HTTP exchange: the answer's body, and the error it stands for when it is not a success. */
  private async send(
    method: string,
    path: string,
    opts: RequestOptions,
    credential: string | null,
  ): Promise<{ response: Response; data: unknown; error: ApiError | null }> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    if (credential) headers['authorization'] = `Bearer ${credential}`;

    let response: Response;
    try {
      response = await this.fetchFn(`${this.baseUrl}${path}`, {
        method,
        headers,
        body: opts.body === undefined ? null : JSON.stringify(opts.body),
        signal: opts.signal ?? null,
      });
    } catch (e) {
      // An abort is the caller's decision, not a failure: let it through as is.
      if (opts.signal?.aborted) throw e;
      const reason = e instanceof Error ? e.message : String(e);
      throw new ApiError('NETWORK_ERROR', `Could not reach the server (${method} ${path}): ${reason}`, 0);
    }

    const data = await readJson(response);
    if (response.ok) return { response, data, error: null };
    const envelope = ErrorEnvelope.safeParse(data);
    const error = envelope.success
      ? new ApiError(envelope.data.code, envelope.data.message, response.status, envelope.data.details)
      : new ApiError(
          response.status === 401 ? 'UNAUTHENTICATED' : 'HTTP_ERROR',
          `The server answered ${response.status} ${response.statusText} to ${method} ${path}.`,
          response.status,
        );
    return { response, data, error };
  }

  /** Null when the credential cannot be renewed; a failure to renew (offline) is a NETWORK_ERROR, not a sign-out. */
  private async renewCredential(method: string, path: string): Promise<string | null> {
    try {
      return await this.refreshCredential();
    } catch (e) {
      const reason = e instanceof Error ? e.message : String(e);
      throw new ApiError('NETWORK_ERROR', `Could not renew the sign-in for ${method} ${path}: ${reason}`, 0);
    }
  }
}

async function readJson(response: Response): Promise<unknown> {
  const text = await response.text();
  if (!text) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    // Not JSON (a proxy's HTML error page, say): the status alone then describes the failure.
    return null;
  }
}
