import { z } from 'zod';
import { checkFeedCursor, feedPageSchema, feedQueryShape } from './changeFeed';
import { errorBodySchema } from './httpErrors';
import type { RouteSpec } from './routeSpec';

/**
 * The sandbox CRM's customer side: accounts, contacts, customer demands and orders. Accounts and
 * contacts are master data the CRM checks; demands and orders are what sales people type in, so
 * the CRM stores them as entered and the bridge validates them (as it must with a real CRM).
 * The server validates with these schemas and the OpenAPI document is generated from them.
 */

const maxReadIds = 1000;
const maxLinkUpdates = 100;
export const accountSegments = ['enterprise', 'mid-market', 'smb'] as const;

const recordIdPattern = /^[A-Za-z0-9_.:-]{1,64}$/;
const recordIdMessage = 'must be 1-64 characters of letters, digits, "_", ".", ":" or "-"';

const recordParamsSchema = z.object({ id: z.string().regex(recordIdPattern, recordIdMessage) });

/**
 * Fields the CRM sets itself. A body may carry them (a record read, edited and written back), so
 * they are accepted, but ignored: the path id wins and the timestamps come from the CRM's clock.
 */
const managedShape = {
  id: z.unknown().optional().describe('Ignored: the id in the path wins'),
  createdAt: z.unknown().optional().describe('Ignored: set by the CRM when the record is created'),
  updatedAt: z.unknown().optional().describe('Ignored: set by the CRM on every write'),
};

/** Typos in master data should fail loudly, in the CRM's words, not be stored or dropped. */
function fieldErrors(collection: string, known: readonly string[]) {
  return (issue: z.core.$ZodRawIssue): string | undefined => {
    if (issue.code === 'unrecognized_keys') {
      const unknown = issue.keys.map((key) => `'${key}'`).join(', ');
      return `Property ${unknown} does not exist on ${collection}; known properties: ${known.join(', ')}`;
    }
    if (issue.code === 'invalid_type') return 'body must be a JSON object';
    return undefined;
  };
}

const text = (field: string, max: number) =>
  z
    .string({ error: `${field} must be a string` })
    .trim()
    .min(1, `${field} must not be empty`)
    .max(max, `${field} must be at most ${max} characters`);

export const accountInputSchema = z.strictObject(
  {
    ...managedShape,
    name: text('name', 200),
    segment: z.enum(accountSegments, {
      error: `segment must be one of ${accountSegments.map((s) => `'${s}'`).join(', ')}`,
    }),
    annualValue: z
      .number({ error: 'annualValue must be a number (EUR per year)' })
      .min(0, 'annualValue must not be negative')
      .describe('Revenue with this account in EUR per year'),
  },
  { error: fieldErrors('accounts', ['name', 'segment', 'annualValue']) },
);

export const contactInputSchema = z.strictObject(
  {
    ...managedShape,
    accountId: z.string({ error: 'accountId must be a string' }).regex(recordIdPattern, `accountId ${recordIdMessage}`),
    name: text('name', 200),
    email: z.email({ error: 'email must be an e-mail address such as anna.meyer@example.com' }),
    phone: z
      .string({ error: 'phone must be a string' })
      .regex(/^\+?[0-9][0-9 ()/-]{3,30}$/, 'phone must be a phone number such as +49 30 1234567'),
  },
  { error: fieldErrors('contacts', ['accountId', 'name', 'email', 'phone']) },
);

const linkField = (field: string) =>
  z
    .string({ error: `${field} must be a string or null` })
    .min(1, `${field} must not be empty; send null to clear it`)
    .max(64, `${field} must be at most 64 characters`)
    .nullable();

const bridgeOwned = 'Bridge-owned: written by update-links; a PUT that leaves it out keeps the stored value';

const demandInputSchema = z
  .looseObject(
    {
      ...managedShape,
      pmsRequirementId: linkField('pmsRequirementId').optional().describe(bridgeOwned),
      pmsStatus: linkField('pmsStatus').optional().describe(bridgeOwned),
    },
    { error: 'body must be a JSON object' },
  )
  .describe(
    'Demand as entered in the CRM, typically title, description, kind, skus, priority, accountId, contactId and status. ' +
      'The CRM does not check them: the bridge validates demands.',
  );

const orderInputSchema = z
  .looseObject(managedShape, { error: 'body must be a JSON object' })
  .describe('Order as entered in the CRM, typically accountId, orderedAt and lines [{ sku, quantity }]. The CRM does not check them.');

const timestamps = {
  createdAt: z.string().describe('ISO 8601; set when the record was created, kept on replace'),
  updatedAt: z.string().describe('ISO 8601 with milliseconds; strictly increasing across writes'),
};

export const accountSchema = z.object({
  id: z.string(),
  name: z.string(),
  segment: z.enum(accountSegments),
  annualValue: z.number(),
  ...timestamps,
});
export type AccountRecord = z.infer<typeof accountSchema>;

export const contactSchema = z.object({
  id: z.string(),
  accountId: z.string(),
  name: z.string(),
  email: z.string(),
  phone: z.string(),
  ...timestamps,
});
export type ContactRecord = z.infer<typeof contactSchema>;

export const demandSchema = z
  .looseObject({
    id: z.string(),
    ...timestamps,
    pmsRequirementId: z.string().nullable().describe('The PMS requirement this demand is mapped to'),
    pmsStatus: z.string().nullable().describe("That requirement's status, as last pushed by the bridge"),
  })
  .describe('Demand; fields besides id, the timestamps and the two link fields are whatever was entered');
export type DemandRecord = z.infer<typeof demandSchema>;

export const orderSchema = z
  .looseObject({ id: z.string(), ...timestamps })
  .describe('Order; fields besides id and the timestamps are whatever was entered');
export type OrderRecord = z.infer<typeof orderSchema>;

const feedQuerySchema = z.object(feedQueryShape).superRefine(checkFeedCursor);

const idsSchema = (noun: string) =>
  z.object({
    ids: z
      .array(z.string({ error: 'must be a string' }), { error: `must be an array of 1 to ${maxReadIds} ${noun} ids` })
      .min(1, `must contain at least one ${noun} id`)
      .max(maxReadIds, `must contain at most ${maxReadIds} ids`),
  });

const linkUpdateSchema = z.strictObject(
  {
    id: z.string({ error: 'id must be a string' }).min(1, 'id must not be empty'),
    pmsRequirementId: linkField('pmsRequirementId'),
    pmsStatus: linkField('pmsStatus'),
  },
  {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? `unknown field ${issue.keys.map((key) => `'${key}'`).join(', ')}: update-links sets only pmsRequirementId and pmsStatus (the CRM owns demand content)`
        : issue.code === 'invalid_type'
          ? 'each input must be an object with id, pmsRequirementId and pmsStatus'
          : undefined,
  },
);
export type LinkUpdate = z.infer<typeof linkUpdateSchema>;

const updateLinksBodySchema = z
  .object({
    inputs: z
      .array(linkUpdateSchema, { error: 'inputs must be an array of { id, pmsRequirementId, pmsStatus }' })
      .min(1, 'inputs must contain at least one demand')
      .max(maxLinkUpdates, `inputs must contain at most ${maxLinkUpdates} demands`),
  })
  .superRefine(({ inputs }, context) => {
    // Two values for one demand in one request would make the outcome depend on input order.
    const firstIndex = new Map<string, number>();
    inputs.forEach(({ id }, index) => {
      const earlier = firstIndex.get(id);
      if (earlier === undefined) firstIndex.set(id, index);
      else
        context.addIssue({
          code: 'custom',
          path: ['inputs', index, 'id'],
          message: `demand ${id} appears more than once in the batch (first at input ${earlier}); send each demand once`,
        });
    });
  });

export const linkOutcomeSchema = z.object({
  id: z.string(),
  found: z.boolean().describe('False for an unknown demand id; nothing was written for it'),
  changed: z.boolean().describe('False when both values were already stored; updatedAt was not bumped'),
});
export type LinkOutcome = z.infer<typeof linkOutcomeSchema>;

const errors = {
  400: { description: 'Invalid request; the message names the field', schema: errorBodySchema },
  401: { description: 'Missing or wrong bearer token', schema: errorBodySchema },
  429: { description: 'Rate limited; see Retry-After', schema: errorBodySchema },
  503: { description: 'Unavailable (injected fault); retry with back-off', schema: errorBodySchema },
};
const failedAfterWrite = {
  500: { description: 'Injected after-write failure: the change WAS stored; retrying is safe', schema: errorBodySchema },
};

function putRoute<B extends z.ZodType, R extends z.ZodType>(collection: string, noun: string, body: B, record: R, description: string) {
  return {
    method: 'PUT',
    url: `/api/${collection}/:id`,
    summary: `Create or replace ${noun} (the path id wins)`,
    description,
    tags: ['customers'],
    secured: true,
    writes: true,
    params: recordParamsSchema,
    body,
    responses: { 200: { description: `The stored ${noun}`, schema: record }, ...failedAfterWrite, ...errors },
  } satisfies RouteSpec;
}

function feedRoute<R extends z.ZodType>(collection: string, record: R) {
  return {
    method: 'GET',
    url: `/api/${collection}`,
    summary: `Change feed: ${collection} ordered by (updatedAt, id), strictly after the cursor`,
    description: 'Rows with updatedAt > since, or updatedAt = since and id > afterId; the same paging as every sandbox feed.',
    tags: ['customers'],
    secured: true,
    query: feedQuerySchema,
    responses: { 200: { description: 'One page of the change feed', schema: feedPageSchema(record) }, ...errors },
  } satisfies RouteSpec;
}

function readRoute<R extends z.ZodType>(collection: string, noun: string, record: R) {
  return {
    method: 'POST',
    url: `/api/${collection}/batch/read`,
    summary: `Read ${collection} by id; unknown ids are simply absent`,
    tags: ['customers'],
    secured: true,
    body: idsSchema(noun),
    responses: {
      200: { description: 'The records found, in request order, each once', schema: z.object({ results: z.array(record) }) },
      ...errors,
    },
  } satisfies RouteSpec;
}

const replaceNote = 'Replaces the whole record; createdAt is kept, updatedAt is set by the CRM.';

export const crmCustomerRoutes = {
  putAccount: putRoute(
    'accounts',
    'an account',
    accountInputSchema,
    accountSchema,
    `${replaceNote} name, segment and annualValue are checked.`,
  ),
  putContact: putRoute(
    'contacts',
    'a contact',
    contactInputSchema,
    contactSchema,
    `${replaceNote} accountId, name, email and phone are checked.`,
  ),
  putDemand: putRoute(
    'demands',
    'a customer demand',
    demandInputSchema,
    demandSchema,
    `${replaceNote} Content is stored as entered. pmsRequirementId and pmsStatus belong to the bridge: they keep their stored values unless the body names them.`,
  ),
  putOrder: putRoute('orders', 'an order', orderInputSchema, orderSchema, `${replaceNote} Content is stored as entered.`),
  demandFeed: feedRoute('demands', demandSchema),
  orderFeed: feedRoute('orders', orderSchema),
  readDemands: readRoute('demands', 'demand', demandSchema),
  readAccounts: readRoute('accounts', 'account', accountSchema),
  readContacts: readRoute('contacts', 'contact', contactSchema),
  updateLinks: {
    method: 'POST',
    url: '/api/demands/batch/update-links',
    summary: 'Set the PMS requirement link and status on demands, and nothing else',
    description:
      'Only pmsRequirementId and pmsStatus are written; demand content is never touched. A demand whose values are already stored is left alone (changed=false, same updatedAt), so a repeated call writes nothing.',
    tags: ['customers'],
    secured: true,
    writes: true,
    batchField: 'inputs',
    body: updateLinksBodySchema,
    responses: {
      200: { description: 'One result per input, in input order', schema: z.object({ results: z.array(linkOutcomeSchema) }) },
      413: { description: 'More inputs than maxBatchSize', schema: errorBodySchema },
      ...failedAfterWrite,
      ...errors,
    },
  },
} satisfies Record<string, RouteSpec>;
