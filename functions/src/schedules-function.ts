import { type CloudEvent, cloudEvent } from '@google-cloud/functions-framework';
import { dispatchSchedule, pubsubMessage, type ScheduleDeps } from './services/schedules.js';

/**
 * Registers `schedules`, the Pub/Sub-triggered function that Cloud Scheduler's messages on
 * `agent-schedules` reach (as a CloudEvent; a push subscription's raw body is converted by the
 * framework).
 */
export function registerSchedulesFunction(deps: ScheduleDeps): void {
  cloudEvent('schedules', async (event: CloudEvent<unknown>) => {
    const { data, publishTimeMs } = pubsubMessage(event);
    await dispatchSchedule(deps, data, publishTimeMs);
  });
}
