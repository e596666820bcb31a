import { z } from 'zod';
import type { ChangeCursor } from '../shared/changeCursor';
import type { HttpSystem } from './httpClient';

export interface ChangePage<T> {
  records: T[];
  /** Cursor after the last record of this page; null when the page is empty. */
  nextCursor: ChangeCursor | null;
  hasMore: boolean;
  /** Records after this page, when the source says (not every API does). */
  remaining?: number;
}

/**
 * A change feed page without the records changed less than `settleMs` ago. A source whose feed is
 * eventually consistent (HubSpot's search shows writes seconds late, and not in timestamp order)
 * would otherwise let the cursor pass a record that shows up later with an older timestamp; held
 * back, such records are read on the next run. The page ends at the first unsettled record.
 */
export function settledPage<T extends { updatedAt: string }>(
  page: ChangePage<T>,
  settleMs: number,
  now: number,
  positionOf: (record: T) => ChangeCursor,
): ChangePage<T> {
  if (settleMs <= 0) return page;
  const settledBefore = now - settleMs;
  const cut = page.records.findIndex((record) => Date.parse(record.updatedAt) > settledBefore);
  if (cut === -1) return page;
  const records = page.records.slice(0, cut);
  const last = records.at(-1);
  return { records, nextCursor: last ? positionOf(last) : null, hasMore: false };
}

/** Only the paging keys are checked here; record content is validated one record at a time later. */
export const feedRecordSchema = z.object({ id: z.string().min(1), updatedAt: z.string().min(1), deleted: z.boolean().optional() }).loose();
export type FeedRecord = z.infer<typeof feedRecordSchema>;

/**
 * Reads one page of a `GET path?since&afterId&limit` change feed answering
 * `{ data, nextCursor, hasMore }`, the shape of the sandbox systems and many in-house APIs.
 */
export async function readChangePage<T extends z.ZodType>(
  http: HttpSystem,
  path: string,
  cursor: ChangeCursor | null,
  limit: number,
  recordSchema: T,
  filters: Record<string, string> = {},
): Promise<ChangePage<z.output<T>>> {
  const page = await http.call({
    method: 'GET',
    path,
    // Every caller names a fixed feed path; the cursor and filters travel in the query, never traced.
    route: path,
    query: { ...filters, since: cursor?.since, afterId: cursor?.afterId, limit },
    schema: z.object({
      data: z.array(recordSchema),
      nextCursor: z.object({ since: z.string(), afterId: z.string() }).nullable(),
      hasMore: z.boolean(),
      remaining: z.number().int().min(0).optional(),
    }),
  });
  return { records: page.data, nextCursor: page.nextCursor, hasMore: page.hasMore, remaining: page.remaining };
}
