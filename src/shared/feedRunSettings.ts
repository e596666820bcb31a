import { z } from 'zod';
import { attentionSettingsSchema } from './attentionSettings';
import { changeCursorSchema } from './changeCursor';
import { retrySettingsSchema } from './retrySettings';

/** Settings every feed-paging demand workflow shares (demandMapping, demandStatus). */
export const feedRunSettings = {
  integrationId: z.string().min(1).max(64).default('demands'),
  pageSize: z.number().int().min(1).max(500).default(100),
  pagesPerRun: z.number().int().min(1).max(500).default(25),
  overlapMs: z.number().int().min(0).max(86_400_000).default(5_000),
  heartbeatTimeoutMs: z.number().int().min(1_000).max(600_000).default(30_000),
  retry: retrySettingsSchema,
  attention: attentionSettingsSchema,
};

/** Where one feed stands between workflow runs (continue-as-new carries it). */
export const feedStateSchema = z.object({
  cursor: changeCursorSchema.nullable(),
  earliestFailure: changeCursorSchema.nullable(),
  startWatermark: changeCursorSchema.nullable(),
  done: z.boolean(),
});

const count = z.number().int().min(0);

/** A counters object with these names, each a non-negative integer. */
export const counterSchema = <K extends string>(names: readonly K[]) =>
  z.object(Object.fromEntries(names.map((name) => [name, count])) as Record<K, typeof count>);
