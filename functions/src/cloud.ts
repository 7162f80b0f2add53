import { createPubSubBus } from '@agent-platform/core/bus/pubsub';
import { isRunnerHealthy, type RunnerRecord } from '@agent-platform/core/domain';
import { GoogleEnv, parseEnv } from '@agent-platform/core/google-env';
import { type Bus, type Clock, type Scheduler, type Store, systemClock } from '@agent-platform/core/ports';
import type { ScheduleFire } from '@agent-platform/core/protocol';
import { Topics } from '@agent-platform/core/protocol';
import { CloudScheduler } from '@agent-platform/core/scheduler/cloud';
import { LocalScheduler } from '@agent-platform/core/scheduler/local';
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
  /**
   * The Cloud Scheduler region of the agents' jobs (such as europe-west1). Unset on the emulators,
   * where no Cloud Scheduler exists: an in-process stand-in publishes the same messages instead.
   */
  CLOUD_SCHEDULER_LOCATION: z.string().min(1).optional(),
  /** Each user's monthly model budget in USD, shown on the usage page (the runners enforce it). */
  MONTHLY_BUDGET_USD: z.preprocess((v) => (v === '' ? undefined : v), z.coerce.number().finite().min(0).optional()),
});

export interface CloudApi {
  deps: ApiDeps;
  store: Store;
  close(): Promise<void>;
}

/** How long the API reuses the runner registry it read, by default. */
export const RUNNER_CACHE_MS = 1000;

/**
 * The runner pool's placement as the API uses it. A user placed on a healthy runner stays there
 * (placeUser is sticky), so that case is answered from the user's placement, read fresh, and a copy
 * of the runner registry at most `runnerCacheMs` old, without placeUser's transaction. Everything
 * else (no placement, a runner unknown, unhealthy or restarted since) goes through placeUser.
 *
 * The copy may say a runner is up that stopped since: the job then goes to a runner that has just
 * died, as it could right after a placeUser too, and the peer that takes that runner over places
 * the user again and publishes their open messages (the API calls this only after storing the
 * message). Lease ends are seen at once: health is judged on the current time.
 */
export function createPlacement(
  store: Store,
  clock: Clock,
  opts: { runnerCacheMs?: number } = {},
): NonNullable<ApiDeps['placement']> {
  const runnerCacheMs = opts.runnerCacheMs ?? RUNNER_CACHE_MS;
  let cached: { readAt: number; runners: Promise<Map<string, RunnerRecord>> } | undefined;
  const runners = (now: number): Promise<Map<string, RunnerRecord>> => {
    if (cached === undefined || now - cached.readAt >= runnerCacheMs || now < cached.readAt) {
      const read = store.listRunners().then((list) => new Map(list.map((r) => [r.id, r])));
      const entry = { readAt: now, runners: read };
      cached = entry;
      // A failed read is not kept: the next call reads again.
      read.catch(() => {
        if (cached === entry) cached = undefined;
      });
    }
    return cached.runners;
  };
  return {
    place: async (userId) => {
      const now = clock.now();
      const [placement, known] = await Promise.all([store.getPlacement(userId), runners(now)]);
      const runner = placement ? known.get(placement.runnerId) : undefined;
      // A placement older than its runner's current life may have been counted off by a take-over;
      // placeUser counts it again (or moves the user).
      if (placement && runner && isRunnerHealthy(runner, now) && placement.placedAt >= runner.startedAt) {
        return { runnerId: runner.id, wsUrl: runner.wsUrl };
      }
      const placed = await store.placeUser(userId, now);
      return { runnerId: placed.runner.id, wsUrl: placed.runner.wsUrl };
    },
  };
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
    topics: [Topics.runnerJobs, Topics.runEvents, Topics.agentSchedules],
  });
  const scheduler = await cloudScheduler(fns, google, store, bus, clock);
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
      placement: createPlacement(store, clock),
      scheduler,
      monthlyBudgetUsd: fns.MONTHLY_BUDGET_USD ?? null,
    },
    close: async () => {
      await scheduler?.close();
      await bus.close();
      await auth.close();
      await store.close();
    },
  };
}

/**
 * Cloud Scheduler in the cloud. On the emulators, where it has no emulator, a stand-in in this
 * process keeps each agent's schedule (armed from the store at start) and publishes what Cloud
 * Scheduler would on `agent-schedules`, so the `schedules` function runs as in the cloud.
 */
async function cloudScheduler(
  fns: z.infer<typeof FunctionsEnv>,
  google: GoogleEnv,
  store: Store,
  bus: Bus,
  clock: Clock,
): Promise<Scheduler | undefined> {
  if (fns.CLOUD_SCHEDULER_LOCATION) {
    return new CloudScheduler({ projectId: google.projectId, location: fns.CLOUD_SCHEDULER_LOCATION });
  }
  if (!google.pubsubEmulatorHost) return undefined;
  const standIn = new LocalScheduler({
    clock,
    onRun: async ({ agentId, ownerId }) => {
      const fire: ScheduleFire = { v: 1, type: 'agent.schedule', agentId, ownerId };
      await bus.publish(Topics.agentSchedules, fire, { attributes: { type: fire.type } });
    },
    onRunError: (error, agentId) =>
      console.error(
        JSON.stringify({ level: 'error', msg: 'schedule stand-in could not publish', agentId, error: String(error) }),
      ),
  });
  for (const agent of await store.listScheduledAgents()) {
    if (agent.schedule) await standIn.upsert({ agentId: agent.id, ownerId: agent.ownerId, schedule: agent.schedule });
  }
  return standIn;
}
