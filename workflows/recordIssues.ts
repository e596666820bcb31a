import type { RecordIssue } from './productSyncTypes';

/** Longest list of rejected or failed records a summary carries; counters keep the totals. */
export const maxListedIssues = 100;
const maxReasonLength = 300;

/** Keeps results and continue-as-new payloads small whatever happens to a catalog. */
export function pushCapped(list: RecordIssue[], issue: RecordIssue): void {
  if (list.length < maxListedIssues) list.push({ ...issue, reason: issue.reason.slice(0, maxReasonLength) });
}
