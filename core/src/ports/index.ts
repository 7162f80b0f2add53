export type { Auth, LocalSignIn, Principal } from './auth.js';
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
export type { NewMessage, NewSession, Store, UsageRecord, UsageTotals } from './store.js';
