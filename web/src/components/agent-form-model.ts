import {
  type Agent,
  AgentLimits,
  type MissedRunPolicy,
  type OverlapPolicy,
  type UpdateAgentBody,
} from '@agent-platform/core/protocol';
import type { Messages } from '../i18n/index.js';

/** What the edit form holds: numbers as typed (strings), the timeout in minutes. */
export interface AgentDraft {
  name: string;
  description: string;
  instructions: string;
  hasSchedule: boolean;
  cron: string;
  timeZone: string;
  enabled: boolean;
  missedRunPolicy: MissedRunPolicy;
  overlapPolicy: OverlapPolicy;
  timeoutMinutes: string;
  maxTurns: string;
  maxUsd: string;
  inApp: boolean;
  webhookUrl: string;
}

/** A message per field, keyed by the field's path in the request (`schedule.cron`, `limits.maxUsd`). */
export type FieldErrors = Readonly<Record<string, string>>;

/** A schedule offered when an agent without one gets one: every day at 09:00. */
export const defaultCron = '0 9 * * *';

const minutes = (ms: number): string => String(Math.round((ms / 60_000) * 100) / 100);

export function draftFromAgent(agent: Agent, localTimeZone: string): AgentDraft {
  const s = agent.schedule;
  return {
    name: agent.name,
    description: agent.description,
    instructions: agent.instructions,
    hasSchedule: s !== null,
    cron: s?.cron ?? defaultCron,
    timeZone: s?.timeZone ?? localTimeZone,
    enabled: s?.enabled ?? true,
    missedRunPolicy: s?.missedRunPolicy ?? 'skip',
    overlapPolicy: s?.overlapPolicy ?? 'skip',
    timeoutMinutes: minutes(agent.limits.timeoutMs),
    maxTurns: String(agent.limits.maxTurns),
    maxUsd: String(agent.limits.maxUsd),
    inApp: agent.notifications.inApp,
    webhookUrl: agent.notifications.webhookUrl ?? '',
  };
}

/** A number typed in a field, or null when it is not one. */
function parseNumber(text: string): number | null {
  const trimmed = text.trim().replace(',', '.');
  if (trimmed === '') return null;
  const n = Number(trimmed);
  return Number.isFinite(n) ? n : null;
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/**
 * The PATCH body for what changed in the form (only the changed parts: schedule, limits and
 * notifications each whole), or the fields that cannot be sent as they are, in the page's words.
 * The server checks everything again and names the field of anything it refuses.
 */
export function patchFromDraft(
  draft: AgentDraft,
  agent: Agent,
  t: Messages,
): { ok: true; body: UpdateAgentBody } | { ok: false; errors: FieldErrors } {
  const f = t.agent.form;
  const errors: Record<string, string> = {};
  const { runTimeoutMs, runMaxTurns, runMaxUsd } = AgentLimits;

  if (draft.name.trim() === '') errors['name'] = f.required;
  if (draft.instructions.trim() === '') errors['instructions'] = f.required;

  const timeout = parseNumber(draft.timeoutMinutes);
  const timeoutMs = timeout === null ? null : Math.round(timeout * 60_000);
  if (timeoutMs === null) errors['limits.timeoutMs'] = f.notANumber;
  else if (timeoutMs < runTimeoutMs.min || timeoutMs > runTimeoutMs.max) {
    errors['limits.timeoutMs'] = f.between(minutes(runTimeoutMs.min), minutes(runTimeoutMs.max));
  }
  const maxTurns = parseNumber(draft.maxTurns);
  if (maxTurns === null || !Number.isInteger(maxTurns)) errors['limits.maxTurns'] = f.notAWholeNumber;
  else if (maxTurns < runMaxTurns.min || maxTurns > runMaxTurns.max) {
    errors['limits.maxTurns'] = f.between(String(runMaxTurns.min), String(runMaxTurns.max));
  }
  const maxUsd = parseNumber(draft.maxUsd);
  if (maxUsd === null) errors['limits.maxUsd'] = f.notANumber;
  else if (maxUsd < runMaxUsd.min || maxUsd > runMaxUsd.max) {
    errors['limits.maxUsd'] = f.between(String(runMaxUsd.min), String(runMaxUsd.max));
  }
  if (draft.hasSchedule && draft.cron.trim() === '') errors['schedule.cron'] = f.required;
  if (draft.hasSchedule && draft.timeZone.trim() === '') errors['schedule.timeZone'] = f.required;
  if (Object.keys(errors).length > 0 || timeoutMs === null || maxTurns === null || maxUsd === null) {
    return { ok: false, errors };
  }

  const body: UpdateAgentBody = {};
  if (draft.name !== agent.name) body.name = draft.name.trim();
  if (draft.description !== agent.description) body.description = draft.description.trim();
  if (draft.instructions !== agent.instructions) body.instructions = draft.instructions;
  const schedule = draft.hasSchedule
    ? {
        cron: draft.cron.trim(),
        timeZone: draft.timeZone.trim(),
        enabled: draft.enabled,
        missedRunPolicy: draft.missedRunPolicy,
        overlapPolicy: draft.overlapPolicy,
      }
    : null;
  if (!same(schedule, agent.schedule)) body.schedule = schedule;
  const limits = { timeoutMs, maxTurns, maxUsd };
  if (!same(limits, agent.limits)) body.limits = limits;
  const webhookUrl = draft.webhookUrl.trim() || null;
  if (webhookUrl !== agent.notifications.webhookUrl || draft.inApp !== agent.notifications.inApp) {
    body.notifications = { webhookUrl, inApp: draft.inApp };
  }
  return { ok: true, body };
}

/**
 * The server's VALIDATION_FAILED answer per field: its `details.issues` (`{ path, message }`),
 * keyed by path. Anything else gives none (the form then shows the message above its buttons).
 */
export function fieldErrorsFrom(error: { code: string; details?: Record<string, unknown> | undefined }): FieldErrors {
  if (error.code !== 'VALIDATION_FAILED') return {};
  const issues = error.details?.['issues'];
  if (!Array.isArray(issues)) return {};
  const errors: Record<string, string> = {};
  for (const issue of issues) {
    if (typeof issue !== 'object' || issue === null) continue;
    const { path, message } = issue as { path?: unknown; message?: unknown };
    if (typeof path === 'string' && typeof message === 'string' && !(path in errors)) errors[path] = message;
  }
  return errors;
}
