import {
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  type Client,
  type ScheduleDescription,
  type ScheduleOptions,
  type ScheduleSpec,
} from '@temporalio/client';
import type { Priority } from '@temporalio/common';
import { integrationPriority } from './integrationPriority';
import { integrationIdKey, syncDirectionKey } from '../shared/searchAttributes';
import type { Duration } from '../config/duration';
import type { ScheduleConfig } from '../config/configSchema';
import { managedSchedulePrefixes, type SyncStart } from './syncSchedules';

const overlapPolicy: Record<ScheduleConfig['overlap'], ScheduleOverlapPolicy> = {
  skip: ScheduleOverlapPolicy.SKIP,
  'buffer-one': ScheduleOverlapPolicy.BUFFER_ONE,
  'buffer-all': ScheduleOverlapPolicy.BUFFER_ALL,
  'cancel-other': ScheduleOverlapPolicy.CANCEL_OTHER,
  'terminate-other': ScheduleOverlapPolicy.TERMINATE_OTHER,
};

/** The action memo of every scheduled run: which configuration it ran with (and what apply compares). */
interface ScheduleMemo {
  managedBy: 'crm-pms-bridge';
  configVersion: string;
  /** The paused flag of that configuration: apply changes the paused state only when this changes. */
  configPaused: boolean;
  /** What the version covers, so a plan can say which settings changed. */
  config: { args: unknown; schedule: ScheduleConfig };
  /** A `bridge retry|skip` request for the next run (see operatorRequests.ts). */
  operatorRequest?: unknown;
}

function specOf(schedule: ScheduleConfig): ScheduleSpec {
  const jitter = schedule.jitter ? { jitter: schedule.jitter as Duration } : {};
  if (schedule.cron) {
    const cronExpressions = Array.isArray(schedule.cron) ? schedule.cron : [schedule.cron];
    return { cronExpressions, timezone: schedule.timeZone, ...jitter };
  }
  return { intervals: [{ every: schedule.every as Duration }], ...jitter };
}

function scheduleMemo(sync: SyncStart): ScheduleMemo {
  return {
    managedBy: 'crm-pms-bridge',
    configVersion: sync.configVersion,
    configPaused: sync.schedule.paused,
    config: { args: sync.args[0], schedule: sync.schedule },
  };
}

function scheduleOptions(sync: SyncStart, taskQueue: string): ScheduleOptions {
  // The integration's fairness key on every scheduled run. SDK 1.24's ScheduleOptions type leaves
  // `priority` out of the action although its encoder sends it (schedule-helpers.js,
  // encodeScheduleAction) and ScheduleDescription reads it back: hence the typed variable below.
  const action: ScheduleOptions['action'] & { priority: Priority } = {
    type: 'startWorkflow',
    workflowType: sync.workflow,
    // Temporal appends the scheduled time: "product-sync-products-2026-11-24T20:15:00Z".
    workflowId: sync.scheduleId,
    taskQueue,
    args: sync.args,
    memo: scheduleMemo(sync) as unknown as Record<string, unknown>,
    typedSearchAttributes: [
      { key: integrationIdKey, value: sync.integrationId },
      { key: syncDirectionKey, value: sync.direction },
    ],
    staticSummary: sync.summary,
    staticDetails: sync.details,
    priority: integrationPriority(sync.integrationId),
  };
  return {
    scheduleId: sync.scheduleId,
    spec: specOf(sync.schedule),
    action,
    // The watermark passes from run to run as the last completion result, which the server only
    // provides when runs cannot overlap: never ALLOW_ALL (the configuration refuses it).
    // A run that fails (change guard, credentials, nobody answered a NeedsAttention stop) pauses
    // the schedule, so it does not fail again every minute: the UI shows it paused, with the reason.
    policies: {
      overlap: overlapPolicy[sync.schedule.overlap],
      catchupWindow: sync.schedule.catchupWindow as Duration,
      pauseOnFailure: true,
    },
    state: { paused: sync.schedule.paused, note: sync.schedule.paused ? 'paused in configuration' : undefined },
    memo: { managedBy: 'crm-pms-bridge' },
  };
}

/** One line of `bridge schedules apply`'s plan. */
export interface SchedulePlanEntry {
  scheduleId: string;
  change: 'create' | 'update' | 'delete' | 'unchanged';
  /** What differs, in the configuration's own words. */
  details: string[];
}

function memoOf(description: ScheduleDescription): Partial<ScheduleMemo> {
  return description.action.memo ?? {};
}

/** The settings (dotted paths) whose values differ between two configurations. */
export function changedSettings(before: unknown, after: unknown, path = ''): string[] {
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isObject(before) || !isObject(after)) return JSON.stringify(before) === JSON.stringify(after) ? [] : [path || '(all)'];
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  return keys.flatMap((key) => changedSettings(before[key], after[key], path ? `${path}.${key}` : key));
}

async function describeOrUndefined(client: Client, scheduleId: string): Promise<ScheduleDescription | undefined> {
  try {
    return await client.schedule.getHandle(scheduleId).describe();
  } catch (error) {
    if (error instanceof ScheduleNotFoundError) return undefined;
    throw error;
  }
}

/** Ids of the schedules this product created earlier (Temporal's schedule list is eventually consistent). */
async function managedScheduleIds(client: Client): Promise<string[]> {
  const ids: string[] = [];
  for await (const summary of client.schedule.list()) {
    const managed = (summary.memo as Partial<ScheduleMemo> | undefined)?.managedBy === 'crm-pms-bridge';
    if (managed && managedSchedulePrefixes.some((prefix) => summary.scheduleId.startsWith(prefix))) ids.push(summary.scheduleId);
  }
  return ids;
}

/** What `schedules apply` would do: create the missing, update the changed, delete the removed. */
export async function planSchedules(client: Client, syncs: SyncStart[]): Promise<SchedulePlanEntry[]> {
  const plan: SchedulePlanEntry[] = [];
  for (const sync of syncs) {
    const existing = await describeOrUndefined(client, sync.scheduleId);
    if (!existing) {
      plan.push({ scheduleId: sync.scheduleId, change: 'create', details: [describeSchedule(sync.schedule)] });
      continue;
    }
    const memo = memoOf(existing);
    if (memo.configVersion === sync.configVersion) {
      plan.push({ scheduleId: sync.scheduleId, change: 'unchanged', details: [] });
      continue;
    }
    const changed = memo.config ? changedSettings(memo.config, scheduleMemo(sync).config) : ['(created by an older bridge)'];
    plan.push({ scheduleId: sync.scheduleId, change: 'update', details: changed });
  }
  const wanted = new Set(syncs.map((sync) => sync.scheduleId));
  for (const id of await managedScheduleIds(client)) {
    if (!wanted.has(id)) plan.push({ scheduleId: id, change: 'delete', details: ['no longer in the configuration'] });
  }
  return plan;
}

/** Carries out a plan from planSchedules. */
export async function applySchedulePlan(client: Client, plan: SchedulePlanEntry[], syncs: SyncStart[], taskQueue: string): Promise<void> {
  const byId = new Map(syncs.map((sync) => [sync.scheduleId, sync]));
  for (const entry of plan) {
    const handle = client.schedule.getHandle(entry.scheduleId);
    if (entry.change === 'create') await client.schedule.create(scheduleOptions(byId.get(entry.scheduleId)!, taskQueue));
    else if (entry.change === 'update') await updateSchedule(client, byId.get(entry.scheduleId)!, taskQueue);
    else if (entry.change === 'delete') await handle.delete();
  }
}

async function updateSchedule(client: Client, sync: SyncStart, taskQueue: string): Promise<void> {
  const options = scheduleOptions(sync, taskQueue);
  await client.schedule.getHandle(sync.scheduleId).update((previous) => {
    const previousMemo = (previous.action.memo ?? {}) as Partial<ScheduleMemo>;
    // An operator's pause (UI or CLI) survives an apply unless the configuration's paused flag changed.
    const pausedChanged = previousMemo.configPaused !== sync.schedule.paused;
    const paused = pausedChanged ? sync.schedule.paused : previous.state.paused;
    const memo = { ...scheduleMemo(sync), ...(previousMemo.operatorRequest ? { operatorRequest: previousMemo.operatorRequest } : {}) };
    return {
      ...previous,
      spec: options.spec,
      action: { ...options.action, memo: memo },
      policies: options.policies,
      state: { ...previous.state, paused, note: pausedChanged ? options.state?.note : previous.state.note },
    };
  });
}

/** Creates or updates one sync's schedule (what `npm start` does for every configured sync). */
export async function ensureSchedule(client: Client, sync: SyncStart, taskQueue: string): Promise<SchedulePlanEntry['change']> {
  const existing = await describeOrUndefined(client, sync.scheduleId);
  if (!existing) {
    await client.schedule.create(scheduleOptions(sync, taskQueue));
    return 'create';
  }
  if (memoOf(existing).configVersion === sync.configVersion) return 'unchanged';
  await updateSchedule(client, sync, taskQueue);
  return 'update';
}

/** "every 1m" / "cron 0 6 * * 1-5 (Europe/Berlin)", plus jitter and paused. */
export function describeSchedule(schedule: ScheduleConfig): string {
  const when = schedule.cron ? `cron ${[schedule.cron].flat().join(' | ')} (${schedule.timeZone})` : `every ${schedule.every}`;
  return [when, schedule.jitter ? `jitter ${schedule.jitter}` : '', schedule.paused ? 'paused' : ''].filter(Boolean).join(', ');
}

/**
 * Leaves an operator request (retry or skip failed records) in the schedule's action memo for the
 * next run, which carries it out once.
 */
export async function leaveOperatorRequest(
  client: Client,
  scheduleId: string,
  request: { id: string } & Record<string, unknown>,
): Promise<void> {
  await client.schedule.getHandle(scheduleId).update((previous) => ({
    ...previous,
    action: { ...previous.action, memo: { ...(previous.action.memo ?? {}), operatorRequest: request } },
  }));
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
