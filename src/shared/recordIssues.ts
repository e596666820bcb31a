import { z } from 'zod';
import { changeCursorSchema, type ChangeCursor } from './changeCursor';

/** A record that was rejected, failed or parked, with why. */
export const recordIssueSchema = z.object({
  id: z.string(),
  reason: z.string(),
  attempts: z.number().int().positive().optional(),
  /** Where a failed record sits in the change feed: it holds the watermark until it is resolved. */
  position: changeCursorSchema.optional(),
  /** Which feed of the workflow it came from, where a workflow reads more than one (demands, orders). */
  feed: z.string().optional(),
});
export type RecordIssue = z.infer<typeof recordIssueSchema>;

/** An issue that knows its place in the feed (every issue a page reports). */
export interface PositionedIssue extends RecordIssue {
  position: ChangeCursor;
}

/** Longest list of rejected or failed records a summary carries; counters keep the totals. */
export const maxListedIssues = 100;

/** Longest list of parked records a run carries to the next. */
export const maxParkedRecords = 1000;

/** Longest reason kept on a record issue: enough for a system's message, never a whole error body. */
const maxReasonLength = 300;

/** A reason cut to the length every list of issues keeps. */
export function capReason(reason: string): string {
  return reason.slice(0, maxReasonLength);
}

/** Keeps results and continue-as-new payloads small whatever happens to a catalog. */
export function pushCapped(list: RecordIssue[], issue: RecordIssue): void {
  if (list.length < maxListedIssues) list.push({ ...issue, reason: capReason(issue.reason) });
}

/** Adds or replaces the record's entry, keeping the list bounded. */
export function upsertIssue(list: RecordIssue[], issue: RecordIssue, max = maxParkedRecords): RecordIssue[] {
  const others = list.filter((entry) => entry.id !== issue.id);
  return others.length < max ? [...others, { ...issue, reason: capReason(issue.reason) }] : others;
}
