import { Limits } from '@agent-platform/core/domain';
import { AppError } from '@agent-platform/core/errors';
import type { Context } from 'hono';
import type { z } from 'zod';
import { validationError } from './errors.js';

/**
 * Reads the body with a size bound (the declared length is not trusted), parses JSON, then the
 * schema. Every failure is an AppError naming what is wrong.
 */
export async function parseJsonBody<S extends z.ZodType>(c: Context, schema: S): Promise<z.infer<S>> {
  const type = c.req.header('content-type') ?? '';
  if (!/^application\/json\b/i.test(type)) {
    throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'Send the body as JSON with "Content-Type: application/json".');
  }
  const declared = Number(c.req.header('content-length') ?? '0');
  if (declared > Limits.requestBodyBytes) throw tooLarge();
  const text = await readBounded(c.req.raw, Limits.requestBodyBytes);
  let json: unknown;
  try {
    json = text.length === 0 ? undefined : JSON.parse(text);
  } catch {
    throw new AppError('BAD_REQUEST', 'The request body is not valid JSON.');
  }
  if (json === undefined) throw new AppError('BAD_REQUEST', 'The request body is empty; send a JSON object.');
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw validationError(parsed.error, 'body');
  return parsed.data;
}

export function parseQuery<S extends z.ZodType>(c: Context, schema: S): z.infer<S> {
  const parsed = schema.safeParse(c.req.query());
  if (!parsed.success) throw validationError(parsed.error, 'query');
  return parsed.data;
}

function tooLarge(): AppError {
  return new AppError('PAYLOAD_TOO_LARGE', `The request body is larger than ${Limits.requestBodyBytes} bytes.`, {
    limitBytes: Limits.requestBodyBytes,
  });
}

async function readBounded(req: Request, limit: number): Promise<string> {
  if (!req.body) return '';
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(value);
  }
  return new TextDecoder().decode(Buffer.concat(chunks));
}
