import { ScheduleNotFoundError, type Client } from '@temporalio/client';
import { InvalidArgumentError } from 'commander';
import type { BridgeConfig } from '../config/configSchema';
import { configuredSyncs, type SyncStart } from '../temporal/syncSchedules';

/** The syncs an operator means by an integration id ("products") or a schedule id ("product-sync-products"). */
function syncsNamed(config: BridgeConfig, name: string): SyncStart[] {
  return configuredSyncs(config).filter((sync) => sync.integrationId === name || sync.scheduleId === name);
}

export function requireSyncs(config: BridgeConfig, name: string): SyncStart[] {
  const syncs = syncsNamed(config, name);
  if (syncs.length === 0) {
    const known = [...new Set(configuredSyncs(config).map((sync) => sync.integrationId))].join(', ');
    throw new InvalidArgumentError(`No integration or schedule '${name}' in the configuration (integrations: ${known}).`);
  }
  return syncs;
}

/** Workflow ids of the runs of a sync in progress now: scheduled ones, and ones started by hand. */
async function runningRuns(client: Client, sync: SyncStart): Promise<string[]> {
  const ids = new Set<string>();
  try {
    const { info } = await client.schedule.getHandle(sync.scheduleId).describe();
    for (const action of info.runningActions) ids.add(action.workflow.workflowId);
  } catch (error) {
    if (!(error instanceof ScheduleNotFoundError)) throw error;
  }
  const query = `IntegrationId = '${sync.integrationId}' AND WorkflowType = '${sync.workflowType}' AND ExecutionStatus = 'Running'`;
  for await (const execution of client.workflow.list({ query, pageSize: 20 })) ids.add(execution.workflowId);
  return [...ids];
}

/**
 * What an operator command acts on: the runs in progress of a configured integration, or a
 * workflow id as the Temporal UI shows it.
 */
export async function resolveRuns(client: Client, config: BridgeConfig, target: string): Promise<{ runs: string[]; syncs: SyncStart[] }> {
  const syncs = syncsNamed(config, target);
  if (syncs.length === 0) return { runs: [target], syncs: [] };
  const runs = (await Promise.all(syncs.map((sync) => runningRuns(client, sync)))).flat();
  return { runs, syncs };
}
