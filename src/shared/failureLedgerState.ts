import { z } from 'zod';
import { recordIssueSchema } from './recordIssues';

const skippedRecordSchema = z.object({ id: z.string(), reason: z.string(), failure: z.string(), skippedAt: z.string() });

/**
 * The failed, parked and skipped records of a feed-paging sync run, and the operator requests on
 * them: the fields every sync workflow's continuation carries for its FailureLedger. Every field
 * has a default, so continuations recorded before they existed still parse.
 */
export const failureLedgerFields = {
  failed: z.array(recordIssueSchema).default([]),
  parked: z.array(recordIssueSchema).default([]),
  skippedFailures: z.array(skippedRecordSchema).default([]),
  /** Failed runs in a row per record id, from the previous scheduled run. */
  priorFailures: z.record(z.string(), z.number().int()).default({}),
  /** Records an operator asked to retry that this chain has not retried yet; 'all' or ids. */
  retryRequested: z
    .union([z.literal('all'), z.array(z.string())])
    .nullable()
    .default(null),
  handledRequestId: z.string().optional(),
};
export type FailureLedgerState = z.infer<ReturnType<typeof z.object<typeof failureLedgerFields>>>;
