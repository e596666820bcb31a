import { z } from 'zod';
import { durationSchema as duration } from './duration';

/** Temporal's overlap policies, minus ALLOW_ALL (see below). */
const overlapPolicies = ['skip', 'buffer-one', 'buffer-all', 'cancel-other', 'terminate-other'] as const;

/**
 * When a sync runs: a fixed interval or cron expressions, in a time zone, with jitter. Runs of one
 * integration never overlap: the watermark passes from run to run as the previous run's result,
 * which Temporal hands over only when runs cannot overlap, so `allow-all` is refused.
 */
export const scheduleSchema = z
  .object({
    /** Interval between runs, e.g. "1m", "30s", "1h". Ignored when `cron` is set. */
    every: duration.default('1m'),
    /** Cron expressions ("0 6 * * 1-5"); one or more. */
    cron: z.union([z.string().min(9), z.array(z.string().min(9)).min(1)]).optional(),
    /** IANA time zone the cron expressions are read in, e.g. "Europe/Berlin". */
    timeZone: z
      .string()
      .refine((zone) => {
        try {
          new Intl.DateTimeFormat('en', { timeZone: zone });
          return true;
        } catch {
          return false;
        }
      }, 'an IANA time zone such as UTC or Europe/Berlin')
      .default('UTC'),
    /** Each run starts up to this much later, so many integrations do not start in the same second. */
    jitter: duration.optional(),
    overlap: z
      .enum(overlapPolicies, {
        message: `one of ${overlapPolicies.join(', ')} (allow-all is not possible: a run must see the previous run's watermark)`,
      })
      .default('skip'),
    /** How late a missed run (server down) may still start. */
    catchupWindow: duration.default('1m'),
    paused: z.boolean().default(false),
  })
  .default({ every: '1m', timeZone: 'UTC', overlap: 'skip', catchupWindow: '1m', paused: false });
export type ScheduleConfig = z.infer<typeof scheduleSchema>;
