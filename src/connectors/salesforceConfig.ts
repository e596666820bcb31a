import { z } from 'zod';
import { restAuthSchema } from './restAuth';

const fieldName = z.string().regex(/^[A-Za-z][A-Za-z0-9_]*$/, 'a Salesforce field API name such as PMS_Id__c');

/** A Salesforce org reached through its REST API (sObject Collections, SOQL, deleted records). */
export const salesforceSystemSchema = z
  .object({
    kind: z.literal('salesforce'),
    /** The org's My Domain URL, e.g. https://acme.my.salesforce.com. */
    url: z.url(),
    apiVersion: z.string().regex(/^\d+\.\d$/, 'e.g. 61.0').default('61.0'),
    /** Static access token (CRM_TOKEN fills it for `crm`); or use auth: oauth2-client-credentials. */
    token: z.string().min(1).optional(),
    auth: restAuthSchema.default({ type: 'bearer' }),
    timeoutMs: z.number().int().min(100).max(600_000).default(30_000),
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
      })
      .strict(),
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
