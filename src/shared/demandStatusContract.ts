import { z } from 'zod';
import { operatorStateSchema } from './operatorState';
import { changeCursorSchema, type ChangeCursor } from './changeCursor';
import { counterSchema, feedRunSettings, feedStateSchema } from './feedRunSettings';
import { recordIssueSchema, type RecordIssue } from './recordIssues';
import type { RunFacts } from './runFacts';

/** demandStatus's input and summary: what its workflow, its callers and the UI share. */

export const statusCounterNames = ['fetched', 'updated', 'unchanged', 'missing', 'failed'] as const;
type StatusCounters = Record<(typeof statusCounterNames)[number], number>;

const statusContinuationSchema = z.object({
  feed: feedStateSchema,
  counts: counterSchema(statusCounterNames),
  failed: z.array(recordIssueSchema),
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
  watermark: changeCursorSchema.nullable().optional(),
  continuation: statusContinuationSchema.optional(),
});
export type DemandStatusInput = z.input<typeof demandStatusInputSchema>;
export type DemandStatusSettings = z.output<typeof demandStatusInputSchema>;

export interface DemandStatusSummary extends RunFacts {
  /** requirements fetched; CRM demands updated / already current / no longer in the CRM / failed */
  counts: StatusCounters;
  failed: RecordIssue[];
  watermark: ChangeCursor | null;
}
