import type { RecordIssue } from './productSyncTypes';

/** Longest list of rejected or failed records a summary carries; counters keep the totals. */
export const maxListedIssues = 100;
const maxReasonLength = 300;

/** Keeps results and continue-as-new payloads small whatever happens to a catalog. */
export function pushCapped(list: RecordIssue[], issue: RecordIssue): void {
  if (list.length < maxListedIssues) list.push({ ...issue, reason: issue.reason.slice(0, maxReasonLength) });
}

/** Longest list of parked records a run carries to the next. */
export const maxParkedRecords = 1000;

/** Adds or replaces the record's entry, keeping the list bounded. */
export function upsertIssue(list: RecordIssue[], issue: RecordIssue, max = maxParkedRecords): RecordIssue[] {
  const others = list.filter((entry) => entry.id !== issue.id);
  return others.length < max ? [...others, { ...issue, reason: issue.reason.slice(0, 300) }] : others;
}
