import { z } from 'zod';
import { attentionSettingsSchema } from './attentionSettings';
import { changeGuardSchema } from './changeGuard';
import { operatorStateSchema } from './operatorState';
import { retrySettingsSchema } from './retrySettings';
import { syncModes } from './syncModes';

/** Shared by the productChangeStream workflow, the webhook receiver and the activities. Pure: no I/O. */

/** One product change announced by the PMS: which product, and the version the PMS had then. */
export const productChangeSchema = z.object({
  productId: z.string().min(1).max(64),
  updatedAt: z.string().min(1).max(64),
  deleted: z.boolean().default(false),
});
export type ProductChange = z.infer<typeof productChangeSchema>;

const streamTotalsSchema = z.object({
  signals: z.number().int().default(0),
  batches: z.number().int().default(0),
  fetched: z.number().int().default(0),
  written: z.number().int().default(0),
  /** CRM records archived because the PMS deleted the product (mirror mode). */
  archived: z.number().int().default(0),
  unchanged: z.number().int().default(0),
  rejected: z.number().int().default(0),
  failed: z.number().int().default(0),
});
export type StreamTotals = z.infer<typeof streamTotalsSchema>;

/** The one argument of productChangeStream; everything but the integration id has a default. */
export const productChangeStreamInputSchema = z.object({
  integrationId: z.string().min(1).max(64).default('products'),
  mode: z.enum(syncModes).default('upsert'),
  /** How long changes gather after the first one before they are written together. */
  windowMs: z.number().int().min(0).max(60_000).default(500),
  /** A batch is written at once when this many distinct products are waiting. */
  maxBatch: z.number().int().min(1).max(1000).default(100),
  /** Batches per workflow run before continue-as-new keeps the history small. */
  batchesPerRun: z.number().int().min(1).max(1000).default(100),
  /** Write and read back a mismatched record this many times before reporting it failed. */
  verifyAttempts: z.number().int().min(1).max(5).default(2),
  heartbeatTimeoutMs: z.number().int().min(1_000).max(600_000).default(30_000),
  retry: retrySettingsSchema,
  /** How long a stopped stream waits for an operator (the same operator controls as productSync). */
  attention: attentionSettingsSchema,
  /** productSync's change guard, over the changes of the last `guardWindowMs` (the stream never ends). */
  guard: changeGuardSchema,
  guardWindowMs: z
    .number()
    .int()
    .min(60_000)
    .max(7 * 86_400_000)
    .default(3_600_000),
  /** Paused, needs attention, the guard's count: what the previous run of the stream handed over. */
  operator: operatorStateSchema.optional(),
  /** Changes not yet written when the previous run continued as new. */
  pending: z.array(productChangeSchema).default([]),
  totals: streamTotalsSchema.default(streamTotalsSchema.parse({})),
});
export type ProductChangeStreamInput = z.input<typeof productChangeStreamInputSchema>;

/** What the stream has done so far (query `streamProgress`). */
export interface StreamProgress {
  integrationId: string;
  pending: number;
  totals: StreamTotals;
}
