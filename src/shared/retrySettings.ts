import { z } from 'zod';

/** How a sync's activities retry; every sync workflow takes it in its input. */
const retryFields = z.object({
  initialIntervalMs: z.number().int().min(10).default(1_000),
  maximumIntervalMs: z.number().int().min(10).default(30_000),
  maximumAttempts: z.number().int().min(1).max(100).default(8),
});
export const retrySettingsSchema = retryFields.default({ initialIntervalMs: 1_000, maximumIntervalMs: 30_000, maximumAttempts: 8 });
export const optionalRetrySettingsSchema = retryFields.optional();
