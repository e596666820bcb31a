import { z } from 'zod';
import { operatorStateSchema } from './operatorState';
import { changeCursorSchema } from './changeCursor';
import { counterSchema, feedRunSettings, feedStateSchema } from './feedRunSettings';
import { failureLedgerFields } from './failureLedgerState';
import type { SkippedRecord } from './failuresReport';
import { recordIssueSchema, type RecordIssue } from './recordIssues';
import type { RunFacts } from './runFacts';

/** demandMapping's input and summary: what its workflow, its callers and the UI share. */

export const demandCounterNames = ['fetched', 'created', 'linked', 'updated', 'unchanged', 'rejected', 'failed'] as const;
export const orderCounterNames = ['fetched', 'signals', 'rejected', 'failed'] as const;
export type DemandCounters = Record<(typeof demandCounterNames)[number], number>;
export type OrderCounters = Record<(typeof orderCounterNames)[number], number>;

const demandContinuationSchema = z.object({
  demands: feedStateSchema,
  orders: feedStateSchema,
  demandCounts: counterSchema(demandCounterNames),
  orderCounts: counterSchema(orderCounterNames),
  rejected: z.array(recordIssueSchema),
  ...failureLedgerFields,
  pages: z.number().int(),
  continuedAsNew: z.number().int(),
  startedAt: z.string(),
  /** Paused, needs attention, error-rate window: the operator state the next run of the chain starts in. */
  operator: operatorStateSchema.optional(),
});
export type DemandMappingContinuation = z.infer<typeof demandContinuationSchema>;

const demandWatermarkSchema = z.object({
  demands: changeCursorSchema.nullable(),
  orders: changeCursorSchema.nullable(),
});
export type DemandWatermark = z.infer<typeof demandWatermarkSchema>;

/** The one argument of demandMapping; `{}` is valid. */
export const demandMappingInputSchema = z.object({
  ...feedRunSettings,
  /** Cap on the demand data one page passes through Temporal, well under its 2 MB payload limit. */
  maxPageBytes: z.number().int().min(10_000).max(1_500_000).default(1_000_000),
  /** Runs in a row a demand or order may fail (e.g. it names a SKU the CRM never gets) before it is parked. */
  parkAfterAttempts: z.number().int().min(1).max(100).default(3),
  /** Explicit start; null forces a full run. Omitted: continue from the last scheduled run. */
  watermark: demandWatermarkSchema.nullable().optional(),
  continuation: demandContinuationSchema.optional(),
});
export type DemandMappingInput = z.input<typeof demandMappingInputSchema>;
export type DemandMappingSettings = z.output<typeof demandMappingInputSchema>;

export interface DemandMappingSummary extends RunFacts {
  demands: DemandCounters;
  orders: OrderCounters;
  rejected: RecordIssue[];
  failed: RecordIssue[];
  /** Failed `parkAfterAttempts` runs in a row: they no longer hold the watermark; carried from run to run. */
  parked?: RecordIssue[];
  /** Failed records an operator skipped, with the reason (audit); carried from run to run. */
  skippedFailures?: SkippedRecord[];
  handledRequestId?: string;
  watermark: DemandWatermark;
}
