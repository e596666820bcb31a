import { akeneoSystemSchema } from './akeneoConfig';
import { hubspotSystemSchema } from './hubspotConfig';
import { jiraSystemSchema } from './jiraConfig';
import { productboardSystemSchema } from './productboardConfig';
import { restSystemSchema } from './restConnectorConfig';
import { salesforceSystemSchema } from './salesforceConfig';

/**
 * The `systems` kinds the connectors add beside the sandbox ones; configSchema joins them into one
 * discriminated union on `kind`, so each kind is validated by its own schema.
 */
export const connectorSystemSchemas = [
  restSystemSchema,
  hubspotSystemSchema,
  salesforceSystemSchema,
  akeneoSystemSchema,
  productboardSystemSchema,
  jiraSystemSchema,
] as const;
