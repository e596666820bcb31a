import { z } from 'zod';
import { attentionSettingsSchema } from './attention';
import type { RunFacts } from './runSummary';
import { changeCursorSchema, recordIssueSchema, retrySettingsSchema, type ChangeCursor, type RecordIssue } from './productSyncTypes';

/** Shared by the demandMapping and demandStatus workflows, their activities and their callers. */

/** Settings every feed-paging workflow shares. */
const feedRunSettings = {
  integrationId: z.string().min(1).max(64).default('demands'),
  pageSize: z.number().int().min(1).max(500).default(100),
  pagesPerRun: z.number().int().min(1).max(500).default(25),
  overlapMs: z.number().int().min(0).max(86_400_000).default(5_000),
  heartbeatTimeoutMs: z.number().int().min(1_000).max(600_000).default(30_000),
  retry: retrySettingsSchema,
  attention: attentionSettingsSchema,
};

const count = z.number().int().min(0);

export const demandCounterNames = ['fetched', 'created', 'linked', 'updated', 'unchanged', 'rejected', 'failed'] as const;
export const orderCounterNames = ['fetched', 'signals', 'rejected', 'failed'] as const;
export const statusCounterNames = ['fetched', 'updated', 'unchanged', 'missing', 'failed'] as const;
const counterSchema = <K extends string>(names: readonly K[]) =>
  z.object(Object.fromEntries(names.map((name) => [name, count])) as Record<K, typeof count>);
export type DemandCounters = Record<(typeof demandCounterNames)[number], number>;
export type OrderCounters = Record<(typeof orderCounterNames)[number], number>;
export type StatusCounters = Record<(typeof statusCounterNames)[number], number>;

const feedStateSchema = z.object({
  cursor: changeCursorSchema.nullable(),
  earliestFailure: changeCursorSchema.nullable(),
  startWatermark: changeCursorSchema.nullable(),
  done: z.boolean(),
});

const demandContinuationSchema = z.object({
  demands: feedStateSchema,
  orders: feedStateSchema,
  demandCounts: counterSchema(demandCounterNames),
  orderCounts: counterSchema(orderCounterNames),
  rejected: z.array(recordIssueSchema),
  failed: z.array(recordIssueSchema),
  pages: z.number().int(),
  continuedAsNew: z.number().int(),
  startedAt: z.string(),
});
export type DemandMappingContinuation = z.infer<typeof demandContinuationSchema>;

export const demandWatermarkSchema = z.object({
  demands: changeCursorSchema.nullable(),
  orders: changeCursorSchema.nullable(),
});
export type DemandWatermark = z.infer<typeof demandWatermarkSchema>;

/** The one argument of demandMapping; `{}` is valid. */
export const demandMappingInputSchema = z.object({
  ...feedRunSettings,
  /** Cap on the demand data one page passes through Temporal, well under its 2 MB payload limit. */
  maxPageBytes: z.number().int().min(10_000).max(1_500_000).default(1_000_000),
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
  watermark: DemandWatermark;
}

const statusContinuationSchema = z.object({
  feed: feedStateSchema,
  counts: counterSchema(statusCounterNames),
  failed: z.array(recordIssueSchema),
  pages: z.number().int(),
  continuedAsNew: z.number().int(),
  startedAt: z.string(),
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

/** Activity contracts. */
export interface FeedPageInput {
  integrationId: string;
  cursor: ChangeCursor | null;
  limit: number;
  /** Byte budget of the page's result, where records carry free text. */
  maxBytes?: number;
}

export interface PositionedIssue extends RecordIssue {
  position: ChangeCursor;
}

export interface PreparedDemand {
  demandId: string;
  title: string;
  description: string;
  kind: string;
  priority: 'low' | 'medium' | 'high' | 'critical';
  /** The PMS product the requirement belongs to (the first product the demand names). */
  productId: string;
  otherProductIds: string[];
  account: { id: string; name: string; segment: string; value: number };
  /** Only the contact fields the configuration names; absent by default. */
  contact?: Record<string, string>;
  current: { requirementId: string | null; status: string | null };
  position: ChangeCursor;
}

export interface DemandPage {
  fetched: number;
  demands: PreparedDemand[];
  rejected: PositionedIssue[];
  /** Demands that cannot be mapped yet (a product not synced yet): the watermark stays before them. */
  failed: PositionedIssue[];
  nextCursor: ChangeCursor | null;
  hasMore: boolean;
}

export interface DemandOutcome {
  demandId: string;
  requirementId: string;
  requirementStatus: string;
  action: 'created' | 'linked' | 'updated' | 'unchanged';
  matchReason: string | null;
}

export interface MapDemandsResult {
  outcomes: DemandOutcome[];
  failed: Array<{ demandId: string; reason: string }>;
}

export interface LinkUpdate {
  id: string;
  pmsRequirementId: string;
  pmsStatus: string;
}

export interface WriteLinksResult {
  changed: string[];
  unchanged: string[];
  missing: string[];
}

export interface VerifyLinksResult {
  verified: string[];
  mismatched: Array<{ id: string; reason: string }>;
}

export interface OrderSignal {
  productId: string;
  period: string;
  orderId: string;
  quantity: number;
}

export interface OrderPage {
  fetched: number;
  signals: OrderSignal[];
  rejected: PositionedIssue[];
  /** Orders that cannot be counted yet (a product not synced yet): the watermark stays before them. */
  failed: PositionedIssue[];
  nextCursor: ChangeCursor | null;
  hasMore: boolean;
}

export interface RequirementPage {
  fetched: number;
  updates: Array<LinkUpdate & { position: ChangeCursor }>;
  nextCursor: ChangeCursor | null;
  hasMore: boolean;
}
