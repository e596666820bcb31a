import { z } from 'zod';
import { operatorStateSchema } from './operatorState';
import { changeCursorSchema, type ChangeCursor } from './changeCursor';
import { counterSchema, feedRunSettings, feedStateSchema } from './feedRunSettings';
import { failureLedgerFields } from './failureLedgerState';
import type { SkippedRecord } from './failuresReport';
import type { RecordIssue } from './recordIssues';
import type { RunFacts } from './runFacts';

/** demandStatus's input and summary: what its workflow, its callers and the UI share. */

export const statusCounterNames = ['fetched', 'updated', 'unchanged', 'missing', 'failed'] as const;
type StatusCounters = Record<(typeof statusCounterNames)[number], number>;

const statusContinuationSchema = z.object({
  feed: feedStateSchema,
  counts: counterSchema(statusCounterNames),
  ...failureLedgerFields,
  pages: z.number().int(),
  continuedAsNew: z.number().int(),
  startedAt: z.string(),
  /** Paused, needs attention, error-rate window: the operator state the next run of the chain starts in. */
  operator: operatorStateSchema.optional(),
});
export type DemandStatusContinuation = z.infer<typeof statusContinuationSchema>;

/** The one argument of demandStatus; `{}` is valid. */
export const demandStatusInputSchema = z.object({
  ...feedRunSettings,
  /** Runs in a row a demand may fail to show its requirement's status before it is parked. */
  parkAfterAttempts: z.number().int().min(1).max(100).default(3),
  watermark: changeCursorSchema.nullable().optional(),
  continuation: statusContinuationSchema.optional(),
});
export type DemandStatusInput = z.input<typeof demandStatusInputSchema>;
export type DemandStatusSettings = z.output<typeof demandStatusInputSchema>;

export interface DemandStatusSummary extends RunFacts {
  /** requirements fetched; CRM demands updated / already current / no longer in the CRM / failed */
  counts: StatusCounters;
  failed: RecordIssue[];
  /** Failed `parkAfterAttempts` runs in a row: they no longer hold the watermark; carried from run to run. */
  parked?: RecordIssue[];
  /** Failed records an operator skipped, with the reason (audit); carried from run to run. */
  skippedFailures?: SkippedRecord[];
  handledRequestId?: string;
  watermark: ChangeCursor | null;
}
