import type { DemandIntegration } from '../activities/demandMappingActivities';
import type { ProductIntegration } from '../activities/productSyncActivities';
import type { BridgeConfig, HttpSystemConfig } from './config/configSchema';
import type { ProductSink, ProductSource } from './connectors/productConnectors';
import { SandboxCrmSink } from './connectors/sandboxCrm';
import { SandboxCrmDemands } from './connectors/sandboxCrmDemands';
import { SandboxPmsSource } from './connectors/sandboxPms';
import { SandboxPmsRequirements } from './connectors/sandboxPmsRequirements';
import { RequestPacer } from './connectors/requestPacer';

function requireKind(name: string, system: HttpSystemConfig, kind: HttpSystemConfig['kind'], role: string): void {
  if (system.kind !== kind) throw new Error(`System '${name}' is a ${system.kind}, which cannot be ${role}; use a ${kind} system.`);
}

/** One pacer per rate-limited system and worker process, whichever connectors talk to it. */
const pacers = new WeakMap<HttpSystemConfig, RequestPacer>();

function pacerFor(system: HttpSystemConfig): RequestPacer | undefined {
  if (!system.rateLimit) return undefined;
  let pacer = pacers.get(system);
  if (!pacer) pacers.set(system, (pacer = new RequestPacer(system.rateLimit)));
  return pacer;
}

const connection = (system: HttpSystemConfig) => ({
  baseUrl: system.url,
  token: system.token,
  timeoutMs: system.timeoutMs,
  pacer: pacerFor(system),
});

function productSource(name: string, system: HttpSystemConfig): ProductSource {
  requireKind(name, system, 'sandbox-pms', 'a product source');
  return new SandboxPmsSource(connection(system));
}

function productSink(name: string, system: HttpSystemConfig): ProductSink {
  requireKind(name, system, 'sandbox-crm', 'a product target');
  return new SandboxCrmSink({ ...connection(system), maxWriteBatch: system.maxWriteBatch });
}

/**
 * Connectors and settings per integration id, built once per worker. Credentials stay here, in the
 * worker's memory: workflow and activity arguments only ever carry the integration id.
 */
export function buildIntegrations(config: BridgeConfig): {
  products: Map<string, ProductIntegration>;
  demands: Map<string, DemandIntegration>;
} {
  const products = new Map<string, ProductIntegration>();
  for (const sync of config.productSyncs) {
    products.set(sync.id, {
      source: productSource(sync.source, config.systems[sync.source]!),
      sink: productSink(sync.target, config.systems[sync.target]!),
      mapping: sync.mapping,
    });
  }
  const demands = new Map<string, DemandIntegration>();
  for (const sync of config.demandSyncs) {
    const crm = config.systems[sync.crm]!;
    const pms = config.systems[sync.pms]!;
    requireKind(sync.crm, crm, 'sandbox-crm', 'the CRM of a demand sync');
    requireKind(sync.pms, pms, 'sandbox-pms', 'the PMS of a demand sync');
    demands.set(sync.id, {
      crm: new SandboxCrmDemands(connection(crm)),
      pms: new SandboxPmsRequirements(connection(pms)),
      matcher: sync.matcher,
      scoring: sync.scoring,
      contactFields: sync.contactFields,
    });
  }
  return { products, demands };
}
