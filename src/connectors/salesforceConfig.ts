import { z } from 'zod';
import { rateLimitSchema } from './requestPacer';
import { demandKinds, demandPriorities } from '../domain/crmDemand';
import { restAuthSchema } from './restAuth';

const fieldName = z.string().regex(/^[A-Za-z][A-Za-z0-9_]*$/, 'a Salesforce field API name such as PMS_Id__c');

/**
 * Customer demands as Cases (Account and Contact from the Case's own lookups), orders as Orders
 * with OrderItems; the PMS link and status are written back onto two custom Case fields.
 */
const salesforceDemandsSchema = z
  .object({
    /** The Case field holding the demand id: Id, or a unique External ID field the Cases carry. */
    idField: fieldName.default('Id'),
    /** Only Cases of these Type values are demands; every Case when absent. */
    types: z.array(z.string().min(1)).min(1).optional(),
    /** Which Case field holds each part of a demand. */
    fields: z
      .object({
        title: fieldName.default('Subject'),
        description: fieldName.default('Description'),
        /** One of feature-request, problem, need (or a value mapped by kindValues). */
        kind: fieldName.default('Demand_Kind__c'),
        /** The SKUs the demand is about, separated by ; (a multi-select picklist value), commas or lines. */
        skus: fieldName.default('Demand_SKUs__c'),
        priority: fieldName.default('Priority'),
        status: fieldName.default('Status'),
        /** Written by the bridge: the PMS requirement the demand is on, and that requirement's status. */
        requirementId: fieldName.default('PMS_Requirement_Id__c'),
        requirementStatus: fieldName.default('PMS_Status__c'),
      })
      .strict()
      .prefault({}),
    /** Salesforce value -> demand kind, for values that are not already a kind. */
    kindValues: z.record(z.string(), z.enum(demandKinds)).default({}),
    /** Salesforce value -> demand priority (Case.Priority's Low, Medium, High by default). */
    priorityValues: z
      .record(z.string(), z.enum(demandPriorities))
      .default({ Low: 'low', Medium: 'medium', High: 'high', Critical: 'critical' }),
    /** Account fields giving an account's segment and annual value. */
    account: z
      .object({ segmentField: fieldName.default('Industry'), valueField: fieldName.default('AnnualRevenue') })
      .strict()
      .prefault({}),
    /** The Product2 field holding the SKU; a SKU resolves through the product carrying products.externalIdField. */
    productSkuField: fieldName.default('ProductCode'),
    /** Orders in these Status values count (the standard ones are Draft and Activated). */
    orders: z
      .object({ statuses: z.array(z.string().min(1)).min(1).default(['Activated']) })
      .strict()
      .prefault({}),
  })
  .strict();

/** A Salesforce org reached through its REST API (sObject Collections, SOQL, deleted records). */
export const salesforceSystemSchema = z
  .object({
    kind: z.literal('salesforce'),
    /** The org's My Domain URL, e.g. https://acme.my.salesforce.com. */
    url: z.url(),
    apiVersion: z
      .string()
      .regex(/^\d+\.\d$/, 'e.g. 61.0')
      .default('61.0'),
    /** Static access token (CRM_TOKEN fills it for `crm`); or use auth: oauth2-client-credentials. */
    token: z.string().min(1).optional(),
    auth: restAuthSchema.default({ type: 'bearer' }),
    timeoutMs: z.number().int().min(100).max(600_000).default(30_000),
    /** The system's request limit, e.g. { requests: 100, perMs: 10000 }: every connector of this system in a worker shares one pacer under it. */
    rateLimit: rateLimitSchema.optional(),
    products: z
      .object({
        /** External ID field on Product2 holding the PMS id (unique, External ID checked). */
        externalIdField: fieldName,
        pricebook: z
          .object({
            /** The pricebook the price goes to (the standard pricebook first: Salesforce requires an entry there). */
            pricebook2Id: z.string().min(15).max(18),
            /** The mapping key whose value is the price (written to PricebookEntry.UnitPrice, not Product2). */
            priceProperty: z.string().min(1).default('UnitPrice'),
            /** External ID text field on PricebookEntry keeping one entry per product and pricebook. */
            keyField: fieldName,
          })
          .strict()
          .optional(),
        /** Fields handed on when Salesforce is the product source. */
        sourceFields: z.array(fieldName).default(['Name', 'ProductCode', 'Description', 'Family', 'IsActive']),
        /** Report records deleted in Salesforce (deleted-records resource) when it is the source. */
        reportDeletes: z.boolean().default(true),
        /** Records per query page (Sforce-Query-Options batchSize, 200 to 2000). */
        queryBatchSize: z.number().int().min(200).max(2000).default(2000),
        /** Bulk API 2.0 for large writes; sObject Collections (200 a request) only when absent. */
        bulk: z
          .object({
            /** A write of at least this many products goes through one Bulk API 2.0 ingest job. */
            minRecords: z.number().int().min(1).default(1000),
            /** Most products one write (and one job) takes. */
            maxRecords: z.number().int().min(200).max(100_000).default(10_000),
            /** How often the job's state is asked for while Salesforce processes it. */
            pollIntervalMs: z.number().int().min(100).max(60_000).default(2_000),
            /** Longest wait for a job; then it is aborted and the write fails as unavailable, to be retried. */
            maxWaitMs: z.number().int().min(1_000).max(3_600_000).default(240_000),
          })
          .strict()
          .refine((bulk) => bulk.minRecords <= bulk.maxRecords, { message: 'minRecords must not exceed maxRecords', path: ['minRecords'] })
          .optional(),
      })
      .strict(),
    /** Where demands and orders are, when this org is the CRM of a demand sync. */
    demands: salesforceDemandsSchema.prefault({}),
    limits: z
      .object({
        /** Share of the org's 24-hour API limit from which the bridge spaces its requests out. */
        slowDownAt: z.number().min(0).max(1).default(0.8),
        /** Share from which it stops and waits, leaving the rest to the org's other integrations. */
        stopAt: z.number().min(0).max(1).default(0.95),
        slowDownDelayMs: z.number().int().min(0).max(60_000).default(1_000),
        /** How long to wait once the limit is reached (Salesforce sends no Retry-After). */
        waitWhenExhaustedMs: z.number().int().min(1_000).default(900_000),
      })
      .strict()
      .default({ slowDownAt: 0.8, stopAt: 0.95, slowDownDelayMs: 1_000, waitWhenExhaustedMs: 900_000 }),
  })
  .strict();
export type SalesforceSystemConfig = z.infer<typeof salesforceSystemSchema>;
