import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { configSchema, type BridgeConfig } from '../../src/config/configSchema';
import { validatePmsProduct } from '../../src/domain/validation';
import { buildIntegrations } from '../../src/integrations';
import type { FaultCounters } from '../../src/sandbox/faults';
import { crmToken, pmsToken, startSandbox, type TestSandbox } from '../helpers/sandbox';
import { assertCrmMatchesPms } from '../helpers/crmAssertions';
import { useTemporalServer } from '../helpers/temporalServer';
import { runProductSync, uniqueTaskQueue } from '../helpers/worker';

/**
 * The sandbox PMS and CRM described to the configurable REST connector in YAML, as an operator
 * would describe an in-house system: no sandbox connector code is involved.
 */
function restYaml(sandbox: TestSandbox, taskQueue: string): string {
  return `
logLevel: warn
temporal: { taskQueue: ${taskQueue} }
systems:
  pms:
    kind: rest
    displayName: PMS
    url: ${sandbox.pmsUrl}
    auth: { type: bearer, token: ${pmsToken} }
    productSource:
      path: /api/products
      limitParam: limit
      maxPageSize: 1000
      sinceParam: since
      afterIdParam: afterId
      recordsPath: data
      pagination:
        type: cursor
        params: { since: nextCursor.since, afterId: nextCursor.afterId }
        hasMorePath: hasMore
      reportsDeletes: true
      get: { mode: batch, path: /api/products/batch-get, body: { ids: $ids }, maxBatch: 100, recordsPath: data }
  crm:
    kind: rest
    displayName: CRM
    url: ${sandbox.crmUrl}
    auth: { type: bearer, token: ${crmToken} }
    productSink:
      read:
        mode: batch
        path: /api/products/batch/read
        body: { externalIds: $externalIds }
        maxBatch: 1000
        recordsPath: results
      record: { externalId: externalId, properties: properties, archived: archived }
      write:
        mode: batch
        path: /api/products/batch/upsert
        maxBatch: 100
        body: { inputs: $records }
        record: { externalId: $externalId, properties: $properties, archived: $archived }
        resultsPath: results
        createdPath: created
      count: { path: /api/products, query: { limit: 1 }, totalPath: total }
productSyncs:
  - { id: products, source: pms, target: crm }
`;
}

function restConfig(sandbox: TestSandbox, name: string, crmRateLimit?: string): BridgeConfig {
  const yaml = restYaml(sandbox, uniqueTaskQueue(name));
  return configSchema.parse(
    parseYaml(crmRateLimit ? yaml.replace('    displayName: CRM\n', `    displayName: CRM\n    rateLimit: ${crmRateLimit}\n`) : yaml),
  );
}

describe('the configurable REST connector reaching the sandbox PMS and CRM by configuration alone', () => {
  const temporal = useTemporalServer();

  test('a productSync on the real Temporal server moves the whole catalog through it, and a second run writes nothing', async () => {
    const sandbox = await startSandbox({ products: 600 });
    try {
      const config = restConfig(sandbox, 'rest-full');
      assert.equal(config.systems.pms?.kind, 'rest');
      const first = await runProductSync(temporal.env, config, { pageSize: 250 });
      assert.equal(first.status, 'Completed');
      const valid = assertCrmMatchesPms(sandbox);
      assert.equal(first.counts.created, valid);
      assert.equal(sandbox.crm.store.count(), valid, 'one CRM record per valid PMS product');

      await sandbox.resetCrmStats();
      const second = await runProductSync(temporal.env, config, { watermark: null });
      assert.equal(second.counts.unchanged, valid);
      assert.equal((await sandbox.crmStats()).upsertRequests, 0, 'the second run sends no write');
    } finally {
      await sandbox.close();
    }
  });

  test('a record the CRM refuses is isolated from its batch and fails alone with the CRM reason; mirror mode archives a deleted product', async () => {
    const sandbox = await startSandbox({ products: 50 });
    try {
      const config = restConfig(sandbox, 'rest-reject');
      await runProductSync(temporal.env, config);
      const [tooLong, deleted] = sandbox.pmsProducts().filter((p) => validatePmsProduct(p).ok);
      await sandbox.putProduct(tooLong!.id, { ...tooLong, name: 'N'.repeat(150) });
      await sandbox.pmsApi('DELETE', `/api/products/${deleted!.id}`);

      const summary = await runProductSync(temporal.env, config, { mode: 'mirror', watermark: null });
      assert.deepEqual(
        summary.failed.map((f) => f.id),
        [tooLong!.id],
      );
      assert.match(summary.failed[0]!.reason, /CRM refused the record/);
      const discontinued = sandbox
        .pmsProducts()
        .filter((p) => !p.deleted && p.lifecycle === 'discontinued' && validatePmsProduct(p).ok).length;
      assert.equal(summary.counts.archived, discontinued + 1, 'the deleted product and every discontinued one are archived');
      assert.equal(sandbox.crm.store.all().find((r) => r.externalId === deleted!.id)?.archived, true);

      const source = buildIntegrations(config).products.get('products')!.source;
      const byId = await source.getByIds([deleted!.id, 'P-999999', tooLong!.id]);
      assert.deepEqual(
        byId.map((r) => [r.id, r.deleted]).sort(),
        [
          [deleted!.id, true],
          [tooLong!.id, false],
        ].sort(),
      );
    } finally {
      await sandbox.close();
    }
  });

  test('systems.<name>.rateLimit paces a rest system: a burst stays under the CRM rolling window with no 429', async () => {
    const sandbox = await startSandbox({ crmFaults: { rateLimit: { requests: 10, windowMs: 1_000 } } });
    try {
      const burst = async (config: BridgeConfig) => {
        const sink = buildIntegrations(config, { env: {} }).products.get('products')!.sink;
        const results = await Promise.allSettled(Array.from({ length: 25 }, (_, i) => sink.readByExternalIds([`P-${i}`])));
        return results.filter((result) => result.status === 'rejected').length;
      };
      assert.ok((await burst(restConfig(sandbox, 'rest-unpaced'))) > 0, 'unpaced, the burst meets the limit');
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      const refusals = async () => ((await sandbox.crmApi('GET', '/_admin/faults')) as { injected: FaultCounters }).injected.rateLimited;
      const before = await refusals();
      assert.equal(await burst(restConfig(sandbox, 'rest-paced', '{ requests: 10, perMs: 1000 }')), 0);
      assert.equal(await refusals(), before, 'no request of the paced burst got a 429');
    } finally {
      await sandbox.close();
    }
  });
});
