import { ScheduleNotFoundError } from '@temporalio/client';
import { applySchedulePlan, describeSchedule, planSchedules, type SchedulePlanEntry } from '../temporal/schedules';
import { configuredSyncs } from '../temporal/syncSchedules';
import { out, withBridgeClient } from './bridgeClient';
import { exitCodes } from './exitCodes';
import { requireSyncs } from './runTargets';

function planLines(plan: SchedulePlanEntry[]): string[] {
  const changes = plan.filter((entry) => entry.change !== 'unchanged');
  if (changes.length === 0) return [`No changes: all ${plan.length} schedules match the configuration.`];
  const sign = { create: '+', update: '~', delete: '-', unchanged: ' ' } as const;
  return [
    ...plan.map(
      (entry) =>
        `${sign[entry.change]} ${entry.scheduleId}: ${entry.change}${entry.details.length ? ` (${entry.details.join(', ')})` : ''}`,
    ),
    `${changes.length} to change, ${plan.length - changes.length} unchanged.`,
  ];
}

/** `bridge schedules apply [--dry-run]`: prints the plan, then makes the schedules match the configuration. */
export function applySchedules(options: { dryRun?: boolean; json?: boolean }): Promise<number> {
  return withBridgeClient(async (client, config) => {
    const syncs = configuredSyncs(config);
    const plan = await planSchedules(client, syncs);
    if (!options.dryRun) await applySchedulePlan(client, plan, syncs, config.temporal.taskQueue);
    if (options.json) out(JSON.stringify({ dryRun: Boolean(options.dryRun), plan }, null, 2));
    else {
      for (const line of planLines(plan)) out(line);
      if (options.dryRun && plan.some((entry) => entry.change !== 'unchanged')) out('Dry run: nothing was changed.');
    }
    return exitCodes.ok;
  });
}

/** `bridge schedules list`: every configured schedule with its state and next run. */
export function listSchedules(options: { json?: boolean }): Promise<number> {
  return withBridgeClient(async (client, config) => {
    const rows = [];
    for (const sync of configuredSyncs(config)) {
      try {
        const description = await client.schedule.getHandle(sync.scheduleId).describe();
        rows.push({
          scheduleId: sync.scheduleId,
          workflowType: sync.workflowType,
          when: describeSchedule({ ...sync.schedule, paused: false }),
          paused: description.state.paused,
          note: description.state.note ?? '',
          nextRun: description.info.nextActionTimes[0]?.toISOString() ?? null,
          running: description.info.runningActions.length,
        });
      } catch (error) {
        if (!(error instanceof ScheduleNotFoundError)) throw error;
        rows.push({ scheduleId: sync.scheduleId, workflowType: sync.workflowType, when: describeSchedule(sync.schedule), missing: true });
      }
    }
    if (options.json) out(JSON.stringify(rows, null, 2));
    else {
      for (const row of rows) {
        if ('missing' in row) out(`${row.scheduleId}  ${row.workflowType}  ${row.when}  NOT CREATED (run \`bridge schedules apply\`)`);
        else {
          const state = row.paused ? `paused${row.note ? ` (${row.note})` : ''}` : `next ${row.nextRun ?? '-'}`;
          out(`${row.scheduleId}  ${row.workflowType}  ${row.when}  ${state}${row.running ? '  1 run in progress' : ''}`);
        }
      }
    }
    return exitCodes.ok;
  });
}

/** `bridge schedules pause|unpause <integration>`: stops or restarts scheduled runs, with a note the UI shows. */
export function setSchedulesPaused(target: string, paused: boolean, options: { note?: string; json?: boolean }): Promise<number> {
  return withBridgeClient(async (client, config) => {
    const changed = [];
    for (const sync of requireSyncs(config, target)) {
      const handle = client.schedule.getHandle(sync.scheduleId);
      const note = options.note ?? `${paused ? 'paused' : 'unpaused'} with bridge by ${process.env.USER ?? 'an operator'}`;
      if (paused) await handle.pause(note);
      else await handle.unpause(note);
      changed.push({ scheduleId: sync.scheduleId, paused, note });
    }
    if (options.json) out(JSON.stringify(changed, null, 2));
    else for (const c of changed) out(`${c.scheduleId}: ${c.paused ? 'paused' : 'unpaused'} (${c.note})`);
    return exitCodes.ok;
  });
}
