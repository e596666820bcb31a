import { z } from 'zod';
import { rateLimitSchema } from './requestPacer';
import { secretSchema } from './secret';

/**
 * Where a bridge product field comes from in an Akeneo product: a top-level path (`uuid`,
 * `identifier`, `categories.0`, `enabled`) or an attribute value for a locale and channel.
 */
const akeneoValueSchema = z.union([
  z.string().min(1),
  z
    .object({
      /** A top-level path, when not an attribute. */
      path: z.string().min(1).optional(),
      attribute: z.string().min(1).optional(),
      /** Locale of a localizable attribute; default: products.locale. null: not localizable. */
      locale: z.string().min(1).nullable().optional(),
      /** Channel (scope) of a scopable attribute; default: products.channel. null: not scopable. */
      channel: z.string().min(1).nullable().optional(),
      /** For a price collection: the currency whose amount is taken. */
      currency: z.string().length(3).optional(),
      /** Akeneo sends numbers (amounts, metrics) as strings: `number` converts them. */
      type: z.enum(['string', 'number', 'list']).optional(),
      /** Replaces values, e.g. { 'true': active, 'false': discontinued } for `enabled`. */
      values: z.record(z.string(), z.string()).optional(),
    })
    .strict()
    .refine((spec) => Boolean(spec.path) !== Boolean(spec.attribute), 'give either path or attribute'),
]);
export type AkeneoValueSpec = z.infer<typeof akeneoValueSchema>;

/** Akeneo PIM (7 / SaaS) as a product source, through its REST API. */
export const akeneoSystemSchema = z
  .object({
    kind: z.literal('akeneo'),
    url: z.url(),
    /** A ready access token (tests, short scripts); normally the password grant below is used. */
    token: z.string().min(1).optional(),
    clientId: z.string().min(1),
    secret: secretSchema,
    username: z.string().min(1),
    password: secretSchema,
    timeoutMs: z.number().int().min(100).max(600_000).default(30_000),
    /** The system's request limit, e.g. { requests: 100, perMs: 10000 }: every connector of this system in a worker shares one pacer under it. */
    rateLimit: rateLimitSchema.optional(),
    products: z
      .object({
        locale: z.string().min(1).default('en_US'),
        channel: z.string().min(1).default('ecommerce'),
        /** Products per request (Akeneo allows at most 100). */
        pageSize: z.number().int().min(1).max(100).default(100),
        /** Extra search filters, e.g. { enabled: [{ operator: '=', value: true }] }. */
        search: z.record(z.string(), z.array(z.record(z.string(), z.unknown()))).default({}),
        /** Bridge product field -> where it is in the Akeneo product. */
        fields: z.record(z.string().min(1), akeneoValueSchema),
        /** How long a read of everything changed since a cursor is reused for the following pages. */
        snapshotTtlMs: z.number().int().min(0).max(3_600_000).default(300_000),
      })
      .strict(),
  })
  .strict();
export type AkeneoSystemConfig = z.infer<typeof akeneoSystemSchema>;
