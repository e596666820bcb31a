import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { configSchema } from '../../src/config/configSchema';
import { validatePmsProduct } from '../../src/domain/validation';
import { pmsToken, startSandbox } from '../helpers/sandbox';
import { useTemporalServer } from '../helpers/temporalServer';
import { runProductSync, uniqueTaskQueue } from '../helpers/worker';
import { startSalesforceFake } from '../fakes/salesforceFake';

describe('productSync into Salesforce (fake) through Bulk API 2.0, on the real Temporal server', () => {
  const temporal = useTemporalServer();

  test("each page's writes go as one ingest job, polled while the activity heartbeats; every product lands once, a re-run writes nothing", async () => {
    const sandbox = await startSandbox({ products: 1_400 });
    const salesforce = await startSalesforceFake({
      clientId: 'bridge',
      clientSecret: 's3cret',
      customFields: { Product2: ['PMS_Id__c'] },
      bulkPollsUntilDone: 3,
    });
    try {
      const config = configSchema.parse(
        parseYaml(`
logLevel: warn
temporal: { taskQueue: ${uniqueTaskQueue('salesforce-bulk')} }
systems:
  pms: { kind: sandbox-pms, url: ${sandbox.pmsUrl}, token: ${pmsToken} }
  salesforce:
    kind: salesforce
    url: ${salesforce.url}
    auth: { type: oauth2-client-credentials, tokenUrl: '${salesforce.url}/services/oauth2/token', clientId: bridge, clientSecret: s3cret }
    products:
      externalIdField: PMS_Id__c
      bulk: { minRecords: 100, maxRecords: 1000, pollIntervalMs: 200 }
productSyncs:
  - id: products
    source: pms
    target: salesforce
    pageSize: 1000
    mapping: { Name: name, ProductCode: sku, Description: description }
`) as unknown,
      );
      const first = await runProductSync(temporal.env, config);
      const valid = sandbox.pmsProducts().filter((p) => !p.deleted && validatePmsProduct(p).ok);
      assert.equal(first.status, 'Completed');
      assert.equal(first.counts.created, valid.length);
      const stored = [...salesforce.records.get('Product2')!.values()];
      assert.equal(stored.length, valid.length, 'each product once');
      const byPmsId = new Map(stored.map((p) => [p.PMS_Id__c, p]));
      for (const raw of valid) {
        const checked = validatePmsProduct(raw);
        assert.ok(checked.ok);
        assert.equal(byPmsId.get(raw.id)?.Name, checked.product.name);
      }
      // Pages are cut by the workflow's byte budget (about 200 sandbox products), each above minRecords.
      const jobs = [...salesforce.bulkJobs.values()];
      assert.equal(jobs.length, first.pages, 'one job per page');
      assert.ok(jobs.every((job) => job.state === 'JobComplete'));
      assert.equal(
        jobs.reduce((sum, job) => sum + job.successful.length, 0),
        valid.length,
      );
      assert.ok(!salesforce.requests.some((r) => r.endsWith('/composite/sobjects/Product2/PMS_Id__c')), 'no collections upsert');

      const second = await runProductSync(temporal.env, config, { watermark: null });
      assert.equal(second.counts.unchanged, valid.length);
      assert.equal(salesforce.bulkJobs.size, jobs.length, 'nothing written the second time');
    } finally {
      await salesforce.close();
      await sandbox.close();
    }
  });
});
