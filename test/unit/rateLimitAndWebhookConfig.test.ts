import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config/loadConfig';
import { buildIntegrations } from '../../src/integrations';
import type { ProductSyncInput } from '../../src/shared/productSyncContract';
import { configuredSyncs } from '../../src/temporal/syncSchedules';
import { sandboxWebhookTarget, streamSettings, webhookSecret } from '../../src/webhooks/webhookReceiverFromConfig';

function dirWith(yaml: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'bridge-config-'));
  writeFileSync(path.join(dir, 'bridge.yaml'), yaml);
  return dir;
}

describe('configuration of rate limits and webhooks', () => {
  test('a system may declare its rate limit', () => {
    const config = loadConfig({}, dirWith('systems:\n  crm:\n    rateLimit: { requests: 100, perMs: 10000 }\n'));
    const { crm, pms } = config.systems;
    assert.ok(crm?.kind === 'sandbox-crm' && pms?.kind === 'sandbox-pms');
    assert.deepEqual(crm.rateLimit, { requests: 100, perMs: 10_000 });
    assert.equal(pms.rateLimit, undefined);
  });

  test('a rate limit of zero requests is refused with the field named', () => {
    assert.throws(
      () => loadConfig({}, dirWith('systems:\n  crm:\n    rateLimit: { requests: 0, perMs: 10000 }\n')),
      (error: unknown) =>
        error instanceof ConfigError && /systems\.crm\.rateLimit\.requests: must allow at least one request/.test(error.message),
    );
  });

  test('the webhook secret comes from BRIDGE_WEBHOOK_SECRET, and a short one is refused', () => {
    const dir = dirWith('');
    assert.equal(loadConfig({ BRIDGE_WEBHOOK_SECRET: 'a-secret-of-enough-length' }, dir).webhooks.secret, 'a-secret-of-enough-length');
    assert.throws(
      () => loadConfig({ BRIDGE_WEBHOOK_SECRET: 'short' }, dir),
      /webhooks\.secret: the webhook secret must be at least 16 characters/,
    );
  });

  test('bridge webhooks without a secret stops with a message saying what to set', () => {
    const config = loadConfig({}, dirWith(''));
    assert.throws(() => webhookSecret(config, false), /set BRIDGE_WEBHOOK_SECRET/);
  });

  test('npm start generates a webhook secret once and reuses it', () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'bridge-data-'));
    const config = loadConfig({ BRIDGE_DATA_DIR: dataDir }, dirWith(''));
    const first = webhookSecret(config, true);
    assert.ok(first.length >= 16);
    assert.equal(webhookSecret(config, true), first);
  });

  test("every product sync accepts webhooks with the configured window and guard window and the sync's mode and guard, and the sandbox PMS delivers to the first", () => {
    const config = loadConfig({}, dirWith('webhooks:\n  windowMs: 250\n  port: 4555\n  guardWindowMs: 600000\n'));
    assert.deepEqual(streamSettings(config).get('products'), {
      windowMs: 250,
      maxBatch: 100,
      mode: 'upsert',
      guard: { maxChangeShare: 0.5, minRecords: 100 },
      guardWindowMs: 600_000,
    });
    assert.throws(() => loadConfig({}, dirWith('webhooks:\n  guardWindowMs: 1000\n')), /guardWindowMs/);
    assert.deepEqual(sandboxWebhookTarget(config, 'a-secret-of-enough-length'), {
      url: 'http://127.0.0.1:4555/webhooks/products/products',
      secret: 'a-secret-of-enough-length',
    });
  });

  test('connectors of one rate-limited system share one pacer', () => {
    const config = loadConfig({}, dirWith('systems:\n  crm:\n    rateLimit: { requests: 100, perMs: 10000 }\n'));
    const integrations = buildIntegrations(config);
    const pacerOf = (connector: unknown) => (connector as { http: { options: { pacer?: unknown } } }).http.options.pacer;
    const sinkPacer = pacerOf(integrations.products.get('products')!.sink);
    assert.ok(sinkPacer);
    assert.equal(pacerOf(integrations.demands.get('demands')!.crm), sinkPacer);
    assert.equal(pacerOf(integrations.products.get('products')!.source), undefined);
  });
});

describe('mirror reconcile cadence in the configuration', () => {
  test('reconcileEvery (default 24h) reaches the scheduled productSync as reconcile.everyMs; a value that is not a duration is refused', () => {
    const [byDefault] = configuredSyncs(loadConfig({}, dirWith('')));
    assert.deepEqual((byDefault!.args[0] as ProductSyncInput).reconcile, { everyMs: 86_400_000 });
    const yaml = 'productSyncs:\n  - { id: products, source: pms, target: crm, mode: mirror, reconcileEvery: 6h }\n';
    const [sixHourly] = configuredSyncs(loadConfig({}, dirWith(yaml)));
    assert.deepEqual((sixHourly!.args[0] as ProductSyncInput).reconcile, { everyMs: 21_600_000 });
    assert.throws(() => loadConfig({}, dirWith(yaml.replace('6h', 'daily'))), /reconcileEvery/);
  });
});
