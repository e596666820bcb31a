import { z } from 'zod';

/**
 * Payloads of the operator signals, checked like any other input: the Temporal UI lets a person
 * type anything, so a bad payload is refused with a message saying what was expected, and the run
 * goes on.
 */
const recordIds = z
  .array(z.string().min(1).max(200), { message: 'ids must be a list of record ids, e.g. ["SKU-1", "SKU-2"]' })
  .min(1, 'ids, when given, must name at least one record; leave it out to mean all')
  .max(1000, 'at most 1000 ids at once');

export const retryFailedSchema = z
  .object({ ids: recordIds.optional() }, { message: 'expected {} (all failed records) or {"ids": ["SKU-1"]}' })
  .strict();
export type RetryFailedRequest = z.infer<typeof retryFailedSchema>;

export const skipFailedSchema = z
  .object(
    {
      ids: recordIds.optional(),
      reason: z.string({ message: 'reason is required: why these records are skipped (kept for audit)' }).trim().min(3).max(300),
    },
    { message: 'expected {"reason": "why"} (all failed records) or {"ids": ["SKU-1"], "reason": "why"}' },
  )
  .strict();
export type SkipFailedRequest = z.infer<typeof skipFailedSchema>;

/**
 * A request the `bridge` CLI leaves in a schedule's memo when no run is in progress; the next run
 * carries it out once (runs remember the id of the last request they handled).
 */
export const memoRequestSchema = z.object({
  id: z.string().min(1).max(100),
  retryFailed: retryFailedSchema.optional(),
  skipFailed: skipFailedSchema.optional(),
});
export type MemoRequest = z.infer<typeof memoRequestSchema>;
export const memoRequestKey = 'operatorRequest';

/** "ids[0]: ..." style, short enough for a log line and the progress query. */
export function describeRequestIssues(error: z.ZodError): string {
  return error.issues.map((issue) => (issue.path.length ? `${issue.path.join('.')}: ${issue.message}` : issue.message)).join('; ');
}

/** The records a retry or skip can act on: failed in this run, or parked by earlier ones. */
export interface FailedRecords {
  failed: ReadonlyArray<{ id: string }>;
  parked: ReadonlyArray<{ id: string }>;
}

/** What a retry or skip request acts on, or why it acts on nothing (a refusal, never a silent no-op). */
export type RequestTargets = { ids: string[]; refused?: undefined } | { refused: string; ids?: undefined };

/**
 * Matches a retry or skip request against the failed and parked records: all of them for a request
 * without ids, else exactly the ids named, each of which must be failed or parked. One rule for the
 * workflows' update validators, the runs that carry out a schedule's memo request, and `bridge`.
 */
export function requestTargets(move: 'retry' | 'skip', request: { ids?: string[] }, records: FailedRecords): RequestTargets {
  const known = [...new Set([...records.failed, ...records.parked].map((entry) => entry.id))];
  if (known.length === 0) return { refused: `nothing to ${move}: there are no failed or parked records` };
  if (!request.ids) return { ids: known };
  const unknown = request.ids.filter((id) => !known.includes(id));
  if (unknown.length > 0) {
    return {
      refused: `unknown ids: ${listIds(unknown)} (not failed or parked; \`bridge failures\` lists the records a ${move} can act on)`,
    };
  }
  return { ids: [...new Set(request.ids)] };
}

/** "3 records: SKU-1, SKU-2, SKU-3", naming at most ten. */
export function describeRecords(ids: readonly string[]): string {
  return `${ids.length} ${ids.length === 1 ? 'record' : 'records'}: ${listIds(ids)}`;
}

const maxNamedIds = 10;

function listIds(ids: readonly string[]): string {
  const named = ids.slice(0, maxNamedIds).join(', ');
  return ids.length > maxNamedIds ? `${named} and ${ids.length - maxNamedIds} more` : named;
}
