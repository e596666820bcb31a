import { z } from 'zod';

const port = z.number().int().min(0).max(65_535);

const webhookDefaults = {
  enabled: true,
  host: '127.0.0.1',
  port: 4030,
  toleranceSeconds: 300,
  windowMs: 500,
  maxBatch: 100,
  guardWindowMs: 3_600_000,
};

/** Event-driven product sync: the receiver of the PMS's signed product-change webhooks (see docs/how-it-works.md). */
export const webhooksSchema = z
  .object({
    enabled: z.boolean().default(webhookDefaults.enabled),
    host: z.string().min(1).default(webhookDefaults.host),
    port: port.default(webhookDefaults.port),
    /** HMAC-SHA256 secret shared with the PMS; from BRIDGE_WEBHOOK_SECRET (npm start generates one in the data directory). */
    secret: z.string().min(16, 'the webhook secret must be at least 16 characters').optional(),
    /** Deliveries signed longer ago than this are refused as possible replays. */
    toleranceSeconds: z.number().int().min(1).max(3600).default(webhookDefaults.toleranceSeconds),
    /** How long announced changes gather before they are written together. */
    windowMs: z.number().int().min(0).max(60_000).default(webhookDefaults.windowMs),
    /** A batch is written at once when this many distinct products wait. */
    maxBatch: z.number().int().min(1).max(500).default(webhookDefaults.maxBatch),
    /**
     * The stream never ends, so its change guard (the product sync's `guard`) counts the updates
     * and archives of this long before each batch.
     */
    guardWindowMs: z
      .number()
      .int()
      .min(60_000)
      .max(7 * 86_400_000)
      .default(webhookDefaults.guardWindowMs),
  })
  .default(webhookDefaults);
