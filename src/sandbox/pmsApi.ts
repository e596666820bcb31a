import { z } from 'zod';
import { feedPageSchema, feedQuerySchema } from './changeFeed';
import { errorBodySchema } from './httpErrors';
import type { RouteSpec } from './routeSpec';

/**
 * The sandbox PMS contract: zod schemas that validate requests and describe responses, and the
 * route specs built from them. The server and the OpenAPI document both read this file.
 */

export const productIdPattern = /^[A-Za-z0-9_.:-]{1,64}$/;
const maxBatchGet = 1000;

export const productIdSchema = z.string().regex(productIdPattern, 'must be 1-64 characters of letters, digits, "_", ".", ":" or "-"');

const productParamsSchema = z.object({ id: productIdSchema });

/**
 * A product as the PMS hands it out. The PMS is lenient about content (drafts without a name,
 * legacy rows with wrong types), so only the paging keys are guaranteed; clients validate the rest.
 */
export const rawProductSchema = z
  .looseObject({
    id: z.string(),
    updatedAt: z.string().describe('ISO 8601 with milliseconds; strictly increasing across writes'),
    deleted: z.boolean().describe('Soft-deleted products stay in the change feed with deleted=true'),
  })
  .describe('Product document; fields besides id, updatedAt and deleted are whatever was stored');

/** Anything the client may store: a JSON object, no further rules (the PMS is the lenient side). */
const productDocumentSchema = z
  .record(z.string(), z.unknown(), { error: 'must be a JSON object, e.g. {"name": "..."}' })
  .describe('Product fields; id, updatedAt and deleted are set by the PMS and ignored here');

/** The change feed every sandbox feed shares (see changeFeed.ts), without filters. */
const listQuerySchema = feedQuerySchema;

export const pageSchema = feedPageSchema(rawProductSchema);

const batchGetBodySchema = z.object({
  ids: z
    .array(z.string({ error: 'must be a string' }), { error: `must be an array of 1 to ${maxBatchGet} product ids` })
    .min(1, `must contain at least one id`)
    .max(maxBatchGet, `must contain at most ${maxBatchGet} ids`),
});

export const batchGetResponseSchema = z.object({ data: z.array(rawProductSchema) });

const batchGetBySkuBodySchema = z.object({
  skus: z
    .array(z.string({ error: 'must be a string' }), { error: `must be an array of 1 to ${maxBatchGet} SKUs` })
    .min(1, 'must contain at least one SKU')
    .max(maxBatchGet, `must contain at most ${maxBatchGet} SKUs`),
});

const errors = {
  400: { description: 'Invalid request; the message names the field', schema: errorBodySchema },
  401: { description: 'Missing or wrong bearer token', schema: errorBodySchema },
  429: { description: 'Rate limited; see Retry-After', schema: errorBodySchema },
  503: { description: 'Unavailable (injected fault); retry with back-off', schema: errorBodySchema },
};
const notFound = { 404: { description: 'No such product', schema: errorBodySchema } };
const failedAfterWrite = {
  500: { description: 'Injected after-write failure: the change WAS stored; retrying is safe', schema: errorBodySchema },
};

export const pmsRoutes = {
  list: {
    method: 'GET',
    url: '/api/products',
    summary: 'Change feed: products ordered by (updatedAt, id), strictly after the cursor',
    description: 'Rows with updatedAt > since, or updatedAt = since and id > afterId. Deleted products are included with deleted=true.',
    tags: ['products'],
    secured: true,
    query: listQuerySchema,
    responses: { 200: { description: 'One page of the change feed', schema: pageSchema }, ...errors },
  },
  batchGet: {
    method: 'POST',
    url: '/api/products/batch-get',
    summary: 'Fetch products by id; unknown ids are simply absent',
    tags: ['products'],
    secured: true,
    body: batchGetBodySchema,
    responses: { 200: { description: 'The products found, in request order', schema: batchGetResponseSchema }, ...errors },
  },
  batchGetBySku: {
    method: 'POST',
    url: '/api/products/batch-get-by-sku',
    summary: 'Fetch products by SKU; unknown and deleted ones are absent',
    tags: ['products'],
    secured: true,
    body: batchGetBySkuBodySchema,
    responses: { 200: { description: 'The products found', schema: batchGetResponseSchema }, ...errors },
  },
  put: {
    method: 'PUT',
    url: '/api/products/:id',
    summary: 'Create or replace a product (undeletes it)',
    tags: ['products'],
    secured: true,
    writes: true,
    params: productParamsSchema,
    body: productDocumentSchema,
    responses: { 200: { description: 'The stored product', schema: rawProductSchema }, ...failedAfterWrite, ...errors },
  },
  patch: {
    method: 'PATCH',
    url: '/api/products/:id',
    summary: 'Merge fields shallowly into an existing product',
    tags: ['products'],
    secured: true,
    writes: true,
    params: productParamsSchema,
    body: productDocumentSchema,
    responses: {
      200: { description: 'The stored product', schema: rawProductSchema },
      ...notFound,
      ...failedAfterWrite,
      ...errors,
    },
  },
  purge: {
    method: 'POST',
    url: '/_admin/products/purge',
    summary: 'Remove products with no trace in the change feed, batch-get or webhooks',
    description:
      'Simulates a source that does not report deletions (HubSpot, Akeneo): the products are simply gone. ' +
      'Only mirror mode reconcile notices, by comparing the CRM with the ids the PMS still has.',
    tags: ['admin'],
    secured: true,
    body: batchGetBodySchema,
    responses: { 200: { description: 'How many of the ids existed', schema: z.object({ purged: z.number().int() }) }, ...errors },
  },
  delete: {
    method: 'DELETE',
    url: '/api/products/:id',
    summary: 'Soft-delete a product (it stays in the change feed with deleted=true)',
    tags: ['products'],
    secured: true,
    writes: true,
    params: productParamsSchema,
    responses: {
      200: { description: 'The deleted product', schema: rawProductSchema },
      ...notFound,
      ...failedAfterWrite,
      ...errors,
    },
  },
} satisfies Record<string, RouteSpec>;
