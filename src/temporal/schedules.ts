import { ScheduleNotFoundError, ScheduleOverlapPolicy, type Client, type ScheduleDescription, type ScheduleOptions } from '@temporalio/client';
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
    // A run that fails (change guard, credentials, a system down past its retries) pauses the
    // schedule, so it does not fail again every minute: the UI shows it paused, with the reason.
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 minute', pauseOnFailure: true },
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
  await handle.update((previous) => ({
    ...previous,
    spec: options.spec,
    action: options.action,
    policies: options.policies,
    state: { ...previous.state, paused: options.state?.paused ?? false, note: options.state?.note },
  }));
  return 'updated';
}

export interface ScheduledRun {
  workflowId: string;
  /** The first run of the execution chain: its result follows continue-as-new to the end. */
  runId: string;
}

/**
 * Starts a scheduled run now and returns its ids. The trigger carries SKIP explicitly:
 * the SDK's default (ALLOW_ALL) would start a run without the previous run's watermark. Because
 * of SKIP, a trigger while a run is in progress (as the schedule sees it; it learns that a run has
 * ended a moment after the run does) is dropped, so this waits for no run to be in progress and
 * triggers again if a trigger was dropped.
 */
export async function triggerSchedule(client: Client, scheduleId: string, timeoutMs = 60_000): Promise<ScheduledRun> {
  const handle = client.schedule.getHandle(scheduleId);
  const actionsOf = (info: ScheduleDescription['info']) => [...info.runningActions, ...info.recentActions.map((a) => a.action)];
  // Runs are told apart by run id: two runs started within the same second share a workflow id.
  const before = new Set(actionsOf((await handle.describe()).info).map((action) => action.workflow.firstExecutionRunId));
  const deadline = Date.now() + timeoutMs;
  let retriggerAt = 0;
  while (Date.now() < deadline) {
    const { info } = await handle.describe();
    const started = actionsOf(info).find((action) => !before.has(action.workflow.firstExecutionRunId));
    if (started) return { workflowId: started.workflow.workflowId, runId: started.workflow.firstExecutionRunId };
    if (info.runningActions.length === 0 && Date.now() >= retriggerAt) {
      await handle.trigger(ScheduleOverlapPolicy.SKIP);
      retriggerAt = Date.now() + 5_000;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`Schedule ${scheduleId} did not start a run within ${timeoutMs / 1000} s (a run in progress that does not end?).`);
}
