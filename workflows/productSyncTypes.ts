import { z } from 'zod';
import { attentionSettingsSchema } from './attention';
import type { SkippedRecord } from './failuresReport';
import type { RunFacts } from './runSummary';

/** Shared between the productSync workflow, its activities and its callers. Pure: no I/O. */

/** How a sync's activities retry; every sync workflow takes it in its input. */
const retryFields = z.object({
  initialIntervalMs: z.number().int().min(10).default(1_000),
  maximumIntervalMs: z.number().int().min(10).default(30_000),
  maximumAttempts: z.number().int().min(1).max(100).default(8),
});
export type RetrySettings = z.output<typeof retryFields>;
export const retrySettingsSchema = retryFields.default({ initialIntervalMs: 1_000, maximumIntervalMs: 30_000, maximumAttempts: 8 });
export const optionalRetrySettingsSchema = retryFields.optional();

export const syncModes = ['upsert', 'update-only', 'mirror'] as const;
export type SyncMode = (typeof syncModes)[number];

export const changeCursorSchema = z.object({
  since: z.string().min(1).max(64),
  afterId: z.string().max(64),
});
export type ChangeCursor = z.infer<typeof changeCursorSchema>;

export const recordIssueSchema = z.object({
  id: z.string(),
  reason: z.string(),
  attempts: z.number().int().positive().optional(),
  /** Where a failed record sits in the change feed: it holds the watermark until it is resolved. */
  position: changeCursorSchema.optional(),
});
export type RecordIssue = z.infer<typeof recordIssueSchema>;

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
  skippedFailures: z.array(z.object({ id: z.string(), reason: z.string(), failure: z.string(), skippedAt: z.string() })).default([]),
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
  pageSize: z.number().int().min(1).max(1000).default(200),
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
  /** When the run stops and asks for a person: see attention.ts. */
  attention: attentionSettingsSchema,
  guard: z
    .object({
      /** Largest share of the CRM's records one run may update or archive. */
      maxChangeShare: z.number().min(0).max(1).default(0.5),
      /** The guard applies only to a CRM holding at least this many records. */
      minRecords: z.number().int().min(0).default(100),
    })
    .default({ maxChangeShare: 0.5, minRecords: 100 }),
  /** A worker that dies mid-activity is noticed after this long without a heartbeat. */
  heartbeatTimeoutMs: z.number().int().min(1_000).max(600_000).default(30_000),
  /** Retries of reads (fetch, verify); writes use `writeRetry` when given. */
  retry: retrySettingsSchema,
  writeRetry: optionalRetrySettingsSchema,
  continuation: continuationSchema.optional(),
});
export type ProductSyncInput = z.input<typeof productSyncInputSchema>;
export type ProductSyncSettings = z.output<typeof productSyncInputSchema>;

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
}

/** Activity contracts. */
export interface FetchPageInput {
  integrationId: string;
  mode: SyncMode;
  cursor: ChangeCursor | null;
  limit: number;
  maxBytes: number;
}

export interface PlannedWrite {
  externalId: string;
  properties: Record<string, string | number | boolean | null>;
  archived: boolean;
  action: 'create' | 'update' | 'archive';
  /** Content hash the CRM must show after the write. */
  hash: string;
  /** The record's place in the change feed, for the watermark. */
  position: ChangeCursor;
}

export interface PagePlan {
  fetched: number;
  writes: PlannedWrite[];
  unchanged: number;
  skipped: number;
  rejected: Array<RecordIssue & { position: ChangeCursor }>;
  /** Cursor after the last record this page covered (may stop early on the byte budget). */
  nextCursor: ChangeCursor | null;
  hasMore: boolean;
  /** Records after this page, when the source says: the base of the time-left estimate. */
  remaining?: number;
}

export interface FetchByIdsInput {
  integrationId: string;
  mode: SyncMode;
  ids: string[];
}

/** What retrying named records needs: their writes now, and which need nothing any more. */
export interface RetryPlan {
  writes: PlannedWrite[];
  rejected: RecordIssue[];
  resolved: string[];
}

export interface UpsertInput {
  integrationId: string;
  records: Array<Pick<PlannedWrite, 'externalId' | 'properties' | 'archived'>>;
}

export interface UpsertOutcome {
  written: Array<{ externalId: string; created: boolean }>;
  failed: Array<{ externalId: string; reason: string }>;
}

export interface VerifyInput {
  integrationId: string;
  expected: Array<{ externalId: string; hash: string }>;
}

export interface VerifyOutcome {
  verified: string[];
  mismatched: Array<{ externalId: string; reason: string }>;
}
