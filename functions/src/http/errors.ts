import { AppError } from '@agent-platform/core/errors';
import type { ErrorEnvelope } from '@agent-platform/core/protocol';
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { z } from 'zod';

/** Turns zod issues into a message naming the fields, and details a client can use. */
export function validationError(error: z.ZodError, where: 'body' | 'query' | 'params'): AppError {
  const issues = error.issues.map((i) => ({ path: i.path.join('.') || where, message: i.message }));
  const tooLarge = error.issues.some((i) => i.code === 'custom' && (i.params as { tooLarge?: boolean })?.tooLarge);
  const first = issues[0];
  const summary = first ? `${first.path}: ${first.message}` : `invalid ${where}`;
  return new AppError(tooLarge ? 'PAYLOAD_TOO_LARGE' : 'VALIDATION_FAILED', `Invalid request ${where}: ${summary}`, {
    issues,
  });
}

/** The one place an error becomes an HTTP response. Unknown errors are logged and hidden. */
export function errorResponse(c: Context, err: unknown, log: (msg: string, err: unknown) => void): Response {
  const appError = isHttpAppError(err) ? err : null;
  if (!appError) log('unhandled error in API', err);
  const e = appError ?? new AppError('INTERNAL', 'Something went wrong on our side. Try again in a moment.');
  const body: ErrorEnvelope = { code: e.code, message: e.message, ...(e.details ? { details: e.details } : {}) };
  return c.json(body, e.status as ContentfulStatusCode);
}

function isHttpAppError(err: unknown): err is AppError {
  return err instanceof AppError;
}
