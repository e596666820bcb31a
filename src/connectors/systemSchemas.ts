import { hubspotSystemSchema } from './hubspotConfig';
import { restSystemSchema } from './restConnectorConfig';

/**
 * The `systems` kinds the connectors add beside the sandbox ones; configSchema joins them into one
 * discriminated union on `kind`, so each kind is validated by its own schema.
 */
export const connectorSystemSchemas = [restSystemSchema, hubspotSystemSchema] as const;
