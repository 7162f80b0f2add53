import { AppError, type ErrorCode } from '@agent-platform/core/errors';
import type { ScheduledAgent, Scheduler } from '@agent-platform/core/ports';
import { type ScheduleFire, Topics } from '@agent-platform/core/protocol';
import { ScheduleSpec } from '@agent-platform/core/schedule';
import { CloudSchedulerClient, type protos } from '@google-cloud/scheduler';

type Job = protos.google.cloud.scheduler.v1.IJob;
export type CloudSchedulerClientOptions = NonNullable<ConstructorParameters<typeof CloudSchedulerClient>[0]>;

export interface CloudSchedulerOptions {
  projectId: string;
  /** The Cloud Scheduler region the jobs live in, such as `europe-west1`. */
  location: string;
  /** The Pub/Sub topic id (in `projectId`) the jobs publish to. Default `Topics.agentSchedules`. */
  topic?: string;
  /**
   * Options for Google's client: `apiEndpoint`, `port`, `fallback` (REST), `protocol`, `authClient`…
   * Default: the real API over gRPC with Application Default Credentials.
   */
  clientOptions?: CloudSchedulerClientOptions;
}

/** What the jobs are updated with: everything this adapter sets, nothing else (retry config stays). */
const updatedFields = ['description', 'schedule', 'time_zone', 'pubsub_target'];

/**
 * The Scheduler as Cloud Scheduler jobs: one job per agent, `agent-<agentId>`, publishing the
 * agent's `ScheduleFire` to the `agent-schedules` topic. Cloud Scheduler keeps time (and fires
 * while the platform is down; Pub/Sub keeps the messages), so missed runs need nothing here.
 * A disabled schedule is a paused job.
 */
export class CloudScheduler implements Scheduler {
  private readonly client: CloudSchedulerClient;
  private readonly parent: string;
  private readonly topicName: string;

  constructor(options: CloudSchedulerOptions) {
    this.client = new CloudSchedulerClient(options.clientOptions);
    this.parent = `projects/${options.projectId}/locations/${options.location}`;
    this.topicName = `projects/${options.projectId}/topics/${options.topic ?? Topics.agentSchedules}`;
  }

  /** The job's full name. Agent ids must be job-id safe: letters, digits, `-` and `_`. */
  jobName(agentId: string): string {
    if (!/^[A-Za-z0-9_-]{1,128}$/.test(agentId)) {
      throw new AppError(
        'VALIDATION_FAILED',
        `Agent id "${agentId}" cannot name a Cloud Scheduler job: use 1-128 letters, digits, "-" or "_"`,
        { agentId },
      );
    }
    return `${this.parent}/jobs/agent-${agentId}`;
  }

  /** Creates the job, or updates it when it exists; then pauses or resumes it to match `enabled`. */
  async upsert(agent: ScheduledAgent): Promise<void> {
    const parsed = ScheduleSpec.safeParse(agent.schedule);
    if (!parsed.success) {
      const message = parsed.error.issues.map((i) => i.message).join('; ');
      throw new AppError('VALIDATION_FAILED', `The schedule of agent ${agent.agentId} is invalid: ${message}`, {
        agentId: agent.agentId,
      });
    }
    const schedule = parsed.data;
    const name = this.jobName(agent.agentId);
    const fire: ScheduleFire = { v: 1, type: 'agent.schedule', agentId: agent.agentId, ownerId: agent.ownerId };
    const job: Job = {
      name,
      description: `Runs agent ${agent.agentId} of ${agent.ownerId}. Managed by the platform: edits here are overwritten.`,
      schedule: schedule.cron,
      timeZone: schedule.timeZone,
      pubsubTarget: {
        topicName: this.topicName,
        data: Buffer.from(JSON.stringify(fire)),
        attributes: { type: fire.type },
      },
    };

    let saved: Job;
    try {
      [saved] = await this.client.createJob({ parent: this.parent, job });
    } catch (error) {
      if (googleError(error).status !== 'ALREADY_EXISTS')
        throw failure(error, `create the job of agent ${agent.agentId}`);
      try {
        [saved] = await this.client.updateJob({ job, updateMask: { paths: updatedFields } });
      } catch (updateError) {
        throw failure(updateError, `update the job of agent ${agent.agentId}`);
      }
    }

    const state = stateOf(saved);
    try {
      if (!schedule.enabled && state === 'ENABLED') await this.client.pauseJob({ name });
      if (schedule.enabled && state === 'PAUSED') await this.client.resumeJob({ name });
    } catch (error) {
      throw failure(error, `${schedule.enabled ? 'resume' : 'pause'} the job of agent ${agent.agentId}`);
    }
  }

  /** Deletes the agent's job; a job that is already gone is fine. */
  async remove(agentId: string): Promise<void> {
    try {
      await this.client.deleteJob({ name: this.jobName(agentId) });
    } catch (error) {
      if (googleError(error).status === 'NOT_FOUND') return;
      throw failure(error, `delete the job of agent ${agentId}`);
    }
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}

/** gRPC status names by code (the gRPC transport's errors carry the code). */
const grpcStatus: Record<number, string> = {
  3: 'INVALID_ARGUMENT',
  4: 'DEADLINE_EXCEEDED',
  5: 'NOT_FOUND',
  6: 'ALREADY_EXISTS',
  7: 'PERMISSION_DENIED',
  8: 'RESOURCE_EXHAUSTED',
  9: 'FAILED_PRECONDITION',
  10: 'ABORTED',
  13: 'INTERNAL',
  14: 'UNAVAILABLE',
  16: 'UNAUTHENTICATED',
};

/** The usual status behind an HTTP status, for a REST error whose body does not name it. */
const httpStatus: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'ALREADY_EXISTS',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

/**
 * The status name and message of an error from Google's client, on either transport: gRPC errors
 * carry the gRPC code; REST errors (the `fallback` transport) are HTTP errors whose `code` is the
 * HTTP status and whose message is the body, `{"error":{"code","message","status"}}`.
 */
function googleError(error: unknown): { status: string | undefined; message: string } {
  const e = (typeof error === 'object' && error !== null ? error : {}) as {
    code?: unknown;
    message?: unknown;
    response?: { status?: unknown };
  };
  const message = typeof e.message === 'string' ? e.message : String(error);
  const http = e.response?.status;
  if (typeof http === 'number') {
    let body: { error?: { status?: unknown; message?: unknown } } | undefined;
    try {
      body = JSON.parse(message) as typeof body;
    } catch {
      body = undefined; // not JSON (a proxy's page, say): the HTTP status is all there is
    }
    const named = body?.error?.status;
    return {
      status: typeof named === 'string' ? named : httpStatus[http],
      message: typeof body?.error?.message === 'string' ? body.error.message : message,
    };
  }
  return { status: typeof e.code === 'number' ? grpcStatus[e.code] : undefined, message };
}

/** The job's state as a name: the REST transport asks for numeric enums, gRPC gives names. */
function stateOf(job: Job): string | undefined {
  const names = ['STATE_UNSPECIFIED', 'ENABLED', 'PAUSED', 'DISABLED', 'UPDATE_FAILED'];
  const state: unknown = job.state;
  return typeof state === 'number' ? names[state] : typeof state === 'string' ? state : undefined;
}

function failure(error: unknown, what: string): AppError {
  const { status, message } = googleError(error);
  let code: ErrorCode = 'INTERNAL';
  let hint = '';
  switch (status) {
    case 'INVALID_ARGUMENT':
    case 'FAILED_PRECONDITION':
      code = 'VALIDATION_FAILED';
      break;
    case 'PERMISSION_DENIED':
    case 'UNAUTHENTICATED':
      hint = ': give the service account the Cloud Scheduler Admin role (roles/cloudscheduler.admin)';
      break;
    case 'UNAVAILABLE':
    case 'DEADLINE_EXCEEDED':
    case 'RESOURCE_EXHAUSTED':
    case 'ABORTED':
    case 'INTERNAL':
      code = 'TEMPORARILY_UNAVAILABLE';
      hint = ': try again shortly';
      break;
  }
  return new AppError(code, `Cloud Scheduler could not ${what} (${status ?? 'error'}: ${message})${hint}`, {
    googleStatus: status,
  });
}
