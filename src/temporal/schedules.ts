import { ScheduleNotFoundError, ScheduleOverlapPolicy, type Client, type ScheduleOptions } from '@temporalio/client';
import { integrationIdKey, syncDirectionKey } from '../../workflows/searchAttributes';
import type { SyncStart } from './syncSchedules';

function scheduleOptions(sync: SyncStart, taskQueue: string): ScheduleOptions {
  return {
    scheduleId: sync.scheduleId,
    spec: { intervals: [{ every: sync.schedule.every as `${number}${'ms' | 's' | 'm' | 'h' | 'd'}` }] },
    action: {
      type: 'startWorkflow',
      workflowType: sync.workflowType,
      workflowId: sync.scheduleId,
      taskQueue,
      args: sync.args,
      typedSearchAttributes: [
        { key: integrationIdKey, value: sync.integrationId },
        { key: syncDirectionKey, value: sync.direction },
      ],
      staticSummary: sync.summary,
    },
    // The watermark passes from run to run as the last completion result, which the server only
    // provides when runs cannot overlap: never ALLOW_ALL.
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 minute' },
    state: { paused: sync.schedule.paused, note: sync.schedule.paused ? 'paused in configuration' : undefined },
  };
}

/** Creates the schedule, or brings an existing one in line with the configuration. */
export async function ensureSchedule(client: Client, sync: SyncStart, taskQueue: string): Promise<'created' | 'updated'> {
  const options = scheduleOptions(sync, taskQueue);
  const handle = client.schedule.getHandle(options.scheduleId);
  try {
    await handle.describe();
  } catch (error) {
    if (!(error instanceof ScheduleNotFoundError)) throw error;
    await client.schedule.create(options);
    return 'created';
  }
  await handle.update((previous) => ({ ...previous, spec: options.spec, action: options.action, policies: options.policies }));
  return 'updated';
}

/**
 * Starts a scheduled run now and returns its workflow id. The trigger carries SKIP explicitly:
 * the SDK's default (ALLOW_ALL) would start a run without the previous run's watermark.
 */
export async function triggerSchedule(client: Client, scheduleId: string, timeoutMs = 30_000): Promise<string> {
  const handle = client.schedule.getHandle(scheduleId);
  const before = new Set((await handle.describe()).info.recentActions.map((a) => a.action.workflow.workflowId));
  await handle.trigger(ScheduleOverlapPolicy.SKIP);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const { info } = await handle.describe();
    const started = [...info.runningActions, ...info.recentActions.map((a) => a.action)].find(
      (action) => !before.has(action.workflow.workflowId),
    );
    if (started) return started.workflow.workflowId;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`Schedule ${scheduleId} did not start a run within ${timeoutMs / 1000} s of the trigger (is a run already in progress?).`);
}
