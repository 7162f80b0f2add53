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
export type {
  NewMessage,
  NewSession,
  RunnerHeartbeat,
  Store,
  TranscriptEntry,
  TranscriptKey,
  UsageRecord,
  UsageTotals,
  UserSighting,
} from './store.js';
