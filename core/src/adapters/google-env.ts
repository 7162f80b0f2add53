import { z } from 'zod';

const hostPort = z.string().regex(/^[A-Za-z0-9.-]+:\d{1,5}$/, 'host:port, such as 127.0.0.1:8085');
const optional = <T extends z.ZodType>(t: T) => z.preprocess((v) => (v === '' ? undefined : v), t.optional());

/**
 * Where the Google services are, read from the usual variables. Each emulator host, when set, sends
 * that client to the emulator (no credentials); unset, the client uses the real service with
 * Application Default Credentials.
 */
export const GoogleEnv = z
  .object({
    GOOGLE_CLOUD_PROJECT: z.string().regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, 'a Google Cloud project id'),
    FIRESTORE_EMULATOR_HOST: optional(hostPort),
    PUBSUB_EMULATOR_HOST: optional(hostPort),
    FIREBASE_AUTH_EMULATOR_HOST: optional(hostPort),
  })
  .transform((e) => ({
    projectId: e.GOOGLE_CLOUD_PROJECT,
    firestoreEmulatorHost: e.FIRESTORE_EMULATOR_HOST,
    pubsubEmulatorHost: e.PUBSUB_EMULATOR_HOST,
    authEmulatorHost: e.FIREBASE_AUTH_EMULATOR_HOST,
  }));
export type GoogleEnv = z.output<typeof GoogleEnv>;

/** Parses a config schema over the environment, or throws one readable error naming every bad variable. */
export function parseEnv<T extends z.ZodType>(schema: T, env: NodeJS.ProcessEnv): z.output<T> {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n');
    throw new Error(`Invalid configuration:\n${lines}`);
  }
  return parsed.data;
}
