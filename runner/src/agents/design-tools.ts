import { randomBytes, randomUUID } from 'node:crypto';
import {
  type Agent,
  AgentNotificationSettings,
  AgentRunLimits,
  AgentSchedule,
  AgentSpec,
  MissedRunPolicy,
  WebhookUrl,
} from '@agent-platform/core/domain';
import type { Clock, Store } from '@agent-platform/core/ports';
import { AgentProposalLimits, type ScheduleText, type SessionEvent } from '@agent-platform/core/protocol';
import { describeSchedule, nextRuns, ScheduleSpec } from '@agent-platform/core/schedule';
import {
  createSdkMcpServer,
  type McpSdkServerConfigWithInstance,
  type Options,
  type SdkMcpToolDefinition,
  tool,
} from '@anthropic-ai/claude-agent-sdk';
import { z } from 'zod';
import type { Logger } from '../log.js';
import type { EventLog } from '../sessions/event-log.js';

/**
 * The tools of an agent-create session: Claude proposes an agent (`propose_agent`), the browser's
 * preview panel shows it (an `agent.proposal` event), and once the person agrees Claude saves it
 * (`save_agent`, an `agent.saved` event). Arguments are checked here with the domain's schemas, and
 * what is wrong goes back to Claude as a tool error naming each field, so that it can call again.
 */

/** The name of the in-process MCP server; Claude sees its tools as `mcp__agent__<tool>`. */
export const AGENT_DESIGN_SERVER = 'agent';
export const AGENT_DESIGN_TOOLS = [
  `mcp__${AGENT_DESIGN_SERVER}__propose_agent`,
  `mcp__${AGENT_DESIGN_SERVER}__save_agent`,
];

/** Limits of a run when the proposal leaves them out: 10 minutes, 30 model turns, 1 US dollar. */
export const DEFAULT_RUN_LIMITS: AgentRunLimits = { timeoutMs: 10 * 60 * 1000, maxTurns: 30, maxUsd: 1 };

const { steps: maxSteps, stepChars } = AgentProposalLimits;

// --- the arguments --------------------------------------------------------------------------------

/**
 * What Claude is told the tools take (their JSON Schema): the JSON types only. The bounds and the
 * meaning (lengths, cron, time zone, limits) are checked by `parseProposal`, whose messages say how
 * to fix each field; a wrong JSON type is refused before the handler with the field's path.
 */
const proposeShape = {
  name: z.string().describe('A short name for the agent, in the language of the person (at most 80 characters).'),
  description: z.string().describe('One sentence saying what the agent does, for the dashboard.'),
  instructions: z
    .string()
    .describe(
      'What the agent must do on each run, written for the agent itself: it starts with only these instructions, so name the scripts to run (with their paths), the inputs, what to produce and where.',
    ),
  schedule: z
    .object({
      cron: z.string().describe('5 fields: minute hour day-of-month month day-of-week, such as "0 8 * * 1".'),
      timeZone: z.string().describe('An IANA time zone name such as "Asia/Seoul" or "Europe/London".'),
      enabled: z.boolean().optional().describe('Default true; false keeps the schedule but does not run it.'),
      missedRunPolicy: z
        .enum(['skip', 'run-once'])
        .optional()
        .describe('Runs missed while the platform was down: skip them (default) or run once for all.'),
    })
    .nullable()
    .describe('When the agent runs by itself; null when it runs only when started by hand.'),
  steps: z
    .array(z.string())
    .describe('The steps the agent takes, a few words each, in the language of the person, for the preview.'),
  limits: z
    .object({
      timeoutMs: z.number().optional().describe('Wall-clock limit of one run in ms (10 s .. 6 h); default 10 min.'),
      maxTurns: z.number().optional().describe('Model turns per run (1 .. 200); default 30.'),
      maxUsd: z.number().optional().describe('Largest cost of one run in US dollars (0.01 .. 100); default 1.'),
    })
    .optional(),
  notifications: z
    .object({
      webhookUrl: z.string().nullable().optional().describe('An http(s) URL to post each run result to; default none.'),
      inApp: z.boolean().optional().describe('Notify in the app after runs; default true.'),
    })
    .optional(),
};

const saveShape = z.object(proposeShape).partial().shape;

const Step = z
  .string('each step must be a string')
  .trim()
  .min(1, 'a step must not be empty')
  .max(stepChars, `each step must be at most ${stepChars} characters`);

/** The full check of a proposal: the domain's schemas, plus the defaults the arguments may leave out. */
const ProposalArgs = z
  .object({
    name: AgentSpec.shape.name,
    description: AgentSpec.shape.description,
    instructions: AgentSpec.shape.instructions,
    schedule: z
      .object({
        cron: AgentSchedule.shape.cron,
        timeZone: AgentSchedule.shape.timeZone,
        enabled: AgentSchedule.shape.enabled.optional(),
        missedRunPolicy: MissedRunPolicy.optional(),
      })
      .strict()
      .nullable(),
    steps: z
      .array(Step, 'steps must be a list of strings')
      .min(1, 'steps must list at least one step')
      .max(maxSteps, `steps must list at most ${maxSteps} steps`),
    limits: AgentRunLimits.partial().optional(),
    notifications: z
      .object({
        webhookUrl: WebhookUrl.nullable().optional(),
        inApp: AgentNotificationSettings.shape.inApp.optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

/** A valid proposal: the agent as it would be saved, and its outline for the person. */
export interface AgentProposal {
  spec: AgentSpec;
  steps: string[];
}

export type ParsedProposal = { ok: true; proposal: AgentProposal } | { ok: false; problems: string[] };

/** How to write a field, added when it is missing or of the wrong type. */
const fieldHints: Record<string, string> = {
  name: 'a short name such as "Weekly sales report"',
  description: 'one sentence saying what the agent does',
  instructions: 'what the agent must do on each run, written for the agent',
  schedule: '{"cron": "0 8 * * 1", "timeZone": "Asia/Seoul"}, or null when the agent runs only when started by hand',
  'schedule.cron': 'a 5-field cron such as "0 8 * * 1" (every Monday at 08:00)',
  'schedule.timeZone': 'an IANA time zone name such as "Asia/Seoul" or "Europe/London"',
  steps: 'a list of short strings such as ["Read sales.csv", "Sum by region", "Write report.md"]',
  limits: '{"timeoutMs": 600000, "maxTurns": 30, "maxUsd": 1}',
  notifications: '{"webhookUrl": null, "inApp": true}',
};

/**
 * Checks propose_agent's (or save_agent's) arguments: shape and bounds with the domain's schemas,
 * then the schedule's meaning. Each problem names its field (`schedule.cron`, `limits.maxUsd`, ...)
 * and says how to fix it.
 */
export function parseProposal(input: unknown): ParsedProposal {
  const r = ProposalArgs.safeParse(input);
  if (!r.success) return { ok: false, problems: r.error.issues.flatMap((i) => problemsOf(i, input)) };
  const a = r.data;
  let schedule: AgentSchedule | null = null;
  if (a.schedule) {
    const s = ScheduleSpec.safeParse({ cron: a.schedule.cron, timeZone: a.schedule.timeZone });
    if (!s.success) {
      return { ok: false, problems: s.error.issues.map((i) => `schedule.${pathText(i.path)}: ${i.message}`) };
    }
    schedule = {
      cron: s.data.cron,
      timeZone: s.data.timeZone,
      enabled: a.schedule.enabled ?? true,
      missedRunPolicy: a.schedule.missedRunPolicy ?? 'skip',
      overlapPolicy: 'skip',
    };
  }
  const spec = AgentSpec.safeParse({
    name: a.name.trim(),
    description: a.description.trim(),
    instructions: a.instructions.trim(),
    schedule,
    limits: { ...DEFAULT_RUN_LIMITS, ...a.limits },
    notifications: { webhookUrl: a.notifications?.webhookUrl ?? null, inApp: a.notifications?.inApp ?? true },
  });
  // The parts passed, so the whole can fail only where the parts and the whole disagree (a normalised
  // cron longer than the stored bound, say): still told field by field.
  if (!spec.success) return { ok: false, problems: spec.error.issues.flatMap((i) => problemsOf(i, undefined)) };
  return { ok: true, proposal: { spec: spec.data, steps: a.steps } };
}

function problemsOf(issue: z.core.$ZodIssue, input: unknown): string[] {
  const field = pathText(issue.path);
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((k) => `${field ? `${field}.` : ''}${k} is not a field of this tool: leave it out`);
  }
  const hint = fieldHints[field];
  if (issue.code === 'invalid_type' && input !== undefined && valueAt(input, issue.path) === undefined) {
    return [`${field} is missing${hint ? `: give ${hint}` : ''}`];
  }
  const text = issue.message.startsWith(field) ? issue.message : `${field}: ${issue.message}`;
  return [issue.code === 'invalid_type' && hint ? `${text}, such as ${hint}` : text];
}

function pathText(path: readonly PropertyKey[]): string {
  return path
    .map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i > 0 ? '.' : ''}${String(p)}`))
    .join('')
    .replace(/^\./, '');
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = input;
  for (const p of path) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<PropertyKey, unknown>)[p];
  }
  return v;
}

// --- what the person and Claude are told ------------------------------------------------------------

export interface ScheduleSummary {
  scheduleText: ScheduleText;
  /** The next fire times (ms since the epoch); empty without an enabled schedule. */
  nextRuns: number[];
}

/** The schedule in words and its next runs after `nowMs`. */
export function summarizeSchedule(schedule: AgentSchedule | null, nowMs: number): ScheduleSummary {
  if (!schedule) return { scheduleText: { en: 'only when started by hand', ko: '직접 실행할 때만' }, nextRuns: [] };
  return {
    scheduleText: { en: describeSchedule(schedule, 'en'), ko: describeSchedule(schedule, 'ko') },
    nextRuns: schedule.enabled ? nextRuns(schedule, nowMs, AgentProposalLimits.nextRuns) : [],
  };
}

/** A fire time as the person reads it in the schedule's zone: "Mon 2026-03-02 08:00". */
export function formatRunTime(ms: number, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    weekday: 'short',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(ms);
  const part = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? '';
  return `${part('weekday')} ${part('year')}-${part('month')}-${part('day')} ${part('hour')}:${part('minute')}`;
}

function whenText(schedule: AgentSchedule | null, summary: ScheduleSummary): string {
  if (!schedule) return 'It runs only when started by hand.';
  if (!schedule.enabled)
    return `Schedule: ${summary.scheduleText.en}, switched off (it runs only when started by hand).`;
  const runs = summary.nextRuns.map((ms) => formatRunTime(ms, schedule.timeZone)).join(', ');
  return `Schedule: ${summary.scheduleText.en}. Next runs (${schedule.timeZone}): ${runs}.`;
}

function limitsText({ timeoutMs, maxTurns, maxUsd }: AgentRunLimits): string {
  const minutes = Math.round((timeoutMs / 60_000) * 10) / 10;
  return `Each run stops after ${minutes} min, ${maxTurns} turns or ${maxUsd} USD.`;
}

// --- the tools ----------------------------------------------------------------------------------------

type ToolResult = Awaited<ReturnType<SdkMcpToolDefinition['handler']>>;

const toolText = (text: string): ToolResult => ({ content: [{ type: 'text', text }] });
const toolError = (text: string): ToolResult => ({ content: [{ type: 'text', text }], isError: true });

const invalidText = (toolName: string, problems: string[]): string =>
  [`${toolName} was not done: fix these fields and call ${toolName} again.`, ...problems.map((p) => `- ${p}`)].join(
    '\n',
  );

/** What an agent-create conversation's tools need of the runner. */
export interface AgentDesignContext {
  sessionId: string;
  /** The session's owner: saved agents are theirs. */
  ownerId: string;
  store: Store;
  /** The session's event log: the tools' events are stored and streamed in order with the turn's. */
  events: EventLog;
  clock: Clock;
  log: Logger;
  /** The user message whose turn is running (the tools' events belong to it), or null. */
  currentMessageId: () => string | null;
}

interface Draft extends AgentProposal {
  /** The agent this draft was saved as, so that a second save_agent does not make a second agent. */
  savedAgentId: string | null;
}

/**
 * The state of one agent-create conversation: its latest valid proposal. Kept in memory while the
 * Claude process lives; after an idle stop or a move to another runner, the stored events hold it.
 */
export class AgentDesigner {
  private draft: Draft | null = null;
  private recovered = false;
  /** Tool calls run one at a time: two saves at once must not make two agents. */
  private tail: Promise<unknown> = Promise.resolve();

  constructor(private readonly c: AgentDesignContext) {}

  propose(args: unknown): Promise<ToolResult> {
    return this.serial('propose_agent', async () => {
      const parsed = parseProposal(args);
      if (!parsed.ok) return toolError(invalidText('propose_agent', parsed.problems));
      const draft = await this.publish(parsed.proposal);
      const summary = summarizeSchedule(draft.spec.schedule, this.c.clock.now());
      return toolText(
        [
          `The proposal "${draft.spec.name}" is shown to the person in the preview panel.`,
          whenText(draft.spec.schedule, summary),
          limitsText(draft.spec.limits),
          'Tell the person briefly what it will do and when; when they agree, call save_agent. For changes, call propose_agent again.',
        ].join(' '),
      );
    });
  }

  /** Saves the latest proposal, or the one given in full (which becomes the latest). */
  save(args: unknown): Promise<ToolResult> {
    return this.serial('save_agent', async () => {
      let draft: Draft | null;
      if (hasFields(args)) {
        const parsed = parseProposal(args);
        if (!parsed.ok) return toolError(invalidText('save_agent', parsed.problems));
        draft = await this.publish(parsed.proposal);
      } else {
        draft = await this.latest();
      }
      if (!draft) {
        return toolError(
          'There is no proposal to save yet: call propose_agent first with the name, description, instructions, schedule, steps and limits, let the person check it, then call save_agent.',
        );
      }
      if (draft.savedAgentId) {
        return toolText(
          `This proposal is saved already as agent ${draft.savedAgentId} ("${draft.spec.name}"). To make another agent or change this design, call propose_agent first.`,
        );
      }
      const { store, clock, events } = this.c;
      const agent: Agent = await store.createAgent({
        id: randomUUID(),
        ownerId: this.c.ownerId,
        spec: draft.spec,
        // Signs the webhook posts; the person sees it on the agent's page, never in the conversation.
        webhookSecret: draft.spec.notifications.webhookUrl ? randomBytes(32).toString('hex') : null,
        now: clock.now(),
      });
      draft.savedAgentId = agent.id;
      await events.append(this.c.sessionId, [
        { type: 'agent.saved', messageId: this.c.currentMessageId(), agentId: agent.id, name: agent.name },
      ]);
      const summary = summarizeSchedule(agent.schedule, clock.now());
      return toolText(
        [
          `Saved the agent "${agent.name}" with id ${agent.id}.`,
          whenText(agent.schedule, summary),
          'Tell the person it is saved and that the dashboard shows its runs, results and costs.',
        ].join(' '),
      );
    });
  }

  /** Stores the proposal's event (the preview panel) and makes it the latest. */
  private async publish(p: AgentProposal): Promise<Draft> {
    const summary = summarizeSchedule(p.spec.schedule, this.c.clock.now());
    await this.c.events.append(this.c.sessionId, [
      { type: 'agent.proposal', messageId: this.c.currentMessageId(), draft: p.spec, steps: p.steps, ...summary },
    ]);
    this.draft = { ...p, savedAgentId: null };
    return this.draft;
  }

  /** The latest proposal: in memory, or (once per process) read back from the session's stored events. */
  private async latest(): Promise<Draft | null> {
    if (this.draft || this.recovered) return this.draft;
    this.recovered = true;
    let found: Draft | null = null;
    const page = 500;
    for (let after = -1; ; ) {
      const events: SessionEvent[] = await this.c.store.listEvents(this.c.sessionId, after, page);
      for (const e of events) {
        if (e.type === 'agent.proposal') found = { spec: e.draft, steps: e.steps, savedAgentId: null };
        else if (e.type === 'agent.saved' && found) found.savedAgentId = e.agentId;
      }
      if (events.length < page) break;
      after = events[events.length - 1]!.seq;
    }
    this.draft = found;
    return found;
  }

  private serial(toolName: string, run: () => Promise<ToolResult>): Promise<ToolResult> {
    const result = this.tail.then(run).catch((e: unknown) => {
      // The store failed (or refused the agent): Claude is told, and can try again.
      this.c.log.error(`${toolName} failed`, { sessionId: this.c.sessionId, error: e });
      const why = e instanceof Error ? e.message : String(e);
      return toolError(`${toolName} could not finish (${why}). Call ${toolName} again in a moment.`);
    });
    this.tail = result;
    return result;
  }
}

function hasFields(args: unknown): boolean {
  return (
    typeof args === 'object' && args !== null && Object.values(args as object).some((v: unknown) => v !== undefined)
  );
}

/** The in-process MCP server of one agent-create conversation. */
export function createAgentDesignServer(designer: AgentDesigner): McpSdkServerConfigWithInstance {
  return createSdkMcpServer({
    name: AGENT_DESIGN_SERVER,
    version: '1.0.0',
    // The session exists for these tools: never defer them behind tool search.
    alwaysLoad: true,
    tools: [
      tool(
        'propose_agent',
        'Propose the agent designed with the person: it is checked and shown in their preview panel. Call it again after every change. Answers with the schedule in words and the next runs, or with the fields to fix.',
        proposeShape,
        (args) => designer.propose(args),
      ),
      tool(
        'save_agent',
        'Save the latest proposal as an agent of the person, once they agreed to it. Without arguments it saves the last propose_agent proposal; with all of propose_agent’s arguments it saves those. Answers with the agent id.',
        saveShape,
        (args) => designer.save(args),
      ),
    ],
  });
}

/** The query options that give a conversation the agent tools (server and permission). */
export function agentDesignOptions(c: AgentDesignContext): Pick<Options, 'mcpServers' | 'allowedTools'> {
  return {
    mcpServers: { [AGENT_DESIGN_SERVER]: createAgentDesignServer(new AgentDesigner(c)) },
    allowedTools: [...AGENT_DESIGN_TOOLS],
  };
}
