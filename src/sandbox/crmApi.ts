import { z } from 'zod';
import { pageLimitSchema } from './changeFeed';
import { faultCountersSchema } from './faults';
import { errorBodySchema } from './httpErrors';
import type { RouteSpec } from './routeSpec';

/**
 * The sandbox CRM contract: the product properties it knows and their rules, the request and
 * response schemas, and the route specs. The server validates with these and the OpenAPI
 * document is generated from them.
 */

const maxReadBatch = 1000;
const crmStatuses = ['Draft', 'Active', 'Discontinued'] as const;

/** Every known property may be cleared with null, except name. */
const text = (property: string, max: number) =>
  z
    .string({ error: `${property} must be a string or null` })
    .max(max, `${property} must be at most ${max} characters`)
    .nullable()
    .optional();

/**
 * The product properties the CRM knows. Note the name limit (100) is stricter than the PMS's
 * (200): real CRMs differ like this, and the bridge has to cope.
 */
const crmPropertiesSchema = z.strictObject(
  {
    name: z
      .string({ error: 'name must be a string (it cannot be cleared)' })
      .min(1, 'name must not be empty')
      .max(100, 'name must be at most 100 characters')
      .optional(),
    description: text('description', 65_536),
    sku: text('sku', 64),
    category: text('category', 100),
    price: z.number({ error: 'price must be a number or null' }).min(0, 'price must not be negative').nullable().optional(),
    currency: z
      .string({ error: 'currency must be a string or null' })
      .regex(/^[A-Z]{3}$/, 'currency must be a three-letter ISO 4217 code in capitals, e.g. EUR')
      .nullable()
      .optional(),
    priceFormatted: text('priceFormatted', 64),
    stock: z
      .number({ error: 'stock must be a whole number or null' })
      .int('stock must be a whole number')
      .min(0, 'stock must not be negative')
      .nullable()
      .optional(),
    features: text('features', 10_000),
    status: z
      .enum(crmStatuses, { error: `status must be one of ${crmStatuses.map((s) => `'${s}'`).join(', ')} or null` })
      .nullable()
      .optional(),
    lifecycle: text('lifecycle', 32),
  },
  {
    error: (issue) => {
      if (issue.code === 'unrecognized_keys') {
        return issue.keys.map((key) => `Property '${key}' does not exist on products`).join('; ');
      }
      if (issue.code === 'invalid_type') return 'properties must be an object of property names to values';
      return undefined;
    },
  },
);

export const crmPropertyValueSchema = z.union([z.string(), z.number(), z.boolean(), z.null()]);
export type CrmPropertyValue = z.infer<typeof crmPropertyValueSchema>;

const upsertInputSchema = z.strictObject(
  {
    externalId: z
      .string({ error: 'externalId must be a string' })
      .min(1, 'externalId must not be empty')
      .max(255, 'externalId must be at most 255 characters')
      .describe('The PMS id; unique across CRM products'),
    properties: crmPropertiesSchema.describe('Given properties overwrite, absent ones stay as they are'),
    archived: z.boolean({ error: 'archived must be true or false' }).optional(),
  },
  {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? `unknown field ${issue.keys.map((key) => `'${key}'`).join(', ')} in input; allowed: externalId, properties, archived`
        : issue.code === 'invalid_type'
          ? 'each input must be an object with externalId and properties'
          : undefined,
  },
);

export type CrmUpsertInput = z.infer<typeof upsertInputSchema>;

const upsertBatchSchema = z
  .object({
    inputs: z
      .array(upsertInputSchema, { error: 'inputs must be an array of records' })
      .min(1, 'inputs must contain at least one record')
      .describe('At most maxBatchSize (default 100) records; larger batches get 413'),
  })
  .superRefine(({ inputs }, context) => {
    const firstIndex = new Map<string, number>();
    inputs.forEach(({ externalId }, index) => {
      const earlier = firstIndex.get(externalId);
      if (earlier === undefined) firstIndex.set(externalId, index);
      else
        context.addIssue({
          code: 'custom',
          path: ['inputs', index, 'externalId'],
          message: `externalId appears more than once in the batch (first at input ${earlier}); send each record once`,
        });
    });
  });

export const upsertResultSchema = z.object({
  id: z.string(),
  externalId: z.string(),
  created: z.boolean(),
  changed: z.boolean().describe('False when every given value was already stored; nothing was written'),
  // HubSpot's batch upsert answers each record as stored (results[].properties, archived):
  // https://developers.hubspot.com/docs/api-reference/legacy/crm/objects/products/batch/upsert-products
  properties: z.record(z.string(), crmPropertyValueSchema).describe('Every property of the record as stored after the write'),
  archived: z.boolean().describe('The record as stored after the write'),
});

export const crmProductSchema = z.object({
  id: z.string().describe("The CRM's own id"),
  externalId: z.string(),
  properties: z.record(z.string(), crmPropertyValueSchema),
  archived: z.boolean(),
  createdAt: z.string(),
  updatedAt: z.string(),
  version: z.number().int().describe('Starts at 1; incremented by every write that changes something'),
});

export type CrmProduct = z.infer<typeof crmProductSchema>;

const batchReadSchema = z.object({
  externalIds: z
    .array(z.string({ error: 'must be a string' }), { error: `must be an array of 1 to ${maxReadBatch} external ids` })
    .min(1, 'must contain at least one external id')
    .max(maxReadBatch, `must contain at most ${maxReadBatch} external ids`),
});

const readBySkuSchema = z.object({
  skus: z
    .array(z.string({ error: 'must be a string' }), { error: `must be an array of 1 to ${maxReadBatch} SKUs` })
    .min(1, 'must contain at least one SKU')
    .max(maxReadBatch, `must contain at most ${maxReadBatch} SKUs`),
});

const listQuerySchema = z.object({
  limit: pageLimitSchema,
  after: z.string().optional().describe('paging.next.after of the previous page'),
  includeArchived: z
    .enum(['true', 'false'], { error: 'must be true or false' })
    .default('true')
    .transform((value) => value === 'true'),
});

export const listResponseSchema = z.object({
  results: z.array(crmProductSchema),
  total: z.number().int().describe('Records matching the filter, across all pages'),
  paging: z.object({ next: z.object({ after: z.string() }) }).nullable(),
});

export const statsSchema = z.object({
  upsertRequests: z.number(),
  recordsCreated: z.number(),
  recordsUpdated: z.number(),
  recordsUnchanged: z.number(),
  readRequests: z.number(),
  rejectedBatches: z.number().describe('Upsert batches refused as invalid (400)'),
  demandLinkWrites: z.number().describe('Demands whose link fields update-links actually changed'),
  faults: faultCountersSchema,
});

export type CrmStatsSnapshot = z.infer<typeof statsSchema>;

const errors = {
  400: { description: 'Invalid request; the message names the input and field', schema: errorBodySchema },
  401: { description: 'Missing or wrong bearer token', schema: errorBodySchema },
  429: { description: 'Rate limited; see Retry-After', schema: errorBodySchema },
  503: { description: 'Unavailable (injected fault); retry with back-off', schema: errorBodySchema },
};

export const crmRoutes = {
  upsert: {
    method: 'POST',
    url: '/api/products/batch/upsert',
    summary: 'Create or update products by externalId, all or nothing',
    description:
      'If any input is invalid the whole batch is refused with 400 and nothing is written. Properties are merged; version and updatedAt change only when something actually changed.',
    tags: ['products'],
    secured: true,
    writes: true,
    batchField: 'inputs',
    body: upsertBatchSchema,
    responses: {
      200: { description: 'One result per input, in input order', schema: z.object({ results: z.array(upsertResultSchema) }) },
      413: { description: 'More inputs than maxBatchSize', schema: errorBodySchema },
      500: { description: 'Injected after-write failure: the batch WAS stored; retrying is safe', schema: errorBodySchema },
      ...errors,
    },
  },
  read: {
    method: 'POST',
    url: '/api/products/batch/read',
    summary: 'Read products by externalId; unknown ones are simply absent',
    tags: ['products'],
    secured: true,
    body: batchReadSchema,
    responses: {
      200: { description: 'Products found, in request order', schema: z.object({ results: z.array(crmProductSchema) }) },
      ...errors,
    },
  },
  readBySku: {
    method: 'POST',
    url: '/api/products/batch/read-by-sku',
    summary: 'Read products by their sku property (archived ones included); unknown SKUs are simply absent',
    description:
      'How a client resolves a SKU to the PMS product id (externalId). Results come in the order of the SKUs asked for; ' +
      'the CRM does not enforce unique SKUs, so one SKU may match several records, oldest first.',
    tags: ['products'],
    secured: true,
    body: readBySkuSchema,
    responses: { 200: { description: 'Products found', schema: z.object({ results: z.array(crmProductSchema) }) }, ...errors },
  },
  list: {
    method: 'GET',
    url: '/api/products',
    summary: 'List products ordered by id, with a total',
    tags: ['products'],
    secured: true,
    query: listQuerySchema,
    responses: { 200: { description: 'One page', schema: listResponseSchema }, ...errors },
  },
  stats: {
    method: 'GET',
    url: '/_admin/stats',
    summary: 'What clients did: requests and records created, updated or left unchanged',
    tags: ['admin'],
    secured: true,
    responses: { 200: { description: 'Counters since start or the last reset', schema: statsSchema }, 401: errors[401] },
  },
  resetStats: {
    method: 'POST',
    url: '/_admin/stats/reset',
    summary: 'Zero the counters (including injected-fault counters)',
    tags: ['admin'],
    secured: true,
    responses: { 200: { description: 'The zeroed counters', schema: statsSchema }, 401: errors[401] },
  },
} satisfies Record<string, RouteSpec>;
