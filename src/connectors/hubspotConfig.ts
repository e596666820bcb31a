import { z } from 'zod';

const propertyName = z.string().regex(/^[a-z][a-z0-9_]*$/, 'a HubSpot internal property name: lowercase letters, digits and _');

/** A HubSpot account reached through the CRM v3 object API. */
export const hubspotSystemSchema = z
  .object({
    kind: z.literal('hubspot'),
    url: z.url().default('https://api.hubapi.com'),
    /** Private app / service key access token. Leave it out of the file: it is read from `tokenEnv`. */
    token: z.string().min(1).optional(),
    /** Environment variable holding the token when `token` is not set (CRM_TOKEN also sets `token` for `crm`). */
    tokenEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/).default('HUBSPOT_TOKEN'),
    timeoutMs: z.number().int().min(100).max(600_000).default(30_000),
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
      .default({ idProperty: 'bridge_external_id', createIdProperty: true, upsert: 'auto', sourceProperties: ['name', 'description', 'price', 'hs_sku'] }),
    /** The account's time zone: its daily API limit resets at midnight there. */
    timeZone: z.string().min(1).default('UTC'),
    /** Requests kept in hand in the 10-second window: below it the connector spreads its requests out. */
    rateLimitReserve: z.number().int().min(0).max(100).default(10),
  })
  .strict();
export type HubSpotSystemConfig = z.infer<typeof hubspotSystemSchema>;
