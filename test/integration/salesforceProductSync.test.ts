import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { configSchema } from '../../src/config/configSchema';
import { validatePmsProduct } from '../../src/domain/validation';
import { pmsToken, startSandbox } from '../helpers/sandbox';
import { useTemporalServer } from '../helpers/temporalServer';
import { runProductSync, uniqueTaskQueue } from '../helpers/worker';
import { startSalesforceFake } from '../fakes/salesforceFake';

describe('productSync from the sandbox PMS into Salesforce (fake), on the real Temporal server', () => {
  const temporal = useTemporalServer();

  test('every valid product becomes one Product2 with one standard price entry; a re-run writes nothing', async () => {
    const sandbox = await startSandbox({ products: 300 });
    const salesforce = await startSalesforceFake({
      clientId: 'bridge',
      clientSecret: 's3cret',
      customFields: { Product2: ['PMS_Id__c'], PricebookEntry: ['PMS_Key__c'] },
    });
    try {
      const config = configSchema.parse(
        parseYaml(`
logLevel: warn
temporal: { taskQueue: ${uniqueTaskQueue('salesforce')} }
systems:
  pms: { kind: sandbox-pms, url: ${sandbox.pmsUrl}, token: ${pmsToken} }
  salesforce:
    kind: salesforce
    url: ${salesforce.url}
    auth: { type: oauth2-client-credentials, tokenUrl: '${salesforce.url}/services/oauth2/token', clientId: bridge, clientSecret: s3cret }
    products:
      externalIdField: PMS_Id__c
      pricebook: { pricebook2Id: ${salesforce.standardPricebookId}, priceProperty: UnitPrice, keyField: PMS_Key__c }
productSyncs:
  - id: products
    source: pms
    target: salesforce
    mapping:
      Name: name
      ProductCode: sku
      Description: description
      UnitPrice: { from: price.amount, transform: { type: round, decimals: 2 } }
`) as unknown,
      );
      const first = await runProductSync(temporal.env, config, { pageSize: 250 });
      const valid = sandbox.pmsProducts().filter((p) => !p.deleted && validatePmsProduct(p).ok);
      assert.equal(first.status, 'Completed');
      assert.equal(first.counts.created, valid.length);
      const products = [...salesforce.records.get('Product2')!.values()];
      const entries = [...salesforce.records.get('PricebookEntry')!.values()];
      assert.equal(products.length, valid.length);
      assert.equal(entries.length, valid.length);
      const byPmsId = new Map(products.map((p) => [p.PMS_Id__c, p]));
      const priceOf = new Map(entries.map((e) => [e.Product2Id, e.UnitPrice]));
      for (const raw of valid) {
        const checked = validatePmsProduct(raw);
        assert.ok(checked.ok);
        const product = byPmsId.get(raw.id);
        assert.ok(product, `${raw.id} is in Salesforce`);
        assert.equal(product.Name, checked.product.name);
        assert.equal(product.IsActive, true);
        assert.equal(priceOf.get(product.Id), Math.round(checked.product.price.amount * 100) / 100);
      }

      const writes = () => salesforce.requests.filter((r) => r.startsWith('PATCH') || r.startsWith('POST')).length;
      const before = writes();
      const second = await runProductSync(temporal.env, config, { watermark: null });
      assert.equal(second.counts.unchanged, valid.length);
      assert.equal(writes(), before, 'nothing written the second time');
    } finally {
      await salesforce.close();
      await sandbox.close();
    }
  });
});
