import { createPubSubBus } from '@agent-platform/core/bus/pubsub';
import { GoogleEnv, parseEnv } from '@agent-platform/core/google-env';
import { type Clock, type Store, systemClock } from '@agent-platform/core/ports';
import { Topics } from '@agent-platform/core/protocol';
import { openFirestoreStore } from '@agent-platform/core/store/firestore';
import { z } from 'zod';
import type { ApiDeps } from './app.js';
import { FirebaseAuth } from './auth/firebase.js';

/** What the functions need besides GoogleEnv: the public Firebase web config the browser signs in with. */
export const FunctionsEnv = z.object({
  /** The Firebase web API key (public: it names the project to the browser). Any value on the emulator. */
  FIREBASE_API_KEY: z.string().min(1).default('emulator-api-key'),
  /** Default <project>.firebaseapp.com. */
  FIREBASE_AUTH_DOMAIN: z.string().optional(),
  /** The Auth emulator as the browser reaches it (http://127.0.0.1:PORT); default from FIREBASE_AUTH_EMULATOR_HOST. */
  FIREBASE_AUTH_EMULATOR_URL: z.url().optional(),
  MODEL_CONFIGURED: z.enum(['true', 'false']).default('true'),
  SANDBOX_KIND: z.string().default('docker'),
});

export interface CloudApi {
  deps: ApiDeps;
  store: Store;
  close(): Promise<void>;
}

/**
 * The cloud composition of the API: Firestore, Pub/Sub (publish only), Firebase Auth, and the
 * runner pool's placement (each user served by one runner; jobs carry its id).
 */
export async function createCloudApi(
  env: NodeJS.ProcessEnv,
  deps: { clock?: Clock; version?: string } = {},
): Promise<CloudApi> {
  const google = parseEnv(GoogleEnv, env);
  const fns = parseEnv(FunctionsEnv, env);
  const clock = deps.clock ?? systemClock;
  const store = openFirestoreStore({ projectId: google.projectId, emulatorHost: google.firestoreEmulatorHost });
  const bus = await createPubSubBus({
    projectId: google.projectId,
    emulatorHost: google.pubsubEmulatorHost,
    topics: [Topics.runnerJobs],
  });
  const auth = new FirebaseAuth({ projectId: google.projectId, emulatorHost: google.authEmulatorHost });
  const emulatorUrl =
    fns.FIREBASE_AUTH_EMULATOR_URL ?? (google.authEmulatorHost ? `http://${google.authEmulatorHost}` : null);
  return {
    store,
    deps: {
      store,
      bus,
      auth,
      clock,
      info: {
        version: deps.version ?? '0.1.0',
        modelConfigured: fns.MODEL_CONFIGURED === 'true',
        sandbox: fns.SANDBOX_KIND,
        auth: {
          kind: 'firebase',
          apiKey: fns.FIREBASE_API_KEY,
          authDomain: fns.FIREBASE_AUTH_DOMAIN ?? `${google.projectId}.firebaseapp.com`,
          projectId: google.projectId,
          emulatorUrl,
        },
      },
      placement: {
        place: async (userId) => {
          const { runner } = await store.placeUser(userId, clock.now());
          return { runnerId: runner.id, wsUrl: runner.wsUrl };
        },
      },
    },
    close: async () => {
      await bus.close();
      await auth.close();
      await store.close();
    },
  };
}
