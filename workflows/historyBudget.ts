import { workflowInfo } from '@temporalio/workflow';

/**
 * History a run may grow to before it continues as new. Well under Temporal's 10 MB warning (and
 * the 4 MB a client receives in one message), so a run's history stays quick to load in the UI,
 * to replay, and to fetch with the CLI, however large the catalog.
 */
const maxHistoryBytes = 2_000_000;

/** True when this run should hand over to a fresh one: page budget reached, history large, or Temporal says so. */
export function timeToContinueAsNew(pagesThisRun: number, pagesPerRun: number): boolean {
  const info = workflowInfo();
  return pagesThisRun >= pagesPerRun || info.historySize >= maxHistoryBytes || info.continueAsNewSuggested;
}
