import { z } from 'zod';
import { rateLimitSchema } from './requestPacer';

/** Entity types a note can be linked to (https://developer.productboard.com/reference/createnoterelationship; v1 "Create a link": product, component, feature, subfeature). */
const noteLinkEntityTypes = ['feature', 'subfeature', 'product', 'component'] as const;

/** Feature statuses that mean the work is over, when the configuration names none. */
const defaultTerminalStatuses = ['Released', 'Done', 'Shipped', "Won't do", 'Declined', 'Archived'];

/**
 * Productboard as a demand sync's requirement store: each requirement is a feature (or subfeature),
 * each demand a note linked to it. See docs/connectors/productboard.md.
 */
const requirementsSchema = z
  .object({
    /** The entity type a requirement is: feature (default) or subfeature. */
    entityType: z.enum(['feature', 'subfeature']).default('feature'),
    /**
     * Whether the bridge may create a feature for a demand nothing matches. Off: the demand stays an
     * unlinked note in the insights inbox for a product manager to triage.
     */
    createFeatures: z.boolean().default(false),
    /** PMS product id -> the component (or product) new features go under and candidates are read from. */
    parentByProduct: z.record(z.string(), z.string().min(1)).default({}),
    /** Where features of a product not named in parentByProduct go; without it such a demand cannot be placed. */
    defaultParent: z.string().min(1).optional(),
    /** Feature status names (compared without regard to case) that mean the work is over. */
    terminalStatuses: z.array(z.string().min(1)).default(defaultTerminalStatuses),
    /** The status a demand shows while its note waits, unlinked, in the insights inbox. */
    inboxStatus: z.string().min(1).default('In triage'),
    /** A feature's number field that holds the demand score; absent: the score is only in each note. */
    demandScoreField: z.string().min(1).optional(),
  })
  .strict();

/** Productboard (REST API v2): demands as notes, and optionally features as the demand sync's requirements. */
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
    /** What the notes of demandSyncs[].notes are linked to as evidence (notes link to these four types; there is no initiative link). */
    entityType: z.enum(noteLinkEntityTypes).default('feature'),
    /** How long names looked up for demandSyncs[].notes (features, companies) are kept before being read again. */
    nameCacheMs: z.number().int().min(0).max(86_400_000).default(300_000),
    /** Requests per second per token (Productboard: 50). */
    requestsPerSecond: z.number().int().min(1).max(50).default(50),
    /** How Productboard holds a demand sync's requirements, when it is the `pms` of one. */
    requirements: requirementsSchema.default(requirementsSchema.parse({})),
  })
  .strict();
export type ProductboardSystemConfig = z.infer<typeof productboardSystemSchema>;
