import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

export interface ChainHistory {
  runs: number;
  events: number;
  bytes: number;
  largestRunEvents: number;
  largestRunBytes: number;
}

/**
 * Event count and encoded size of every run of a workflow chain (the first run and the ones it
 * continued as new into), read from the server through the client, as the Web UI and replay see them.
 */
export async function chainHistory(client: Client, workflowId: string, firstRunId: string): Promise<ChainHistory> {
  const totals: ChainHistory = { runs: 0, events: 0, bytes: 0, largestRunEvents: 0, largestRunBytes: 0 };
  for (let runId: string | undefined = firstRunId; runId;) {
    const history: temporal.api.history.v1.IHistory = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    const events: temporal.api.history.v1.IHistoryEvent[] = history.events ?? [];
    const bytes = temporal.api.history.v1.History.encode(history).finish().length;
    totals.runs += 1;
    totals.events += events.length;
    totals.bytes += bytes;
    totals.largestRunEvents = Math.max(totals.largestRunEvents, events.length);
    totals.largestRunBytes = Math.max(totals.largestRunBytes, bytes);
    runId = events.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
  }
  return totals;
}
