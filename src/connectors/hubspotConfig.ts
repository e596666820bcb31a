import { z } from 'zod';
import { rateLimitSchema } from './requestPacer';
import { demandKinds, demandPriorities } from '../domain/crmDemand';

const propertyName = z.string().regex(/^[a-z][a-z0-9_]*$/, 'a HubSpot internal property name: lowercase letters, digits and _');

/**
 * Customer demands as HubSpot tickets (each associated with its company), orders as closed deals
 * with line items; the PMS link and status are written back onto the ticket.
 */
const hubspotDemandsSchema = z
  .object({
    /**
     * The ticket property holding the demand id: hs_object_id (the ticket's record id), or a unique
     * custom ticket property (hasUniqueValue) that the tickets carry, e.g. an id from a web form.
     */
    idProperty: propertyName.default('hs_object_id'),
    /** Only tickets of this pipeline (its internal id) are demands; every ticket when absent. */
    pipeline: z.string().min(1).optional(),
    /** Which ticket property holds each part of a demand. */
    properties: z
      .object({
        title: propertyName.default('subject'),
        description: propertyName.default('content'),
        /** One of feature-request, problem, need (or a value mapped by kindValues). */
        kind: propertyName.default('bridge_demand_kind'),
        /** The SKUs the demand is about, separated by ; (a multiple-checkbox value), commas or lines. */
        skus: propertyName.default('bridge_demand_skus'),
        priority: propertyName.default('hs_ticket_priority'),
        status: propertyName.default('hs_pipeline_stage'),
        /** Written by the bridge: the PMS requirement the demand is on, and that requirement's status. */
        requirementId: propertyName.default('bridge_pms_requirement_id'),
        requirementStatus: propertyName.default('bridge_pms_status'),
      })
      .strict()
      .prefault({}),
    /** HubSpot value -> demand kind, for values that are not already a kind. */
    kindValues: z.record(z.string(), z.enum(demandKinds)).default({}),
    /** HubSpot value -> demand priority (hs_ticket_priority's LOW, MEDIUM, HIGH, URGENT by default). */
    priorityValues: z
      .record(z.string(), z.enum(demandPriorities))
      .default({ LOW: 'low', MEDIUM: 'medium', HIGH: 'high', URGENT: 'critical' }),
    /** Create the two link properties on first use when they are missing (needs crm.schemas.tickets.write). */
    createLinkProperties: z.boolean().default(true),
    /** Company properties giving an account's segment and annual value. */
    company: z
      .object({ segmentProperty: propertyName.default('industry'), valueProperty: propertyName.default('annualrevenue') })
      .strict()
      .prefault({}),
    /** The product property holding the SKU; a SKU resolves through the product carrying products.idProperty. */
    productSkuProperty: propertyName.default('hs_sku'),
    /** Orders: deals in these stages (internal ids), their line items the ordered quantities. */
    orders: z
      .object({
        stages: z.array(z.string().min(1)).min(1).default(['closedwon']),
        /** The line item property holding the SKU (HubSpot copies hs_sku from the product). */
        lineSkuProperty: propertyName.default('hs_sku'),
      })
      .strict()
      .prefault({}),
  })
  .strict();

/** A HubSpot account reached through the CRM v3 object API. */
export const hubspotSystemSchema = z
  .object({
    kind: z.literal('hubspot'),
    url: z.url().default('https://api.hubapi.com'),
    /** Private app / service key access token. Leave it out of the file: it is read from `tokenEnv`. */
    token: z.string().min(1).optional(),
    /** Environment variable holding the token when `token` is not set (CRM_TOKEN also sets `token` for `crm`). */
    tokenEnv: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/)
      .default('HUBSPOT_TOKEN'),
    timeoutMs: z.number().int().min(100).max(600_000).default(30_000),
    /** The system's request limit, e.g. { requests: 100, perMs: 10000 }: every connector of this system in a worker shares one pacer under it. */
    rateLimit: rateLimitSchema.optional(),
    products: z
      .object({
        /** The product property holding the PMS id; unique (hasUniqueValue) where the account allows. */
        idProperty: propertyName.default('bridge_external_id'),
        /** Create idProperty on first use when it does not exist (needs the crm.schemas.products.write scope). */
        createIdProperty: z.boolean().default(true),
        /**
         * auto: batch upsert by idProperty when it is unique, else search-then-create/update.
         * The other two force one path.
         */
        upsert: z.enum(['auto', 'batch-upsert', 'search-then-write']).default('auto'),
        /** A bool product property recording the bridge's archived flag; mirror mode needs it. */
        archivedProperty: propertyName.optional(),
        /** Properties handed on when HubSpot is the product source (ignored as a target). */
        sourceProperties: z.array(propertyName).default(['name', 'description', 'price', 'hs_sku']),
      })
      .strict()
      .default({
        idProperty: 'bridge_external_id',
        createIdProperty: true,
        upsert: 'auto',
        sourceProperties: ['name', 'description', 'price', 'hs_sku'],
      }),
    /** Where demands and orders are, when this account is the CRM of a demand sync. */
    demands: hubspotDemandsSchema.prefault({}),
    /** The account's time zone: its daily API limit resets at midnight there. */
    timeZone: z.string().min(1).default('UTC'),
    /**
     * Changes newer than this are left for the next run. HubSpot's search shows writes only after a
     * delay ("a few moments"), and not in timestamp order; reading them later keeps the cursor from
     * passing a record that appears late with an older hs_lastmodifieddate. Keep it above that delay.
     */
    changeSettleMs: z.number().int().min(0).max(3_600_000).default(30_000),
    /** Requests kept in hand in the 10-second window: below it the connector spreads its requests out. */
    rateLimitReserve: z.number().int().min(0).max(100).default(10),
  })
  .strict();
export type HubSpotSystemConfig = z.infer<typeof hubspotSystemSchema>;
