import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import type { CrmProductInput } from '../../src/connectors/productConnectors';
import { restAuthProvider } from '../../src/connectors/restAuth';
import { salesforceSystemSchema } from '../../src/connectors/salesforceConfig';
import { SalesforceCrm } from '../../src/connectors/salesforceCrm';
import { startSalesforceFake, type SalesforceFake } from '../fakes/salesforceFake';

/**
 * Salesforce behaviours the connectors once disagreed with (issue 18), against the fake that
 * enforces them (sources in test/fakes/salesforceFake.ts).
 */

let fake: SalesforceFake | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function setup(bulk?: Record<string, unknown>) {
  fake = await startSalesforceFake({
    clientId: 'bridge',
    clientSecret: 's3cret',
    customFields: { Product2: ['PMS_Id__c'], PricebookEntry: ['PMS_Key__c'] },
    bulkPollsUntilDone: 1,
  });
  const config = salesforceSystemSchema.parse({
    kind: 'salesforce',
    url: fake.url,
    auth: { type: 'oauth2-client-credentials', tokenUrl: `${fake.url}/services/oauth2/token`, clientId: 'bridge', clientSecret: 's3cret' },
    products: {
      externalIdField: 'PMS_Id__c',
      pricebook: { pricebook2Id: fake.standardPricebookId, keyField: 'PMS_Key__c' },
      ...(bulk ? { bulk } : {}),
    },
  });
  const crm = new SalesforceCrm({
    auth: restAuthProvider(config.auth, { system: 'Salesforce', timeoutMs: 5_000, env: {} }),
    config,
    propertyNames: ['Name', 'ProductCode', 'UnitPrice'],
  });
  return { fake, crm };
}

const product = (externalId: string, name = `Product ${externalId}`): CrmProductInput => ({
  externalId,
  properties: { Name: name, ProductCode: `SKU-${externalId}`, UnitPrice: 10 },
});

describe('Salesforce SOQL IN lists and the URI limit (point 8)', () => {
  test('200 long external ids are read in queries whose URI stays under the limit (no 414)', async () => {
    const { fake, crm } = await setup();
    const ids = Array.from({ length: 200 }, (_, i) => `pms-product-${String(i).padStart(4, '0')}-${'x'.repeat(90)}`);
    const written = await crm.upsertBatch(ids.map((id) => product(id)));
    assert.ok(written.every((r) => !r.error));
    const read = await crm.readByExternalIds(ids);
    assert.equal(read.length, 200);
    assert.ok(fake.requests.filter((r) => r.endsWith('/query')).length >= 3, 'the IN list was split');
  });
});

describe('Salesforce Bulk API 2.0 and the #N/A literal (point 9)', () => {
  test('a value that is literally #N/A is refused with a reason instead of being written as null; the rest of the job lands', async () => {
    const bulk = { minRecords: 2, maxRecords: 2_000, pollIntervalMs: 100, maxWaitMs: 5_000 };
    const { fake, crm } = await setup(bulk);
    const results = await crm.upsertBatch([product('P-1', '#N/A'), product('P-2'), product('P-3')]);
    const refused = results.find((r) => r.externalId === 'P-1');
    assert.match(refused?.error ?? '', /#N\/A.*null/);
    assert.deepEqual(
      results.filter((r) => !r.error).map((r) => r.externalId),
      ['P-2', 'P-3'],
    );
    assert.equal(
      [...fake.records.get('Product2')!.values()].some((r) => r.PMS_Id__c === 'P-1'),
      false,
      'nothing was written for it',
    );
  });
});
