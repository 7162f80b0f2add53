import {
  type CreateSessionBody,
  ErrorEnvelope,
  HealthResponse,
  MeResponse,
  type PostMessageBody,
  PostMessageResponse,
  RestoreSessionResponse,
  RetryMessageResponse,
  SessionListResponse,
  SessionResponse,
  SignInResponse,
} from '@agent-platform/core/protocol';

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

export interface ApiClientOptions {
  /** Prefix of every path; default '' (same origin). */
  baseUrl?: string;
  /** The stored credential, or null when signed out. */
  getCredential: () => string | null;
  /** Called when the server refuses the credential (401 on an authenticated call). */
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
  get credential(): string | null {
    return this.options.getCredential();
  }

  /** For other channels (the WebSocket) that learn the credential was refused. */
  reportUnauthenticated(message = 'The server refused the credential.'): void {
    this.options.onUnauthenticated(new ApiError('UNAUTHENTICATED', message, 401));
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

  private async request<T>(method: string, path: string, schema: Schema<T>, opts: RequestOptions): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    const authenticated = opts.auth ?? true;
    if (authenticated) {
      const credential = this.options.getCredential();
      if (!credential) {
        const error = new ApiError('UNAUTHENTICATED', 'Sign in first.', 401);
        this.options.onUnauthenticated(error);
        throw error;
      }
      headers['authorization'] = `Bearer ${credential}`;
    }

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
    if (!response.ok) {
      const envelope = ErrorEnvelope.safeParse(data);
      const error = envelope.success
        ? new ApiError(envelope.data.code, envelope.data.message, response.status, envelope.data.details)
        : new ApiError(
            response.status === 401 ? 'UNAUTHENTICATED' : 'HTTP_ERROR',
            `The server answered ${response.status} ${response.statusText} to ${method} ${path}.`,
            response.status,
          );
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
