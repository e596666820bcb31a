import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { upsertIsolatingRejects } from '../../activities/upsertIsolatingRejects';
import type { ChangeCursor } from '../../src/shared/changeCursor';
import {
  AuthenticationError,
  BatchRejectedError,
  InvalidResponseError,
  RateLimitedError,
  RequestRejectedError,
} from '../../src/shared/systemErrors';
import type { CrmProductInput } from '../../src/connectors/productConnectors';
import { restAuthProvider } from '../../src/connectors/restAuth';
import { salesforceSystemSchema } from '../../src/connectors/salesforceConfig';
import { SalesforceCrm } from '../../src/connectors/salesforceCrm';
import { startSalesforceFake, type SalesforceFake } from '../fakes/salesforceFake';

let fake: SalesforceFake | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

const customFields = { Product2: ['PMS_Id__c'], PricebookEntry: ['PMS_Key__c'] };

async function setup(
  options: { secret?: string; dailyApiLimit?: number; config?: Record<string, unknown>; propertyNames?: string[] } = {},
) {
  fake = await startSalesforceFake({ clientId: 'bridge', clientSecret: 's3cret', customFields, dailyApiLimit: options.dailyApiLimit });
  const config = salesforceSystemSchema.parse({
    kind: 'salesforce',
    url: fake.url,
    auth: {
      type: 'oauth2-client-credentials',
      tokenUrl: `${fake.url}/services/oauth2/token`,
      clientId: 'bridge',
      clientSecret: options.secret ?? 's3cret',
    },
    products: {
      externalIdField: 'PMS_Id__c',
      pricebook: { pricebook2Id: fake.standardPricebookId, keyField: 'PMS_Key__c' },
      queryBatchSize: 200,
    },
    ...options.config,
  });
  const crm = new SalesforceCrm({
    auth: restAuthProvider(config.auth, { system: 'Salesforce', timeoutMs: 5_000, env: {} }),
    config,
    propertyNames: options.propertyNames ?? ['Name', 'ProductCode', 'Description', 'UnitPrice'],
  });
  return { fake, crm };
}

function products(count: number, from = 1): CrmProductInput[] {
  return Array.from({ length: count }, (_, i) => ({
    externalId: `P-${String(from + i).padStart(5, '0')}`,
    properties: { Name: `Product ${from + i}`, ProductCode: `SKU-${from + i}`, Description: 'A product', UnitPrice: 9.5 + i },
  }));
}

describe('Salesforce products: sObject Collections upsert by external id', () => {
  test('upserts 450 products in collections of 200 with their prices, and reads them back', async () => {
    const { fake, crm } = await setup();
    const outcome = await upsertIsolatingRejects(crm, products(450), () => {});
    assert.equal(outcome.written.length, 450);
    assert.ok(outcome.written.every((w) => w.created));
    assert.equal(fake.requests.filter((r) => r.startsWith('PATCH') && r.endsWith('/composite/sobjects/Product2/PMS_Id__c')).length, 3);
    assert.equal(fake.records.get('PricebookEntry')!.size, 450);
    const [read] = await crm.readByExternalIds(['P-00003']);
    assert.deepEqual(read, {
      externalId: 'P-00003',
      properties: { Name: 'Product 3', ProductCode: 'SKU-3', Description: 'A product', UnitPrice: 11.5 },
      archived: false,
    });
    assert.equal(await crm.count(), 450);
  });

  test('a second write updates the product and its existing price entry (create-only fields untouched), never duplicating', async () => {
    const { fake, crm } = await setup();
    await crm.upsertBatch(products(2));
    const changed = products(2).map((p) => ({ ...p, properties: { ...p.properties, UnitPrice: 99 } }));
    const results = await crm.upsertBatch(changed);
    assert.deepEqual(results, [
      { externalId: 'P-00001', created: false },
      { externalId: 'P-00002', created: false },
    ]);
    assert.equal(fake.records.get('Product2')!.size, 2);
    assert.equal(fake.records.get('PricebookEntry')!.size, 2);
    assert.deepEqual((await crm.readByExternalIds(['P-00001']))[0]!.properties.UnitPrice, 99);
  });

  test('with allOrNone false, a refused record fails alone with Salesforce reason and the others land', async () => {
    const { fake, crm } = await setup();
    const batch = products(4);
    batch[1]!.properties.Name = 'x'.repeat(300);
    fake.failNames.add('Product 4');
    const outcome = await upsertIsolatingRejects(crm, batch, () => {});
    assert.deepEqual(
      outcome.written.map((w) => w.externalId),
      ['P-00001', 'P-00003'],
    );
    assert.deepEqual(
      outcome.failed.map((f) => f.externalId),
      ['P-00002', 'P-00004'],
    );
    assert.match(outcome.failed[0]!.reason, /STRING_TOO_LONG/);
    assert.match(outcome.failed[1]!.reason, /UNABLE_TO_LOCK_ROW/);
  });

  test('archiving sets IsActive false, and reading shows the product archived', async () => {
    const { crm } = await setup();
    await crm.upsertBatch([{ ...products(1)[0]!, archived: true }]);
    assert.equal((await crm.readByExternalIds(['P-00001']))[0]!.archived, true);
  });

  test('more than 200 records are refused before anything is sent', async () => {
    const { fake, crm } = await setup();
    await assert.rejects(crm.upsertBatch(products(201)), (error) => error instanceof BatchRejectedError && error.reason === 'too-large');
    assert.equal(fake.requests.length, 0);
  });

  test('a mapped field Product2 does not have is a non-retryable error naming it', async () => {
    const { crm } = await setup({ propertyNames: ['Name', 'Colour__c'] });
    await assert.rejects(
      crm.upsertBatch([{ externalId: 'P-1', properties: { Name: 'A', Colour__c: 'red' } }]),
      (error) => error instanceof RequestRejectedError && !error.retryable && /Colour__c/.test(error.message),
    );
  });

  test('a malformed answer is rejected with a clear error and nothing more is written', async () => {
    const { fake, crm } = await setup();
    await crm.count();
    fake.malformNext();
    await assert.rejects(crm.upsertBatch(products(2)), (error) => error instanceof InvalidResponseError);
    assert.equal(fake.records.get('Product2')!.size, 0);
  });
});

describe('Salesforce limits and credentials', () => {
  test('REQUEST_LIMIT_EXCEEDED (403) is rate limiting: the sync waits, it does not blame the credentials', async () => {
    const { fake, crm } = await setup({ dailyApiLimit: 100 });
    await crm.count();
    fake.setApiUsage(100);
    await assert.rejects(
      crm.count(),
      (error) => error instanceof RateLimitedError && error.retryAfterMs === 900_000 && /REQUEST_LIMIT_EXCEEDED/.test(error.message),
    );
  });

  test('Sforce-Limit-Info near the daily limit stops the bridge before the org runs out', async () => {
    const { fake, crm } = await setup({ dailyApiLimit: 100 });
    fake.setApiUsage(94);
    await crm.count();
    const sent = fake.requests.length;
    await assert.rejects(
      crm.count(),
      (error) => error instanceof RateLimitedError && /used 95 of its 100 API requests/.test(error.message),
    );
    assert.equal(fake.requests.length, sent, 'nothing was sent');
  });

  test('an expired session is refreshed once through the OAuth client credentials flow', async () => {
    const { fake, crm } = await setup();
    await crm.count();
    fake.expireTokens();
    await crm.count();
    assert.equal(fake.tokensIssued(), 2);
  });

  test('a wrong client secret is a clear non-retryable error', async () => {
    const { crm } = await setup({ secret: 'wrong' });
    await assert.rejects(
      crm.count(),
      (error) => error instanceof AuthenticationError && !error.retryable && /invalid_client/.test(error.message),
    );
  });
});

describe('Salesforce as an incremental source', () => {
  async function readAll(crm: SalesforceCrm, limit: number, from: ChangeCursor | null = null) {
    const records = [];
    let cursor = from;
    for (;;) {
      const page = await crm.listChanged(cursor, limit);
      records.push(...page.records);
      cursor = page.nextCursor ?? cursor;
      if (!page.hasMore) return { records, cursor };
    }
  }

  test('SOQL on SystemModstamp with nextRecordsUrl paging reads every product once, in order, across shared timestamps', async () => {
    const { fake, crm } = await setup();
    await upsertIsolatingRejects(crm, products(500), () => {});
    const { records } = await readAll(crm, 150);
    const ids = records.map((r) => r.id);
    assert.equal(ids.length, 500);
    assert.equal(new Set(ids).size, 500);
    const position = (r: { updatedAt: string; id: string }) => `${r.updatedAt}|${r.id}`;
    assert.deepEqual(records.map(position), records.map(position).sort(), 'in (SystemModstamp, Id) order');
    assert.ok(
      fake.requests.some((r) => /\/query\/01g/.test(r)),
      'followed nextRecordsUrl',
    );
  });

  test('named products are read by Salesforce Id; unknown ones are absent', async () => {
    const { fake, crm } = await setup();
    await crm.upsertBatch(products(3));
    const [first, , third] = [...fake.records.get('Product2')!.values()];
    const found = await crm.getByIds([third!.Id, '01t000000000999AAA', first!.Id]);
    assert.deepEqual(found.map((r) => [r.id, r.Name]).sort(), [
      [first!.Id, 'Product 1'],
      [third!.Id, 'Product 3'],
    ]);
  });

  test('a product deleted in Salesforce comes back as deleted after the cursor, for mirror mode', async () => {
    const { fake, crm } = await setup();
    await crm.upsertBatch(products(5));
    const { cursor } = await readAll(crm, 100);
    const victim = [...fake.records.get('Product2')!.values()][2]!;
    await new Promise((resolve) => setTimeout(resolve, 5));
    fake.deleteRecord('Product2', victim.Id);
    const page = await crm.listChanged(cursor, 100);
    assert.deepEqual(
      page.records.map((r) => ({ id: r.id, deleted: r.deleted })),
      [{ id: victim.Id, deleted: true }],
    );
  });
});
