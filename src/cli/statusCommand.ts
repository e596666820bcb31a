import { ScheduleNotFoundError, WorkflowFailedError, type Client } from '@temporalio/client';
import { progressQuery } from '../shared/messages';
import { syncStatusKey } from '../shared/searchAttributes';
import { type SyncStart, configuredSyncs } from '../temporal/syncSchedules';
import { describeSchedule } from '../temporal/schedules';
import { out, withBridgeClient } from './bridgeClient';
import { exitCodes } from './exitCodes';
import { progressLine } from './progressBar';
import { requireSyncs } from './runTargets';
import { countLines, summaryCounts } from './summaryText';

interface RunRow {
  workflowId: string;
  status: string;
  startedAt: string;
  detail: string;
}

interface StatusRow {
  scheduleId: string;
  integrationId: string;
  workflowType: string;
  schedule: string;
  scheduleState: string;
  runs: RunRow[];
}

/** The last few runs of a sync, newest first, with state (the SyncStatus search attribute) and counts. */
async function recentRuns(client: Client, sync: SyncStart, limit: number): Promise<RunRow[]> {
  const query = `IntegrationId = '${sync.integrationId}' AND WorkflowType = '${sync.workflowType}'`;
  const rows: RunRow[] = [];
  for await (const execution of client.workflow.list({ query, pageSize: limit })) {
    if (rows.length >= limit) break;
    const state = execution.typedSearchAttributes.get(syncStatusKey) ?? execution.status.name;
    rows.push({
      workflowId: execution.workflowId,
      status: state,
      startedAt: execution.startTime.toISOString(),
      detail: await runDetail(client, execution.workflowId, execution.runId, execution.status.name),
    });
  }
  return rows;
}

async function runDetail(client: Client, workflowId: string, runId: string, status: string): Promise<string> {
  const handle = client.workflow.getHandle<SyncStart['workflow']>(workflowId, runId);
  try {
    if (status === 'RUNNING') return progressLine(await handle.query(progressQuery));
    if (status === 'COMPLETED') return countLines(summaryCounts(await handle.result())).join('; ');
    if (status === 'CONTINUED_AS_NEW') return 'continued in a new run';
    await handle.result();
  } catch (error) {
    if (error instanceof WorkflowFailedError) return error.cause?.message ?? error.message;
    return '';
  }
  return '';
}

async function scheduleState(client: Client, sync: SyncStart): Promise<string> {
  try {
    const { state, info } = await client.schedule.getHandle(sync.scheduleId).describe();
    if (state.paused) return `paused${state.note ? `: ${state.note}` : ''}`;
    return `next run ${info.nextActionTimes[0]?.toISOString() ?? '-'}`;
  } catch (error) {
    if (error instanceof ScheduleNotFoundError) return 'no schedule (run `bridge schedules apply`)';
    throw error;
  }
}

/** `bridge status [integration]`: schedules and their recent runs, with state and counts. */
export function status(target: string | undefined, options: { json?: boolean; runs?: number }): Promise<number> {
  return withBridgeClient(async (client, config) => {
    const syncs = target ? requireSyncs(config, target) : configuredSyncs(config);
    const rows: StatusRow[] = [];
    for (const sync of syncs) {
      rows.push({
        scheduleId: sync.scheduleId,
        integrationId: sync.integrationId,
        workflowType: sync.workflowType,
        schedule: describeSchedule(sync.schedule),
        scheduleState: await scheduleState(client, sync),
        runs: await recentRuns(client, sync, options.runs ?? 3),
      });
    }
    if (options.json) out(JSON.stringify(rows, null, 2));
    else {
      for (const row of rows) {
        out(`${row.integrationId}  ${row.workflowType}  ${row.schedule}  [${row.scheduleState}]`);
        if (row.runs.length === 0) out('  no runs yet');
        for (const run of row.runs) out(`  ${run.status.padEnd(21)} ${run.workflowId}  ${run.detail}`);
      }
    }
    return exitCodes.ok;
  });
}
