import { z } from 'zod';
import { rateLimitSchema } from './requestPacer';

/** Productboard (REST API v2) as the place demands go as notes. */
export const productboardSystemSchema = z
  .object({
    kind: z.literal('productboard'),
    url: z.url().default('https://api.productboard.com'),
    /** API token (JWT). Leave it out of the file: it is read from `tokenEnv`. */
    token: z.string().min(1).optional(),
    tokenEnv: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/)
      .default('PRODUCTBOARD_TOKEN'),
    timeoutMs: z.number().int().min(100).max(600_000).default(30_000),
    /** The system's request limit, e.g. { requests: 100, perMs: 10000 }: every connector of this system in a worker shares one pacer under it. */
    rateLimit: rateLimitSchema.optional(),
    /** metadata.source.system on every note the bridge writes: how it finds its own notes again. */
    sourceSystem: z.string().min(1).default('crm-pms-bridge'),
    /** What the notes are linked to as evidence. */
    entityType: z.enum(['feature', 'component', 'product', 'initiative']).default('feature'),
    /** How long names looked up for demandSyncs[].notes (features, companies) are kept before being read again. */
    nameCacheMs: z.number().int().min(0).max(86_400_000).default(300_000),
    /** Requests per second per token (Productboard: 50). */
    requestsPerSecond: z.number().int().min(1).max(50).default(50),
  })
  .strict();
export type ProductboardSystemConfig = z.infer<typeof productboardSystemSchema>;
