import type { DemandIntegration, DemandNotesTarget, DemandNoteSink } from './connectors/demandConnectors';
import type { ProductIntegration, ProductSink, ProductSource } from './connectors/productConnectors';
import type { BridgeConfig, DemandSyncConfig, HttpSystemConfig, SystemConfig } from './config/configSchema';
import { RestProductSink, RestProductSource, type RestConnection } from './connectors/restConnector';
import type { RestSystemConfig } from './connectors/restConnectorConfig';
import { basicHeader, restAuthProvider, staticHeaders } from './connectors/restAuth';
import { AkeneoPimSource } from './connectors/akeneoPim';
import type { AkeneoSystemConfig } from './connectors/akeneoConfig';
import { OAuthTokenProvider } from './connectors/oauthToken';
import { ProductboardNotes } from './connectors/productboard';
import { HubSpotCrm } from './connectors/hubspotCrm';
import { HubSpotApi } from './connectors/hubspotApi';
import { HubSpotDemands } from './connectors/hubspotDemands';
import type { HubSpotSystemConfig } from './connectors/hubspotConfig';
import { resolveSecret } from './connectors/secret';
import { SalesforceCrm } from './connectors/salesforceCrm';
import { SalesforceApi } from './connectors/salesforceApi';
import { SalesforceDemands } from './connectors/salesforceDemands';
import type { SalesforceSystemConfig } from './connectors/salesforceConfig';
import type { FieldMapping } from './domain/fieldMapping';
import { SandboxCrmSink } from './connectors/sandboxCrm';
import { SandboxCrmDemands } from './connectors/sandboxCrmDemands';
import { SandboxPmsSource } from './connectors/sandboxPms';
import { createRequirementStore } from './connectors/requirementStores';
import { RequestPacer, type RateLimit } from './connectors/requestPacer';
import type { SharedPacing } from './connectors/httpClient';
import { noSyncMetrics, type SyncMetrics } from './metrics/syncMetrics';
import { createDemandMatcher } from './connectors/demandMatchers';

function requireKind(name: string, system: SystemConfig, kind: HttpSystemConfig['kind'], role: string): asserts system is HttpSystemConfig {
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
const pacers = new WeakMap<object, RequestPacer>();

function pacerFor(system: { rateLimit?: RateLimit | undefined }): RequestPacer | undefined {
  if (!system.rateLimit) return undefined;
  let pacer = pacers.get(system);
  if (!pacer) pacers.set(system, (pacer = new RequestPacer(system.rateLimit)));
  return pacer;
}

/** The system's shared pacer, and the metric its 429s count toward. */
const pacingOf = (system: { rateLimit?: RateLimit | undefined }, onRateLimited?: Connection['onRateLimited']): SharedPacing => ({
  pacer: pacerFor(system),
  ...(onRateLimited ? { onRateLimited } : {}),
});

const connectionTo = (system: HttpSystemConfig, onRateLimited: Connection['onRateLimited']): Connection => ({
  baseUrl: system.url,
  token: system.token,
  timeoutMs: system.timeoutMs,
  onRateLimited,
  pacer: pacerFor(system),
});

export function restConnection(name: string, system: RestSystemConfig, env: NodeJS.ProcessEnv, pacing: SharedPacing): RestConnection {
  const label = system.displayName ?? name.toUpperCase();
  return {
    system: label,
    baseUrl: system.url,
    timeoutMs: system.timeoutMs,
    auth: restAuthProvider(system.auth, { system: label, token: system.token, timeoutMs: system.timeoutMs, env }),
    pacing,
  };
}

function hubspot(
  name: string,
  system: HubSpotSystemConfig,
  env: NodeJS.ProcessEnv,
  propertyNames: string[],
  pacing: SharedPacing,
): HubSpotCrm {
  return new HubSpotCrm({
    baseUrl: system.url,
    token: system.token ?? resolveSecret({ env: system.tokenEnv }, env, `The HubSpot token of system '${name}'`),
    config: system,
    propertyNames,
    pacing,
  });
}

function salesforce(system: SalesforceSystemConfig, env: NodeJS.ProcessEnv, propertyNames: string[], pacing: SharedPacing): SalesforceCrm {
  return new SalesforceCrm({
    auth: restAuthProvider(system.auth, { system: 'Salesforce', token: system.token, timeoutMs: system.timeoutMs, env }),
    config: system,
    propertyNames,
    pacing,
  });
}

/** Akeneo's OAuth password grant (client id and secret in a Basic header), refreshed with its refresh token. */
export function akeneo(name: string, system: AkeneoSystemConfig, env: NodeJS.ProcessEnv, pacing: SharedPacing): AkeneoPimSource {
  const where = `The Akeneo credentials of system '${name}'`;
  const auth = system.token
    ? staticHeaders({ authorization: `Bearer ${system.token}` })
    : new OAuthTokenProvider(
        {
          system: 'Akeneo',
          tokenUrl: new URL('/api/oauth/v1/token', system.url).href,
          timeoutMs: system.timeoutMs,
          clientHeaders: { authorization: basicHeader(system.clientId, resolveSecret(system.secret, env, where)) },
          encoding: 'json',
        },
        { grant_type: 'password', username: system.username, password: resolveSecret(system.password, env, where) },
      );
  return new AkeneoPimSource(auth, system, Date.now, pacing);
}

/** The kinds that can be the CRM of a demand sync (demands, orders, accounts, and the link written back). */
function demandCrm(
  name: string,
  system: SystemConfig,
  env: NodeJS.ProcessEnv,
  onRateLimited: Connection['onRateLimited'],
): DemandIntegration['crm'] {
  switch (system.kind) {
    case 'hubspot': {
      const token = system.token ?? resolveSecret({ env: system.tokenEnv }, env, `The HubSpot token of system '${name}'`);
      return new HubSpotDemands(
        new HubSpotApi({ baseUrl: system.url, token, config: system, pacing: pacingOf(system, onRateLimited) }),
        system,
      );
    }
    case 'salesforce': {
      const auth = restAuthProvider(system.auth, { system: 'Salesforce', token: system.token, timeoutMs: system.timeoutMs, env });
      return new SalesforceDemands(
        new SalesforceApi({
          auth,
          config: system,
          queryBatchSize: system.products.queryBatchSize,
          pacing: pacingOf(system, onRateLimited),
        }),
        system,
      );
    }
    case 'sandbox-crm':
      return new SandboxCrmDemands(connectionTo(system, onRateLimited));
    default:
      throw new Error(
        `System '${name}' is a ${system.kind}, which cannot be the CRM of a demand sync; use a sandbox-crm, hubspot or salesforce system.`,
      );
  }
}

/** The kinds that can be a product source, and how each is built. */
function productSource(
  name: string,
  system: SystemConfig,
  env: NodeJS.ProcessEnv,
  onRateLimited: Connection['onRateLimited'],
): ProductSource {
  switch (system.kind) {
    case 'rest':
      if (!system.productSource)
        throw new Error(
          `System '${name}' (rest) has no productSource section, so it cannot be the source of a product sync; describe its list endpoint there.`,
        );
      return new RestProductSource(restConnection(name, system, env, pacingOf(system, onRateLimited)), system.productSource);
    case 'hubspot':
      return hubspot(name, system, env, system.products.sourceProperties, pacingOf(system, onRateLimited));
    case 'salesforce':
      return salesforce(system, env, [], pacingOf(system, onRateLimited));
    case 'akeneo':
      return akeneo(name, system, env, pacingOf(system, onRateLimited));
    default:
      requireKind(name, system, 'sandbox-pms', 'a product source');
      return new SandboxPmsSource(connectionTo(system, onRateLimited));
  }
}

/** The kinds that can be a product target, and how each is built. */
function productSink(
  name: string,
  system: SystemConfig,
  env: NodeJS.ProcessEnv,
  mapping: FieldMapping,
  onRateLimited: Connection['onRateLimited'],
): ProductSink {
  switch (system.kind) {
    case 'rest':
      if (!system.productSink)
        throw new Error(
          `System '${name}' (rest) has no productSink section, so it cannot be the target of a product sync; describe its read, write and count endpoints there.`,
        );
      return new RestProductSink(restConnection(name, system, env, pacingOf(system, onRateLimited)), system.productSink);
    case 'hubspot':
      return hubspot(name, system, env, Object.keys(mapping), pacingOf(system, onRateLimited));
    case 'salesforce':
      return salesforce(system, env, Object.keys(mapping), pacingOf(system, onRateLimited));
    default:
      requireKind(name, system, 'sandbox-crm', 'a product target');
      return new SandboxCrmSink({
        ...connectionTo(system, onRateLimited),
        maxWriteBatch: system.maxWriteBatch,
        checkFieldLimits: system.checkFieldLimits,
      });
  }
}

function notesTarget(notes: NonNullable<DemandSyncConfig['notes']>, sinks: Map<string, DemandNoteSink>): DemandNotesTarget {
  const sink = sinks.get(notes.system);
  if (!sink) throw new Error(`System '${notes.system}' cannot take demand notes; use a productboard system for demandSyncs[].notes.`);
  return { sink, entityByProduct: notes.entityByProduct, companyByAccount: notes.companyByAccount };
}

/**
 * Connectors and settings per integration id, built once per worker. Credentials stay here, in the
 * worker's memory: workflow and activity arguments only ever carry the integration id.
 */
export function buildIntegrations(
  config: BridgeConfig,
  { metrics = noSyncMetrics, env = process.env }: { metrics?: SyncMetrics; env?: NodeJS.ProcessEnv } = {},
): {
  products: Map<string, ProductIntegration>;
  demands: Map<string, DemandIntegration>;
  /** Demand note sinks (Productboard) by system name, for the demand steps that write notes. */
  noteSinks: Map<string, DemandNoteSink>;
} {
  const products = new Map<string, ProductIntegration>();
  for (const sync of config.productSyncs) {
    const { rateLimited } = metrics.forIntegration(sync.id, 'productSync');
    const source = config.systems[sync.source]!;
    const target = config.systems[sync.target]!;
    products.set(sync.id, {
      source: productSource(sync.source, source, env, rateLimited),
      sink: productSink(sync.target, target, env, sync.mapping, rateLimited),
      mapping: sync.mapping,
    });
  }
  const noteSinks = new Map<string, DemandNoteSink>();
  for (const [name, system] of Object.entries(config.systems)) {
    if (system.kind !== 'productboard') continue;
    const token = system.token ?? resolveSecret({ env: system.tokenEnv }, env, `The Productboard token of system '${name}'`);
    noteSinks.set(name, new ProductboardNotes({ token, config: system, pacing: pacingOf(system) }));
  }
  const demands = new Map<string, DemandIntegration>();
  for (const sync of config.demandSyncs) {
    const crm = config.systems[sync.crm]!;
    const pms = config.systems[sync.pms]!;
    const { rateLimited } = metrics.forIntegration(sync.id, 'demandSync');
    demands.set(sync.id, {
      crm: demandCrm(sync.crm, crm, env, rateLimited),
      pms: createRequirementStore(pms, { name: sync.pms, env, pacing: pacingOf(pms, rateLimited) }),
      matcher: createDemandMatcher(sync.matcher, { env, dataDir: config.dataDir }),
      placement: sync.matcher,
      scoring: sync.scoring,
      contactFields: sync.contactFields,
      ...(sync.notes ? { notes: notesTarget(sync.notes, noteSinks) } : {}),
    });
  }
  return { products, demands, noteSinks };
}
