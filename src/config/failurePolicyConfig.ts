import { z } from 'zod';
import { durationSchema as duration } from './duration';

const retrySchema = z.object({
  maximumAttempts: z.number().int().min(1).max(100).default(8),
  initialInterval: duration.default('1s'),
  maximumInterval: duration.default('30s'),
});

/**
 * What a sync does when things fail: how its activities retry (reads from a system, writes to it),
 * when it stops and asks for an operator (NeedsAttention), and when a failing record is parked.
 */
export const failurePolicySchema = z
  .object({
    retry: z
      .object({ read: retrySchema.default(retrySchema.parse({})), write: retrySchema.default(retrySchema.parse({})) })
      .default({ read: retrySchema.parse({}), write: retrySchema.parse({}) }),
    /** Share of records that failed in the last `errorRateWindow` pages above which the run pauses itself. */
    errorRateThreshold: z.number().min(0).max(1).default(0.5),
    errorRateWindow: z.number().int().min(1).max(100).default(5),
    /** Scheduled runs in a row a record may fail before it is parked. */
    parkAfterRuns: z.number().int().min(1).max(100).default(3),
    /** How long a run in NeedsAttention waits for `resume` or `retryFailed` before it ends as Failed. */
    attentionTimeout: duration.default('24h'),
  })
  .default({
    retry: { read: retrySchema.parse({}), write: retrySchema.parse({}) },
    errorRateThreshold: 0.5,
    errorRateWindow: 5,
    parkAfterRuns: 3,
    attentionTimeout: '24h',
  });
export type FailurePolicyConfig = z.infer<typeof failurePolicySchema>;
