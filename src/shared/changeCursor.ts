import { z } from 'zod';

/**
 * Position in a change feed. Ordering on (updatedAt, id) rather than updatedAt alone means rows
 * that share a timestamp are never skipped or repeated at a page boundary.
 */
export const changeCursorSchema = z.object({
  since: z.string().min(1).max(64),
  afterId: z.string().max(64),
});
export type ChangeCursor = z.infer<typeof changeCursorSchema>;

/** A record's own place in its feed. */
export function positionOf(record: { updatedAt: string; id: string }): ChangeCursor {
  return { since: record.updatedAt, afterId: record.id };
}

/**
 * Orders change-feed positions the way every source pages them, in every connector and workflow
 * alike: by time, then id, ids compared as strings.
 */
export function compareCursors(a: ChangeCursor, b: ChangeCursor): number {
  const byTime = Date.parse(a.since) - Date.parse(b.since);
  if (byTime !== 0) return byTime;
  return a.afterId < b.afterId ? -1 : a.afterId > b.afterId ? 1 : 0;
}

/** True when the record comes strictly after the cursor (every record does when there is none). */
export function isAfterCursor(record: { updatedAt: string; id: string }, cursor: ChangeCursor | null): boolean {
  return !cursor || compareCursors(positionOf(record), cursor) > 0;
}

/** Sort order of a change feed's records: by time, then id. */
export function byFeedPosition(a: { updatedAt: string; id: string }, b: { updatedAt: string; id: string }): number {
  return compareCursors(positionOf(a), positionOf(b));
}
