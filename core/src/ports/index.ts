export {
  type Auth,
  type AuthRefusal,
  type AuthResult,
  authRefusalCode,
  type LocalSignIn,
  type Principal,
} from './auth.js';
export {
  type Bus,
  type BusHandler,
  type BusMessage,
  DeadLetterAttributes,
  deadLetterErrorChars,
  type PublishOptions,
} from './bus.js';
export { type Clock, systemClock } from './clock.js';
export type {
  Sandbox,
  SandboxEnsureOptions,
  SandboxProcess,
  SandboxRuntime,
  SandboxSpawnOptions,
  SandboxStateChange,
} from './sandbox.js';
export type { OnScheduledRun, ScheduledAgent, ScheduledRun, Scheduler } from './scheduler.js';
export type {
  AgentUpdate,
  ListRunsOptions,
  NewAgent,
  NewMessage,
  NewRun,
  NewSession,
  RunnerHeartbeat,
  RunPatch,
  Store,
  StoredRunFile,
  TranscriptEntry,
  TranscriptKey,
  UsageDayTotals,
  UsageRecord,
  UsageTotals,
  UserSighting,
} from './store.js';
