import { z } from 'zod';

/**
 * The body of a product-change webhook: which product changed and the version the PMS had then.
 * It carries no product content: the bridge reads the current state itself, so a late or repeated
 * delivery can never write an old version.
 */
export const productChangeEventSchema = z.object({
  type: z.literal('product.changed'),
  /** Unique per delivery attempt group; for logs and tracing. */
  eventId: z.string().min(1).max(100),
  product: z.object({
    id: z.string().min(1).max(64),
    updatedAt: z.string().min(1).max(64),
    deleted: z.boolean(),
  }),
});
export type ProductChangeEvent = z.infer<typeof productChangeEventSchema>;
