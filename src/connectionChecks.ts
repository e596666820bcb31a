import type { BridgeConfig } from './config/configSchema';
import { ConfigError } from './config/loadConfig';
import { AkeneoCheck } from './connectors/akeneoCheck';
import { AccessCheck, WithRequirementsCheck, type ConnectionCheck } from './connectors/connectionCheck';
import type { JiraRequirements } from './connectors/jiraRequirements';
import { createRequirementStore } from './connectors/requirementStores';
import { HubSpotApi } from './connectors/hubspotApi';
import { HubSpotCheck } from './connectors/hubspotCheck';
import { ProductboardNotes } from './connectors/productboard';
import { ProductboardCheck } from './connectors/productboardCheck';
import { restAuthProvider } from './connectors/restAuth';
import { RestProductSink, RestProductSource } from './connectors/restConnector';
import { SalesforceApi } from './connectors/salesforceApi';
import { SalesforceCheck } from './connectors/salesforceCheck';
import { SandboxCrmSink } from './connectors/sandboxCrm';
import { SandboxPmsSource } from './connectors/sandboxPms';
import { resolveSecret } from './connectors/secret';
import { akeneo, restConnection } from './integrations';

/**
 * The connection check of one configured system (`bridge check <system>`), with the requirements of
 * the syncs that use it: a system only a product sync uses is not asked for demand fields.
 */
export function connectionCheckFor(config: BridgeConfig, name: string, env: NodeJS.ProcessEnv = process.env): ConnectionCheck {
  const system = config.systems[name];
  if (!system)
    throw new ConfigError(`No system '${name}' in the configuration; configured: ${Object.keys(config.systems).join(', ') || 'none'}.`);
  const roles = {
    products: config.productSyncs.some((sync) => sync.source === name || sync.target === name),
    demands: config.demandSyncs.some((sync) => sync.crm === name),
  };
  const holdsRequirements = config.demandSyncs.some((sync) => sync.pms === name);
  const withRequirements = (check: ConnectionCheck): ConnectionCheck =>
    holdsRequirements ? new WithRequirementsCheck(check, createRequirementStore(system, { name, env, pacing: {} })) : check;
  switch (system.kind) {
    case 'hubspot': {
      const token = system.token ?? resolveSecret({ env: system.tokenEnv }, env, `The HubSpot token of system '${name}'`);
      return new HubSpotCheck(new HubSpotApi({ baseUrl: system.url, token, config: system }), system, roles);
    }
    case 'salesforce': {
      const auth = restAuthProvider(system.auth, { system: 'Salesforce', token: system.token, timeoutMs: system.timeoutMs, env });
      return new SalesforceCheck(
        new SalesforceApi({ auth, config: system, queryBatchSize: system.products.queryBatchSize }),
        system,
        roles,
      );
    }
    case 'akeneo':
      return new AkeneoCheck(akeneo(name, system, env, {}), system);
    case 'productboard': {
      const token = system.token ?? resolveSecret({ env: system.tokenEnv }, env, `The Productboard token of system '${name}'`);
      return withRequirements(new ProductboardCheck(new ProductboardNotes({ token, config: system }), system));
    }
    case 'rest': {
      const connection = restConnection(name, system, env, {});
      const { productSource, productSink } = system;
      return withRequirements(
        new AccessCheck(connection.system, async () => {
          if (productSource) await new RestProductSource(connection, productSource).listChanged(null, 1);
          if (productSink) await new RestProductSink(connection, productSink).count();
          return `the credentials read ${[productSource && 'the product list', productSink && 'the product count'].filter(Boolean).join(' and ') || 'nothing (no productSource or productSink section)'}`;
        }),
      );
    }
    case 'jira': {
      const store = createRequirementStore(system, { name, env, pacing: {} }) as JiraRequirements;
      return new AccessCheck(store.system, () => store.verifyConfiguration());
    }
    case 'sandbox-pms': {
      const source = new SandboxPmsSource({ baseUrl: system.url, token: system.token, timeoutMs: system.timeoutMs });
      return withRequirements(
        new AccessCheck('PMS', async () => {
          await source.listChanged(null, 1);
          return 'the token reads the product feed';
        }),
      );
    }
    case 'sandbox-crm': {
      const sink = new SandboxCrmSink({ baseUrl: system.url, token: system.token, timeoutMs: system.timeoutMs });
      return new AccessCheck('CRM', async () => `the token reads the product count (${await sink.count()})`);
    }
  }
}
