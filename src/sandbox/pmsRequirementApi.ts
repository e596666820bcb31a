import { z } from 'zod';
import { checkFeedCursor, feedPageSchema, feedQueryShape } from './changeFeed';
import { errorBodySchema } from './httpErrors';
import { productIdPattern, productIdSchema } from './pmsApi';
import type { RouteSpec } from './routeSpec';

/**
 * The sandbox PMS's requirements: what the product team plans, each for one product, with the
 * customer demands that ask for it linked to it. The server validates with these schemas and
 * the OpenAPI document is generated from them.
 */

export const requirementStatuses = ['new', 'under-review', 'planned', 'in-progress', 'released', 'declined'] as const;
/** Statuses after which the work is over: such a requirement is `terminal`. */
export const terminalRequirementStatuses: ReadonlyArray<(typeof requirementStatuses)[number]> = ['released', 'declined'];
const linkStates = ['linked', 'suggested', 'confirmed', 'rejected'] as const;
const linkDecisions = ['confirm', 'reject'] as const;
const demandPriorities = ['low', 'medium', 'high', 'critical'] as const;
const maxDemandLinks = 5000;

const quoted = (values: readonly string[]): string => values.map((value) => `'${value}'`).join(', ');

const requiredText = (field: string, max: number) =>
  z
    .string({ error: `${field} must be a string` })
    .trim()
    .min(1, `${field} must not be empty`)
    .max(max, `${field} must be at most ${max} characters`);

const title = requiredText('title', 300);
const description = z.string({ error: 'description must be a string' }).max(20_000, 'description must be at most 20000 characters');
const demandScore = z
  .number({ error: 'demandScore must be a number' })
  .min(0, 'demandScore must not be negative')
  .describe('Weight of the linked demands, computed by the client');

/**
 * One customer demand as the product team sees it on a requirement. The listed fields are
 * checked; anything else the client's mapping adds (a title, say) is stored as given.
 */
export const demandLinkSchema = z
  .object({
    demandId: requiredText('demandId', 64),
    accountId: requiredText('accountId', 64),
    accountName: requiredText('accountName', 200),
    segment: requiredText('segment', 64),
    accountValue: z.number({ error: 'accountValue must be a number' }).min(0, 'accountValue must not be negative'),
    priority: z.enum(demandPriorities, { error: `priority must be one of ${quoted(demandPriorities)}` }),
    kind: requiredText('kind', 64),
    matchReason: z
      .string({ error: 'matchReason must be a string or null' })
      .max(1000, 'matchReason must be at most 1000 characters')
      .nullable()
      .describe('Why the demand was linked to an existing requirement; null for the one that created it'),
    matchScore: z
      .number({ error: 'matchScore must be a number from 0 to 1 or null' })
      .min(0, 'matchScore must be at least 0')
      .max(1, 'matchScore must be at most 1')
      .nullable()
      .default(null)
      .describe("The matcher's score (0..1) for this link; null for the demand that created the requirement"),
    linkState: z
      .enum(linkStates, { error: `linkState must be one of ${quoted(linkStates)}` })
      .default('linked')
      .describe(
        "'linked' by the client, 'suggested' for a product manager to confirm or reject (POST .../decision), then 'confirmed' or 'rejected'",
      ),
    linkedAt: z.iso.datetime({ offset: true, error: 'linkedAt must be an ISO 8601 timestamp such as 2025-03-01T12:00:00Z' }),
  })
  .loose()
  .describe('Demand link; extra fields are stored as given');
export type DemandLink = z.infer<typeof demandLinkSchema>;

/** Each demand once: a demand listed twice would count twice in the score and in the UI. */
function uniqueDemandIds(links: readonly DemandLink[], context: z.RefinementCtx): void {
  const firstIndex = new Map<string, number>();
  links.forEach(({ demandId }, index) => {
    const earlier = firstIndex.get(demandId);
    if (earlier === undefined) firstIndex.set(demandId, index);
    else
      context.addIssue({
        code: 'custom',
        path: [index, 'demandId'],
        message: `demand ${demandId} is listed more than once (first at position ${earlier}); link each demand once`,
      });
  });
}

const demandLinksSchema = z
  .array(demandLinkSchema, { error: 'demands must be an array of demand links' })
  .max(maxDemandLinks, `demands must contain at most ${maxDemandLinks} links`)
  .superRefine(uniqueDemandIds);

const fieldList = (fields: readonly string[]) => (issue: z.core.$ZodRawIssue) => {
  if (issue.code === 'unrecognized_keys') {
    return `unknown field ${quoted(issue.keys)}; allowed fields: ${fields.join(', ')}`;
  }
  if (issue.code === 'invalid_type') return 'body must be a JSON object';
  return undefined;
};

const createRequirementSchema = z.strictObject(
  {
    title,
    description,
    productId: productIdSchema.describe('A live (not deleted) PMS product'),
    demands: demandLinksSchema,
    demandScore,
    idempotencyKey: z
      .string({ error: 'idempotencyKey must be a string or null' })
      .min(1, 'idempotencyKey must not be empty; send null for none')
      .max(200, 'idempotencyKey must be at most 200 characters')
      .nullable()
      .describe('A retried create with the same key returns the first requirement instead of a duplicate'),
    refersTo: z
      .string()
      .regex(productIdPattern, 'refersTo must be a requirement id')
      .nullable()
      .optional()
      .describe('The earlier, terminal requirement this one continues'),
  },
  { error: fieldList(['title', 'description', 'productId', 'demands', 'demandScore', 'idempotencyKey', 'refersTo']) },
);
export type NewRequirement = z.infer<typeof createRequirementSchema>;

const replaceDemandsSchema = z.strictObject(
  {
    demands: demandLinksSchema,
    demandScore,
    expectedUpdatedAt: z
      .string()
      .optional()
      .describe('The updatedAt the client read; if the requirement changed since, 409 and nothing is written'),
  },
  { error: fieldList(['demands', 'demandScore', 'expectedUpdatedAt']) },
);

const statusField = z.enum(requirementStatuses, { error: `status must be one of ${quoted(requirementStatuses)}` });

const patchRequirementSchema = z
  .strictObject(
    { status: statusField.optional(), title: title.optional(), description: description.optional() },
    { error: fieldList(['status', 'title', 'description']) },
  )
  .refine((patch) => Object.values(patch).some((value) => value !== undefined), {
    message: 'name at least one of status, title, description',
  });
export type RequirementPatch = z.infer<typeof patchRequirementSchema>;

export const requirementSchema = z.object({
  id: z.string().describe('Assigned by the PMS: REQ-000001, REQ-000002, ...'),
  title: z.string(),
  description: z.string(),
  productId: z.string(),
  status: statusField,
  demands: z.array(demandLinkSchema),
  demandScore: z.number(),
  idempotencyKey: z.string().nullable(),
  terminal: z.boolean().describe(`True when the status is ${quoted(terminalRequirementStatuses)}: the work is over`),
  refersTo: z.string().nullable().describe('The earlier, terminal requirement this one continues; null if none'),
  createdAt: z.string(),
  updatedAt: z.string().describe('ISO 8601 with milliseconds; strictly increasing across writes'),
});
export type Requirement = z.infer<typeof requirementSchema>;

const requirementParamsSchema = z.object({
  id: z.string().regex(productIdPattern, 'must be 1-64 characters of letters, digits, "_", ".", ":" or "-"'),
});

const linkParamsSchema = requirementParamsSchema.extend({
  demandId: z.string().regex(productIdPattern, 'must be 1-64 characters of letters, digits, "_", ".", ":" or "-"'),
});

const decisionSchema = z.strictObject(
  {
    decision: z
      .enum(linkDecisions, { error: `decision must be one of ${quoted(linkDecisions)}` })
      .describe("'confirm' keeps the demand on the requirement; 'reject' takes it off, and the client never links it there again"),
  },
  { error: fieldList(['decision']) },
);
export type LinkDecision = z.infer<typeof decisionSchema>['decision'];

const optionalFilter = (what: string) =>
  z.string().regex(productIdPattern, 'must be 1-64 characters of letters, digits, "_", ".", ":" or "-"').optional().describe(what);

const requirementListQuerySchema = z
  .object({
    productId: optionalFilter('Only requirements for this product'),
    demandId: optionalFilter('Only requirements linking this customer demand'),
    ...feedQueryShape,
  })
  .superRefine(checkFeedCursor);

const errors = {
  400: { description: 'Invalid request; the message names the field', schema: errorBodySchema },
  401: { description: 'Missing or wrong bearer token', schema: errorBodySchema },
  429: { description: 'Rate limited; see Retry-After', schema: errorBodySchema },
  503: { description: 'Unavailable (injected fault); retry with back-off', schema: errorBodySchema },
};
const notFound = { 404: { description: 'No such requirement', schema: errorBodySchema } };
const failedAfterWrite = {
  500: { description: 'Injected after-write failure: the change WAS stored; retrying is safe', schema: errorBodySchema },
};

export const requirementRoutes = {
  create: {
    method: 'POST',
    url: '/api/requirements',
    summary: 'Create a requirement (status new); idempotent by idempotencyKey',
    description:
      'Answers 201 with the new requirement. If a requirement with the same idempotencyKey exists, answers 200 with it and changes nothing, so a retried create never duplicates.',
    tags: ['requirements'],
    secured: true,
    writes: true,
    body: createRequirementSchema,
    responses: {
      201: { description: 'Created', schema: requirementSchema },
      200: { description: 'Already created with this idempotencyKey; nothing changed', schema: requirementSchema },
      ...failedAfterWrite,
      ...errors,
    },
  },
  list: {
    method: 'GET',
    url: '/api/requirements',
    summary: 'Change feed: requirements ordered by (updatedAt, id), strictly after the cursor',
    description: 'The same paging as every sandbox feed; productId and demandId narrow it down.',
    tags: ['requirements'],
    secured: true,
    query: requirementListQuerySchema,
    responses: { 200: { description: 'One page of the change feed', schema: feedPageSchema(requirementSchema) }, ...errors },
  },
  get: {
    method: 'GET',
    url: '/api/requirements/:id',
    summary: 'One requirement',
    tags: ['requirements'],
    secured: true,
    params: requirementParamsSchema,
    responses: { 200: { description: 'The requirement', schema: requirementSchema }, ...notFound, ...errors },
  },
  replaceDemands: {
    method: 'PUT',
    url: '/api/requirements/:id/demands',
    summary: 'Replace the linked demands and the demand score',
    description: 'updatedAt changes only when the links or the score actually change, so re-sending the same links writes nothing.',
    tags: ['requirements'],
    secured: true,
    writes: true,
    params: requirementParamsSchema,
    body: replaceDemandsSchema,
    responses: {
      200: { description: 'The stored requirement', schema: requirementSchema },
      409: { description: 'The requirement changed since expectedUpdatedAt; read it again', schema: errorBodySchema },
      ...notFound,
      ...failedAfterWrite,
      ...errors,
    },
  },
  decide: {
    method: 'POST',
    url: '/api/requirements/:id/demands/:demandId/decision',
    summary: "A product manager's decision on a demand's link: confirm or reject it",
    description:
      "Sets the link's linkState to 'confirmed' or 'rejected' (from any state; deciding again changes the decision). The client never changes a confirmed or rejected link, and a rejected demand stays off this requirement's score.",
    tags: ['requirements'],
    secured: true,
    writes: true,
    params: linkParamsSchema,
    body: decisionSchema,
    responses: {
      200: { description: 'The stored requirement', schema: requirementSchema },
      404: { description: 'No such requirement, or the demand is not linked to it', schema: errorBodySchema },
      ...failedAfterWrite,
      ...errors,
    },
  },
  patch: {
    method: 'PATCH',
    url: '/api/requirements/:id',
    summary: 'Change status, title or description, as a product manager does in the PMS',
    tags: ['requirements'],
    secured: true,
    writes: true,
    params: requirementParamsSchema,
    body: patchRequirementSchema,
    responses: { 200: { description: 'The stored requirement', schema: requirementSchema }, ...notFound, ...failedAfterWrite, ...errors },
  },
} satisfies Record<string, RouteSpec>;
