import { z } from 'zod';
import { operatorStateSchema } from './operatorState';
import { attentionSettingsSchema } from './attentionSettings';
import { changeGuardSchema } from './changeGuard';
import { changeCursorSchema, type ChangeCursor } from './changeCursor';
import type { SkippedRecord } from './failuresReport';
import { mappingRecordSchema, type MappingRecord } from './mappingChange';
import { recordIssueSchema, type RecordIssue } from './recordIssues';
import { optionalRetrySettingsSchema, retrySettingsSchema } from './retrySettings';
import type { RunFacts } from './runFacts';
import { syncModes, type SyncMode } from './syncModes';

/** productSync's input and summary: what its workflow, its callers (CLI, schedules, tests) and the UI share. */

const countersSchema = z.object({
  fetched: z.number().int().default(0),
  created: z.number().int().default(0),
  updated: z.number().int().default(0),
  archived: z.number().int().default(0),
  unchanged: z.number().int().default(0),
  skipped: z.number().int().default(0),
  rejected: z.number().int().default(0),
  failed: z.number().int().default(0),
  parked: z.number().int().default(0),
});
export type SyncCounters = z.infer<typeof countersSchema>;

/** State handed from one run to its continuation when the history grows long. */
const continuationSchema = z.object({
  cursor: changeCursorSchema.nullable(),
  earliestFailure: changeCursorSchema.nullable(),
  startWatermark: changeCursorSchema.nullable(),
  counters: countersSchema,
  rejected: z.array(recordIssueSchema),
  failed: z.array(recordIssueSchema),
  parked: z.array(recordIssueSchema).default([]),
  skippedFailures: z
    .array(
      z.object({ id: z.string(), reason: z.string(), failure: z.string(), skippedAt: z.string(), position: changeCursorSchema.optional() }),
    )
    .default([]),
  /** Records an operator asked to retry that this chain has not retried yet; 'all' or ids. */
  retryRequested: z
    .union([z.literal('all'), z.array(z.string())])
    .nullable()
    .default(null),
  handledRequestId: z.string().optional(),
  remaining: z.number().int().nullable().default(null),
  priorFailures: z.record(z.string(), z.number().int()),
  plan: z.object({ create: z.array(z.string()), update: z.array(z.string()), archive: z.array(z.string()) }),
  crmTotal: z.number().int(),
  pages: z.number().int(),
  continuedAsNew: z.number().int(),
  startedAt: z.string(),
  /** Paused, needs attention, error-rate window: the operator state the next run of the chain starts in. */
  operator: operatorStateSchema.optional(),
  /** The field mapping the previous scheduled run's watermark was reached under. */
  mappingBefore: mappingRecordSchema.optional(),
  /** The field mapping this run works under; absent until the run has read it (and in runs from before mapping versions). */
  mapping: mappingRecordSchema.optional(),
  /** Set when the mapping changed: this run rewrites the catalog under the new one. */
  rewrite: z
    .object({
      from: z.string(),
      to: z.string(),
      addedFields: z.array(z.string()),
      removedFields: z.array(z.string()),
      /** An operator let the rewrite go past the change guard. */
      approved: z.boolean(),
    })
    .optional(),
});
export type ProductSyncContinuation = z.infer<typeof continuationSchema>;

/**
 * The one argument of productSync. Everything has a default, so `{}` (what a schedule or the
 * Temporal UI sends) is a valid input.
 */
export const productSyncInputSchema = z.object({
  integrationId: z.string().min(1).max(64).default('products'),
  mode: z.enum(syncModes).default('upsert'),
  dryRun: z.boolean().default(false),
  /** Explicit start point; null forces a full sync. Omitted: continue from the last scheduled run. */
  watermark: changeCursorSchema.nullable().optional(),
  /** Larger pages mean fewer Temporal round trips per record; maxPageBytes still bounds each. */
  pageSize: z.number().int().min(1).max(1000).default(1000),
  /** Cap on the data one page passes through Temporal, well under its 2 MB payload limit. */
  maxPageBytes: z.number().int().min(10_000).max(1_500_000).default(1_000_000),
  /** Pages per workflow run before continue-as-new keeps the history small. */
  pagesPerRun: z.number().int().min(1).max(500).default(25),
  /** Re-read this much before the watermark, so a row committed late with an older timestamp is not missed. */
  overlapMs: z.number().int().min(0).max(86_400_000).default(5_000),
  /**
   * Runs in a row a record may fail before it is parked: the watermark then moves past it, so it
   * no longer holds every later run back; it stays listed under `parked` until it syncs.
   */
  parkAfterAttempts: z.number().int().min(1).max(100).default(3),
  /** Write and read back a mismatched record this many times before reporting it failed. */
  verifyAttempts: z.number().int().min(1).max(5).default(2),
  /** When the run stops and asks for a person. */
  attention: attentionSettingsSchema,
  /** The change guard: see changeGuard.ts. */
  guard: changeGuardSchema,
  /**
   * Mirror mode's reconcile (see workflows/mirrorReconcile.ts): at the end of a run, when the last
   * one is at least `everyMs` ago (0: every run), the CRM's records are compared with the PMS's
   * ids and those whose product is gone are archived. `lastAt` is when it last ran (taken from the
   * previous scheduled run's summary when omitted).
   */
  reconcile: z
    .object({
      everyMs: z.number().int().min(0).default(86_400_000),
      lastAt: z.iso.datetime().nullable().optional(),
    })
    .default({ everyMs: 86_400_000 }),
  /** A worker that dies mid-activity is noticed after this long without a heartbeat. */
  heartbeatTimeoutMs: z.number().int().min(1_000).max(600_000).default(30_000),
  /** Retries of reads (fetch, verify); writes use `writeRetry` when given. */
  retry: retrySettingsSchema,
  writeRetry: optionalRetrySettingsSchema,
  continuation: continuationSchema.optional(),
});
export type ProductSyncInput = z.input<typeof productSyncInputSchema>;
export type ProductSyncSettings = z.output<typeof productSyncInputSchema>;

/** What mirror mode's reconcile did in a run (see reconcile in the input). */
export interface ReconcileFacts {
  /** When it last compared the CRM with the PMS (this run, or an earlier one); null: never. */
  lastAt: string | null;
  /** CRM records compared in this run (0 when it was not due). */
  checked: number;
  /** CRM records archived because their product is gone from the PMS. */
  archived: number;
  /** Archives the CRM refused (capped); the next reconcile finds them again. */
  failed: RecordIssue[];
  /** Why nothing could be compared (a target that cannot list its records). */
  unsupported?: string;
}

export interface ProductSyncSummary extends RunFacts {
  mode: SyncMode;
  dryRun: boolean;
  counts: SyncCounters;
  /** Capped lists; `counts` has the totals. */
  rejected: RecordIssue[];
  failed: RecordIssue[];
  /** Records that failed `parkAfterAttempts` runs in a row; carried from run to run until they sync. */
  parked: RecordIssue[];
  /** Failed records an operator skipped, with the reason (audit); carried from run to run. */
  skippedFailures: SkippedRecord[];
  /** The last operator request (from the schedule's memo) this chain carried out. */
  handledRequestId?: string;
  /** Dry run only: external ids the run would create, update and archive (capped). */
  plan?: { create: string[]; update: string[]; archive: string[] };
  /** Where the next run starts: never past a record that failed. */
  watermark: ChangeCursor | null;
  /** The field mapping the watermark was reached under; a run whose mapping differs rewrites the catalog. */
  mapping?: MappingRecord;
  /** Set when this run applied a mapping change: "mapping changed (a -> b): up to N records to rewrite (...); M rewritten". */
  mappingChange?: string;
  /** Mirror mode only: the reconcile of CRM records whose product is gone from the PMS. */
  reconcile?: ReconcileFacts;
}
