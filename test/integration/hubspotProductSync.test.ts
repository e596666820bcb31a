import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { configSchema } from '../../src/config/configSchema';
import { validatePmsProduct } from '../../src/domain/validation';
import { pmsToken, startSandbox } from '../helpers/sandbox';
import { useTemporalServer } from '../helpers/temporalServer';
import { runProductSync, uniqueTaskQueue } from '../helpers/worker';
import { startHubSpotFake } from '../fakes/hubspotFake';

describe('productSync from the sandbox PMS into HubSpot (fake), on the real Temporal server', () => {
  const temporal = useTemporalServer();

  test('every valid product lands once with its values, a re-run writes nothing, and mirror mode archives through the archived property', async () => {
    const sandbox = await startSandbox({ products: 300 });
    const hubspot = await startHubSpotFake({ token: 'pat-test' });
    // What an administrator sets up in HubSpot before the first run (see docs/connectors/hubspot.md).
    hubspot.addProperty('pim_stock', 'number');
    hubspot.addProperty('pim_status', 'enumeration');
    hubspot.addProperty('pim_archived', 'bool');
    try {
      const config = configSchema.parse(
        parseYaml(`
logLevel: warn
temporal: { taskQueue: ${uniqueTaskQueue('hubspot')} }
systems:
  pms: { kind: sandbox-pms, url: ${sandbox.pmsUrl}, token: ${pmsToken} }
  hubspot:
    kind: hubspot
    url: ${hubspot.url}
    token: pat-test
    products: { idProperty: pim_id, archivedProperty: pim_archived }
productSyncs:
  - id: products
    source: pms
    target: hubspot
    mapping:
      name: name
      hs_sku: sku
      description: description
      price: { from: price.amount, transform: { type: round, decimals: 2 } }
      pim_stock: stock
      pim_status: { from: lifecycle, transform: { type: enum, values: { draft: Draft, active: Active, discontinued: Discontinued } } }
`) as unknown,
      );
      const first = await runProductSync(temporal.env, config, { pageSize: 120 });
      const valid = sandbox.pmsProducts().filter((p) => !p.deleted && validatePmsProduct(p).ok);
      assert.equal(first.status, 'Completed');
      assert.equal(first.counts.created, valid.length);
      assert.equal(hubspot.products.size, valid.length);
      const byPimId = new Map([...hubspot.products.values()].map((p) => [p.properties.pim_id, p]));
      for (const raw of valid) {
        const product = validatePmsProduct(raw);
        assert.ok(product.ok);
        const record = byPimId.get(raw.id);
        assert.ok(record, `${raw.id} is in HubSpot`);
        assert.equal(record.properties.name, product.product.name);
        assert.equal(Number(record.properties.price), Math.round(product.product.price.amount * 100) / 100);
        assert.equal(Number(record.properties.pim_stock), product.product.stock);
      }
      assert.ok(hubspot.requests.filter((r) => r.endsWith('/batch/upsert')).length <= Math.ceil(valid.length / 100) + 3);

      const writesBefore = hubspot.requests.filter((r) => r.endsWith('/batch/upsert')).length;
      const second = await runProductSync(temporal.env, config, { watermark: null });
      assert.equal(second.counts.unchanged, valid.length);
      assert.equal(hubspot.requests.filter((r) => r.endsWith('/batch/upsert')).length, writesBefore, 'nothing written the second time');

      const gone = valid[0]!;
      await sandbox.pmsApi('DELETE', `/api/products/${gone.id}`);
      const mirror = await runProductSync(temporal.env, config, { mode: 'mirror', guard: { maxChangeShare: 1 } });
      assert.ok(mirror.counts.archived >= 1);
      assert.equal(byPimIdNow(hubspot, gone.id)?.properties.pim_archived, 'true');
    } finally {
      await hubspot.close();
      await sandbox.close();
    }
  });
});

function byPimIdNow(hubspot: Awaited<ReturnType<typeof startHubSpotFake>>, id: string) {
  return [...hubspot.products.values()].find((p) => p.properties.pim_id === id);
}
