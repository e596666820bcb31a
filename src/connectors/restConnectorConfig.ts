import { z } from 'zod';
import { restAuthSchema } from './restAuth';
import { rateLimitSchema } from './requestPacer';

/**
 * Configuration of a REST system reached through the configurable connector (an in-house PMS or
 * CRM): everything about its API is described here, so adding such a system needs no code.
 */

const method = z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']);
/** Dotted path into an answer or a record; '' is the whole value. */
const path = z.string();
const queryValues = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).default({});

/** How the list endpoint hands out the next page of the same query. */
const paginationSchema = z.discriminatedUnion('type', [
  /** One page only (the incremental parameter alone moves the feed on). */
  z.object({ type: z.literal('none') }).strict(),
  /**
   * Next-page query parameters read from the answer, e.g. `{ cursor: paging.next.after }` or
   * `{ since: nextCursor.since, afterId: nextCursor.afterId }`. No value: last page.
   */
  z
    .object({
      type: z.literal('cursor'),
      params: z.record(z.string(), path).refine((params) => Object.keys(params).length > 0, 'name at least one parameter'),
      /** Optional boolean in the answer; false ends paging even when a cursor is present. */
      hasMorePath: path.optional(),
    })
    .strict(),
  /** `?page=N` (from `first`) until a page comes back shorter than the limit. */
  z.object({ type: z.literal('page'), param: z.string().min(1).default('page'), first: z.number().int().min(0).default(1) }).strict(),
  /** `?offset=N` advanced by the records received, until a short page. */
  z.object({ type: z.literal('offset'), param: z.string().min(1).default('offset') }).strict(),
  /** RFC 8288 `Link: <url>; rel="next"` header. */
  z.object({ type: z.literal('link-header') }).strict(),
  /** A next-page URL in the answer, e.g. `_links.next.href` or `next`. */
  z.object({ type: z.literal('next-url'), path: path.min(1) }).strict(),
]);
export type PaginationConfig = z.infer<typeof paginationSchema>;

const restProductSourceSchema = z
  .object({
    path: z.string().min(1),
    query: queryValues,
    /** Page-size parameter; absent: the API's own page size. */
    limitParam: z.string().min(1).optional(),
    /** Largest page the API allows. */
    maxPageSize: z.number().int().min(1).max(10_000).default(100),
    /** Incremental parameter (records changed since); absent: every run reads everything. */
    sinceParam: z.string().min(1).optional(),
    /** How the incremental parameter's instant is written. */
    sinceFormat: z.enum(['iso', 'epoch-ms', 'epoch-s']).default('iso'),
    /** The API's tie-breaker for records sharing `since` (id of the last record seen), if it has one. */
    afterIdParam: z.string().min(1).optional(),
    /**
     * True when records come in (updated, id) order, as change feeds do: a page is then cut at
     * the limit. False: every page since the cursor is read and sorted here (costly on big feeds).
     */
    ordered: z.boolean().default(true),
    /** Where the records are in an answer; '' when the answer is the array itself. */
    recordsPath: path.default('data'),
    pagination: paginationSchema.default({ type: 'none' }),
    /**
     * Bridge product field -> path in the vendor record, e.g. `{ price.amount: pricing.net }`.
     * Fields not named keep the record's own value. id and updatedAt are required in the result.
     */
    fields: z.record(z.string().min(1), path).default({}),
    /** True when deleted records appear in the feed with `deleted: true` (after mapping). */
    reportsDeletes: z.boolean().default(false),
    /** Most pages one read may follow before handing what it has to the workflow. */
    maxPagesPerRead: z.number().int().min(1).max(1000).default(50),
    /**
     * Reading named products (an operator's retry of failed records): a batch endpoint (`$ids` in
     * the body) or one GET per id (`{id}` in the path; 404 is absent). Absent: the feed is scanned.
     */
    get: z
      .discriminatedUnion('mode', [
        z
          .object({
            mode: z.literal('batch'),
            method: method.default('POST'),
            path: z.string().min(1),
            body: z.unknown().default({ ids: '$ids' }),
            maxBatch: z.number().int().min(1).max(10_000).default(100),
            recordsPath: path.default('data'),
          })
          .strict(),
        z.object({ mode: z.literal('single'), path: z.string().min(1), recordPath: path.default('') }).strict(),
      ])
      .optional(),
  })
  .strict();
export type RestProductSourceConfig = z.infer<typeof restProductSourceSchema>;

/** Variables in write bodies: $records, $record, $externalId, $properties, $archived. */
const bodyTemplate = z.unknown();

const restProductSinkSchema = z
  .object({
    read: z.discriminatedUnion('mode', [
      /** One request for many ids: `body` gets `$externalIds`; the found records at `recordsPath`. */
      z
        .object({
          mode: z.literal('batch'),
          method: method.default('POST'),
          path: z.string().min(1),
          body: bodyTemplate.default({ externalIds: '$externalIds' }),
          maxBatch: z.number().int().min(1).max(10_000).default(100),
          recordsPath: path.default('results'),
        })
        .strict(),
      /** One GET per id, e.g. `/api/products/{externalId}`; 404 means absent. */
      z.object({ mode: z.literal('single'), path: z.string().min(1), recordPath: path.default('') }).strict(),
    ]),
    /** Paths in a read record. */
    record: z
      .object({ externalId: path.default('externalId'), properties: path.default('properties'), archived: path.optional() })
      .strict()
      .default({ externalId: 'externalId', properties: 'properties' }),
    write: z.discriminatedUnion('mode', [
      z
        .object({
          mode: z.literal('batch'),
          method: method.default('POST'),
          path: z.string().min(1),
          maxBatch: z.number().int().min(1).max(10_000).default(100),
          /** The request body; `$records` is the list of rendered `record`s. */
          body: bodyTemplate.default({ inputs: '$records' }),
          record: bodyTemplate.default({ externalId: '$externalId', properties: '$properties', archived: '$archived' }),
          /** Per-record results in input order; absent: the batch succeeded as a whole. */
          resultsPath: path.optional(),
          /** In each result: true when the record was created. */
          createdPath: path.optional(),
        })
        .strict(),
      z
        .object({
          mode: z.literal('single'),
          method: method.default('PUT'),
          path: z.string().min(1),
          body: bodyTemplate.default({ properties: '$properties', archived: '$archived' }),
          /** Path to a "created" boolean in the answer; absent: 201 means created. */
          createdPath: path.optional(),
        })
        .strict(),
    ]),
    /** How many records the system holds (the change guard's base). */
    count: z.object({ path: z.string().min(1), query: queryValues, totalPath: path.default('total') }).strict(),
    /** True when the system keeps an archived flag the bridge can set (mirror mode). */
    archives: z.boolean().default(true),
  })
  .strict();
export type RestProductSinkConfig = z.infer<typeof restProductSinkSchema>;

/**
 * An in-house PMS's requirements (the PMS side of a demand sync). Body templates take $requirement
 * (the whole new requirement: title, description, productId, demands, demandScore, idempotencyKey),
 * $id, $demands, $demandScore, $expectedUpdatedAt and $signals; `{id}` in a path is the requirement id.
 */
const restRequirementsSchema = z
  .object({
    /** The change feed of requirements (incremental parameter, paging, where the records are), as for a product source. */
    changes: restProductSourceSchema,
    /** Query parameters that filter the feed read from its start: by product, and by a linked demand. */
    productParam: z.string().min(1).default('productId'),
    demandParam: z.string().min(1).default('demandId'),
    /** One requirement: `{id}` in the path; 404 is absent. */
    get: z.object({ path: z.string().min(1), recordPath: path.default('') }).strict(),
    /** Creating one; the API must return the first requirement again for a repeated idempotencyKey. */
    create: z
      .object({
        method: method.default('POST'),
        path: z.string().min(1),
        body: z.unknown().default('$requirement'),
        recordPath: path.default(''),
      })
      .strict(),
    /** Replacing a requirement's demand links, conditional on $expectedUpdatedAt; `conflictStatus` means changed meanwhile. */
    link: z
      .object({
        method: method.default('PUT'),
        path: z.string().min(1),
        body: z.unknown().default({ demands: '$demands', demandScore: '$demandScore', expectedUpdatedAt: '$expectedUpdatedAt' }),
        recordPath: path.default(''),
        conflictStatus: z.number().int().min(400).max(499).default(409),
      })
      .strict(),
    /** Where order quantities go (per product and month); absent: the PMS takes none and they are not sent. */
    signals: z
      .object({ method: method.default('POST'), path: z.string().min(1), body: z.unknown().default({ inputs: '$signals' }) })
      .strict()
      .optional(),
    /** Requirement field -> path in the PMS record. */
    record: z
      .object({
        id: path.default('id'),
        title: path.default('title'),
        description: path.default('description'),
        productId: path.default('productId'),
        status: path.default('status'),
        demands: path.default('demands'),
        demandScore: path.default('demandScore'),
        updatedAt: path.default('updatedAt'),
      })
      .strict()
      .default({
        id: 'id',
        title: 'title',
        description: 'description',
        productId: 'productId',
        status: 'status',
        demands: 'demands',
        demandScore: 'demandScore',
        updatedAt: 'updatedAt',
      }),
    /** Statuses that end a requirement (released, declined ...): it is then terminal. */
    terminalStatuses: z.array(z.string().min(1)).default([]),
  })
  .strict();
export type RestRequirementsConfig = z.infer<typeof restRequirementsSchema>;

export const restSystemSchema = z
  .object({
    kind: z.literal('rest'),
    url: z.url({ message: 'expected an http(s) URL such as https://pim.example.com' }),
    /** Bearer token when auth is bearer with no token of its own (PMS_TOKEN / CRM_TOKEN for pms / crm). */
    token: z.string().min(1).optional(),
    auth: restAuthSchema.default({ type: 'bearer' }),
    timeoutMs: z.number().int().min(100).max(600_000).default(30_000),
    /** The name in errors and logs, e.g. "ERP". */
    displayName: z.string().min(1).optional(),
    /** The system's request limit, e.g. { requests: 100, perMs: 10000 }: the client paces itself under it. */
    rateLimit: rateLimitSchema.optional(),
    productSource: restProductSourceSchema.optional(),
    productSink: restProductSinkSchema.optional(),
    /** Requirements of an in-house PMS, for the PMS side of a demand sync. */
    requirements: restRequirementsSchema.optional(),
  })
  .strict();
export type RestSystemConfig = z.infer<typeof restSystemSchema>;
