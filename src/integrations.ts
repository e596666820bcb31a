import type { DemandIntegration } from '../activities/demandMappingActivities';
import type { ProductIntegration } from '../activities/productSyncActivities';
import type { BridgeConfig, HttpSystemConfig } from './config/configSchema';
import type { ProductSink, ProductSource } from './connectors/productConnectors';
import { SandboxCrmSink } from './connectors/sandboxCrm';
import { SandboxCrmDemands } from './connectors/sandboxCrmDemands';
import { SandboxPmsSource } from './connectors/sandboxPms';
import { SandboxPmsRequirements } from './connectors/sandboxPmsRequirements';
import { RequestPacer } from './connectors/requestPacer';
import { noSyncMetrics, type SyncMetrics } from './metrics/syncMetrics';

function requireKind(name: string, system: HttpSystemConfig, kind: HttpSystemConfig['kind'], role: string): void {
  if (system.kind !== kind) throw new Error(`System '${name}' is a ${system.kind}, which cannot be ${role}; use a ${kind} system.`);
}

/** How a connector reaches its system; 429 answers count toward the integration that got them. */
interface Connection {
  baseUrl: string;
  token: string;
  timeoutMs: number;
  onRateLimited: (system: string) => void;
  /** Present when the system declares a rate limit (systems.<name>.rateLimit). */
  pacer?: RequestPacer;
}

/** One pacer per rate-limited system and worker process, whichever connectors talk to it. */
const pacers = new WeakMap<HttpSystemConfig, RequestPacer>();

function pacerFor(system: HttpSystemConfig): RequestPacer | undefined {
  if (!system.rateLimit) return undefined;
  let pacer = pacers.get(system);
  if (!pacer) pacers.set(system, (pacer = new RequestPacer(system.rateLimit)));
  return pacer;
}

const connectionTo = (system: HttpSystemConfig, onRateLimited: Connection['onRateLimited']): Connection => ({
  baseUrl: system.url,
  token: system.token,
  timeoutMs: system.timeoutMs,
  onRateLimited,
  pacer: pacerFor(system),
});

function productSource(name: string, system: HttpSystemConfig, connection: Connection): ProductSource {
  requireKind(name, system, 'sandbox-pms', 'a product source');
  return new SandboxPmsSource(connection);
}

function productSink(name: string, system: HttpSystemConfig, connection: Connection): ProductSink {
  requireKind(name, system, 'sandbox-crm', 'a product target');
  return new SandboxCrmSink({ ...connection, maxWriteBatch: system.maxWriteBatch });
}

/**
 * Connectors and settings per integration id, built once per worker. Credentials stay here, in the
 * worker's memory: workflow and activity arguments only ever carry the integration id.
 */
export function buildIntegrations(config: BridgeConfig, metrics: SyncMetrics = noSyncMetrics): {
  products: Map<string, ProductIntegration>;
  demands: Map<string, DemandIntegration>;
} {
  const products = new Map<string, ProductIntegration>();
  for (const sync of config.productSyncs) {
    const { rateLimited } = metrics.forIntegration(sync.id, 'productSync');
    const source = config.systems[sync.source]!;
    const target = config.systems[sync.target]!;
    products.set(sync.id, {
      source: productSource(sync.source, source, connectionTo(source, rateLimited)),
      sink: productSink(sync.target, target, connectionTo(target, rateLimited)),
      mapping: sync.mapping,
    });
  }
  const demands = new Map<string, DemandIntegration>();
  for (const sync of config.demandSyncs) {
    const crm = config.systems[sync.crm]!;
    const pms = config.systems[sync.pms]!;
    requireKind(sync.crm, crm, 'sandbox-crm', 'the CRM of a demand sync');
    requireKind(sync.pms, pms, 'sandbox-pms', 'the PMS of a demand sync');
    const { rateLimited } = metrics.forIntegration(sync.id, 'demandSync');
    demands.set(sync.id, {
      crm: new SandboxCrmDemands(connectionTo(crm, rateLimited)),
      pms: new SandboxPmsRequirements(connectionTo(pms, rateLimited)),
      matcher: sync.matcher,
      scoring: sync.scoring,
      contactFields: sync.contactFields,
    });
  }
  return { products, demands };
}
