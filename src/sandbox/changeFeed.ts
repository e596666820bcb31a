import { z } from 'zod';

/**
 * The change-feed contract every sandbox feed shares (PMS products and requirements, CRM demands
 * and orders): `GET ...?since&afterId&limit` answering `{ data, nextCursor, hasMore }`, rows in
 * (updatedAt, id) order strictly after the cursor. One definition, so the feeds cannot drift apart
 * and a client can page through any of them with the same code.
 */

const maxPageSize = 1000;
const defaultPageSize = 100;

interface ChangeCursor {
  since: string;
  afterId: string;
}

export interface FeedPage<T> {
  data: T[];
  nextCursor: ChangeCursor | null;
  hasMore: boolean;
  /** Rows after this page, for feeds that count them (products): lets a client estimate time left. */
  remaining?: number;
}

export interface FeedPosition {
  /** Absent: from the beginning of the feed. */
  since?: string;
  /** Only meaningful with `since`; '' includes rows at exactly `since`. */
  afterId?: string;
  limit: number;
}

/** Canonical form of a cursor timestamp, so it compares correctly with stored ISO strings. */
const isoTimestamp = z.iso
  .datetime({ offset: true, error: 'must be an ISO 8601 timestamp such as 2024-05-01T12:00:00.000Z' })
  .transform((value) => new Date(value).toISOString());

const pageSizeMessage = `must be a whole number from 1 to ${maxPageSize}`;

/** The `limit` query parameter of every sandbox listing. */
export const pageLimitSchema = z.coerce
  .number({ error: pageSizeMessage })
  .int(pageSizeMessage)
  .min(1, pageSizeMessage)
  .max(maxPageSize, pageSizeMessage)
  .default(defaultPageSize);

export const feedQueryShape = {
  since: isoTimestamp.optional().describe('Only rows updated at or after this instant (exclusive of afterId)'),
  afterId: z
    .string()
    .max(64, 'must be at most 64 characters')
    .default('')
    .describe('With since: skip rows at exactly `since` with id <= afterId'),
  limit: pageLimitSchema,
};

/**
 * An afterId alone would silently restart the feed from the beginning; refuse it instead. For
 * `.superRefine` on every feed query: `z.object({ ...feedQueryShape, ...filters }).superRefine(checkFeedCursor)`.
 */
export function checkFeedCursor<Q extends { since?: string; afterId: string }>(query: Q, context: z.RefinementCtx<Q>): void {
  if (query.afterId === '' || query.since !== undefined) return;
  context.addIssue({
    code: 'custom',
    path: ['afterId'],
    input: query.afterId,
    message: 'needs since as well: pass both values of nextCursor from the previous page',
  });
}

/** since/afterId/limit of a feed without filters. */
export const feedQuerySchema = z.object(feedQueryShape).superRefine(checkFeedCursor);

const cursorSchema = z.object({ since: z.string(), afterId: z.string() });

export function feedPageSchema<T extends z.ZodType>(record: T) {
  return z.object({
    data: z.array(record),
    nextCursor: cursorSchema.nullable().describe('Pass as since/afterId to get the rows after this page; null when the page is empty'),
    hasMore: z.boolean(),
    remaining: z.number().int().min(0).optional().describe('Rows after this page (products feed only)'),
  });
}

/**
 * The SQL condition selecting rows strictly after a cursor, with its two parameters. Ordering on
 * (updated_at, id) rather than updated_at alone means rows sharing a timestamp (a bulk load) are
 * never skipped or repeated at a page boundary. Needs `ORDER BY updated_at, id`.
 */
export function afterCursor({ since = '', afterId = '' }: FeedPosition): { sql: string; params: [string, string] } {
  return { sql: '(updated_at, id) > (?, ?)', params: [since, afterId] };
}

/**
 * Turns the rows of a query run with `LIMIT limit + 1` into a page: the extra row only tells
 * whether another page exists, which saves a COUNT query.
 */
export function toFeedPage<Row extends { id: string; updated_at: string }, T>(
  rows: readonly Row[],
  limit: number,
  toRecord: (row: Row) => T,
): FeedPage<T> {
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    data: page.map(toRecord),
    nextCursor: last === undefined ? null : { since: last.updated_at, afterId: last.id },
    hasMore: rows.length > limit,
  };
}
