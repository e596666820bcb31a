import { z } from 'zod';

/**
 * When a run stops hammering a failing system and asks for a person (state NeedsAttention):
 * a system stays unavailable past an activity's retries, or too many records fail.
 */
export const attentionSettingsSchema = z
  .object({
    /** Share of the records written in the last `errorRateWindow` pages that may fail. */
    errorRateThreshold: z.number().min(0).max(1).default(0.5),
    errorRateWindow: z.number().int().min(1).max(100).default(5),
    /** Fewer attempted records than this in the window never trip the threshold. */
    errorRateMinRecords: z.number().int().min(1).default(10),
    /** How long to wait for `resume` or `retryFailed` before ending as Failed. */
    timeoutMs: z.number().int().min(1_000).default(86_400_000),
  })
  .default({ errorRateThreshold: 0.5, errorRateWindow: 5, errorRateMinRecords: 10, timeoutMs: 86_400_000 });
export type AttentionSettings = z.output<typeof attentionSettingsSchema>;

/** What the alert activity is told. */
export interface AttentionAlert {
  workflowType: string;
  integrationId: string;
  workflowId: string;
  reason: string;
  /** ISO time after which the run ends as Failed if nobody answers. */
  waitsUntil: string;
}
