import type { ProductIntegration } from '../activities/productSyncActivities';
import type { BridgeConfig, HttpSystemConfig } from './config/configSchema';
import type { ProductSink, ProductSource } from './connectors/productConnectors';
import { SandboxCrmSink } from './connectors/sandboxCrm';
import { SandboxPmsSource } from './connectors/sandboxPms';

function productSource(name: string, system: HttpSystemConfig): ProductSource {
  if (system.kind !== 'sandbox-pms') throw new Error(`System '${name}' (${system.kind}) cannot be a product source.`);
  return new SandboxPmsSource({ baseUrl: system.url, token: system.token, timeoutMs: system.timeoutMs });
}

function productSink(name: string, system: HttpSystemConfig): ProductSink {
  if (system.kind !== 'sandbox-crm') throw new Error(`System '${name}' (${system.kind}) cannot be a product target.`);
  return new SandboxCrmSink({
    baseUrl: system.url,
    token: system.token,
    timeoutMs: system.timeoutMs,
    maxWriteBatch: system.maxWriteBatch,
  });
}

/**
 * Connectors and mappings per integration id, built once per worker. Credentials stay here, in
 * the worker's memory: workflows and activity arguments only ever carry the integration id.
 */
export function buildProductIntegrations(config: BridgeConfig): Map<string, ProductIntegration> {
  const integrations = new Map<string, ProductIntegration>();
  for (const sync of config.productSyncs) {
    integrations.set(sync.id, {
      source: productSource(sync.source, config.systems[sync.source]!),
      sink: productSink(sync.target, config.systems[sync.target]!),
      mapping: sync.mapping,
    });
  }
  return integrations;
}
