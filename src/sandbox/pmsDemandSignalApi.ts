import { z } from 'zod';
import { errorBodySchema } from './httpErrors';
import { productIdSchema } from './pmsApi';
import type { RouteSpec } from './routeSpec';

/**
 * Demand signals: how much of a product customers ordered per month, as the product team sees it
 * in the PMS. Each order contributes separately, keyed by (productId, period, orderId), so a
 * client that sends an order again replaces its contribution instead of adding it twice.
 */

const maxSignalBatch = 500;

const periodPattern = /^\d{4}-(0[1-9]|1[0-2])$/;
const periodMessage = 'must be a month as YYYY-MM, e.g. 2025-03';

const signalInputSchema = z.strictObject(
  {
    productId: productIdSchema,
    period: z.string({ error: `period ${periodMessage}` }).regex(periodPattern, `period ${periodMessage}`),
    orderId: z
      .string({ error: 'orderId must be a string' })
      .min(1, 'orderId must not be empty')
      .max(64, 'orderId must be at most 64 characters'),
    quantity: z
      .number({ error: 'quantity must be a whole number of 0 or more' })
      .int('quantity must be a whole number of 0 or more')
      .min(0, 'quantity must be a whole number of 0 or more')
      .describe("This order's quantity of the product in the period; 0 withdraws the order's contribution"),
  },
  {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? `unknown field ${issue.keys.map((key) => `'${key}'`).join(', ')}; allowed fields: productId, period, orderId, quantity`
        : issue.code === 'invalid_type'
          ? 'each input must be an object with productId, period, orderId and quantity'
          : undefined,
  },
);
export type SignalInput = z.infer<typeof signalInputSchema>;

const upsertSignalsSchema = z.object({
  inputs: z
    .array(signalInputSchema, { error: 'inputs must be an array of { productId, period, orderId, quantity }' })
    .min(1, 'inputs must contain at least one signal')
    .max(maxSignalBatch, `inputs must contain at most ${maxSignalBatch} signals`)
    .describe('Applied in order: for a key listed twice, the last quantity wins'),
  completeOrders: z
    .boolean()
    .default(false)
    .describe(
      'True: the inputs carry every contribution of each order they name, so any other stored contribution of those orders (a product or month the order no longer has) is withdrawn',
    ),
});

export const signalOutcomeSchema = z.object({
  productId: z.string(),
  period: z.string(),
  orderId: z.string(),
  changed: z.boolean().describe('False when this quantity was already stored for the key'),
});
export type SignalOutcome = z.infer<typeof signalOutcomeSchema>;

const signalQuerySchema = z.object({
  productId: productIdSchema.optional().describe('Only this product'),
  period: z.string().regex(periodPattern, periodMessage).optional().describe('Only this month, YYYY-MM'),
});

export const demandSignalSchema = z.object({
  productId: z.string(),
  period: z.string().describe('Month, YYYY-MM'),
  quantity: z.number().int().describe('Sum over the orders'),
  orders: z.number().int().describe('Orders with a quantity above 0'),
});
export type DemandSignal = z.infer<typeof demandSignalSchema>;

const errors = {
  400: { description: 'Invalid request; the message names the field', schema: errorBodySchema },
  401: { description: 'Missing or wrong bearer token', schema: errorBodySchema },
  429: { description: 'Rate limited; see Retry-After', schema: errorBodySchema },
  503: { description: 'Unavailable (injected fault); retry with back-off', schema: errorBodySchema },
};

export const demandSignalRoutes = {
  upsert: {
    method: 'POST',
    url: '/api/demand-signals/batch/upsert',
    summary: "Set orders' quantities per product and month, all or nothing",
    description:
      'Keyed by (productId, period, orderId): each input replaces that contribution, so re-sending never double-counts. ' +
      'With completeOrders, an edited order that dropped a product or moved to another month loses its old contributions too. ' +
      'If any productId is not a PMS product the whole batch is refused with 400 and nothing is written. ' +
      'Products deleted since stay accepted: an order placed before the deletion is still history.',
    tags: ['demand signals'],
    secured: true,
    writes: true,
    // No batchField: the fault knob maxBatchSize (default 100) would refuse the 500-signal batches this route is made for.
    body: upsertSignalsSchema,
    responses: {
      200: { description: 'One result per input, in input order', schema: z.object({ results: z.array(signalOutcomeSchema) }) },
      500: { description: 'Injected after-write failure: the batch WAS stored; retrying is safe', schema: errorBodySchema },
      ...errors,
    },
  },
  list: {
    method: 'GET',
    url: '/api/demand-signals',
    summary: 'Ordered quantities per product and month, summed over orders',
    tags: ['demand signals'],
    secured: true,
    query: signalQuerySchema,
    responses: {
      200: { description: 'Signals ordered by productId, then period', schema: z.object({ data: z.array(demandSignalSchema) }) },
      ...errors,
    },
  },
} satisfies Record<string, RouteSpec>;
