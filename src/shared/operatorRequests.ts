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
