import type { DemandMappingSummary } from '../shared/demandMappingContract';
import type { DemandStatusSummary } from '../shared/demandStatusContract';
import type { ProductSyncSummary } from '../shared/productSyncContract';
import type { SyncProgress } from '../shared/syncProgress';

export type SyncSummary = ProductSyncSummary | DemandMappingSummary | DemandStatusSummary;

/** "fetched 500, created 500, ..." for flat counters, one line per group for nested ones. */
export function countLines(counts: Record<string, number | Record<string, number>>): string[] {
  const flat = Object.entries(counts).filter((entry): entry is [string, number] => typeof entry[1] === 'number');
  const groups = Object.entries(counts).filter((entry): entry is [string, Record<string, number>] => typeof entry[1] === 'object');
  const join = (entries: Array<[string, number]>) => entries.map(([name, n]) => `${name} ${n}`).join(', ');
  return [...(flat.length > 0 ? [join(flat)] : []), ...groups.map(([group, values]) => `${group}: ${join(Object.entries(values))}`)];
}

/** The counters of any sync's summary: flat for productSync and demandStatus, grouped for demandMapping. */
export function summaryCounts(summary: SyncSummary): Record<string, number | Record<string, number>> {
  return 'demands' in summary ? { demands: summary.demands, orders: summary.orders } : summary.counts;
}

/**
 * A run's summary as a person reads it: a title line ("<title>: Completed in 0.6 s"), the counters,
 * then the records that need a look.
 */
export function summaryLines(title: string, summary: SyncSummary, maxIssues = Number.POSITIVE_INFINITY): string[] {
  const dryRun = 'dryRun' in summary && summary.dryRun ? ' (dry run: nothing written)' : '';
  const counts = summaryCounts(summary);
  const issues = [
    ...('rejected' in summary ? summary.rejected.map((issue) => `rejected ${issue.id}: ${issue.reason}`) : []),
    ...summary.failed.map((issue) => `failed ${issue.id}: ${issue.reason}`),
    ...('parked' in summary && summary.parked
      ? summary.parked.map((issue) => `parked ${issue.id} (failed ${issue.attempts ?? '?'} runs): ${issue.reason}`)
      : []),
  ];
  return [
    `${title}: ${summary.status}${dryRun} in ${(summary.durationMs / 1000).toFixed(1)} s`,
    ...('mappingChange' in summary && summary.mappingChange ? [`  ${summary.mappingChange}`] : []),
    ...countLines(counts).map((line) => `  ${line}`),
    ...issues.slice(0, maxIssues).map((line) => `  ${line}`),
    ...(issues.length > maxIssues ? [`  ... and ${issues.length - maxIssues} more in the run's result`] : []),
  ];
}

export function progressLines(workflowId: string, progress: SyncProgress): string[] {
  return [
    `${workflowId}: ${progress.state}, ${progress.pages} pages`,
    ...(progress.mappingChange ? [`  ${progress.mappingChange}`] : []),
    ...(progress.attentionReason ? [`  needs attention: ${progress.attentionReason}`] : []),
    ...countLines(progress.counts).map((line) => `  ${line}`),
  ];
}
