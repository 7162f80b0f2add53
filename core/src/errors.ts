/**
 * Error codes shared by the API, the WebSocket and the browser. Each maps to one HTTP status;
 * messages say how to fix the problem.
 */
export const ErrorStatus = {
  BAD_REQUEST: 400,
  VALIDATION_FAILED: 400,
  UNAUTHENTICATED: 401,
  /** The ID token's time is up: the browser gets a fresh one and tries again. */
  AUTH_EXPIRED: 401,
  /** The account's sessions were revoked (signed out everywhere, disabled, password changed). */
  AUTH_REVOKED: 401,
  NOT_FOUND: 404,
  SESSION_NOT_FOUND: 404,
  /** A user's spending limit is reached (402, as the Anthropic API answers billing problems). */
  BUDGET_EXCEEDED: 402,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  CONFLICT: 409,
  MODEL_NOT_CONFIGURED: 503,
  CLAUDE_PROCESS_FAILED: 502,
  /** The user's sandbox could not be made ready (details.reason says why). */
  SANDBOX_UNAVAILABLE: 503,
  TURN_FAILED: 502,
  /** No runner of the pool is healthy and has room (the job stays queued; try again shortly). */
  NO_RUNNER: 503,
  /** The store or the bus failed for a moment; the work is kept and tried again. */
  TEMPORARILY_UNAVAILABLE: 503,
  /** The model proxy could not reach the upstream model API. */
  MODEL_UPSTREAM_UNREACHABLE: 502,
  UNKNOWN_FRAME: 400,
  BAD_FRAME: 400,
  INTERNAL: 500,
} as const;

export type ErrorCode = keyof typeof ErrorStatus;

export const ErrorCodes = Object.keys(ErrorStatus) as ErrorCode[];

/** The one error shape every layer throws; the HTTP envelope and error events are made from it. */
export class AppError extends Error {
  override readonly name = 'AppError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }

  get status(): number {
    return ErrorStatus[this.code];
  }
}

export const isAppError = (e: unknown): e is AppError => e instanceof AppError;
