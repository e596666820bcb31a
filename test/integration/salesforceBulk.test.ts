import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { upsertIsolatingRejects } from '../../activities/upsertIsolatingRejects';
import { BatchRejectedError, RequestRejectedError, SystemUnavailableError } from '../../src/shared/systemErrors';
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

const bulk = { minRecords: 500, maxRecords: 2_000, pollIntervalMs: 100, maxWaitMs: 5_000 };

async function setup(options: { bulk?: Record<string, unknown>; pollsUntilDone?: number; propertyNames?: string[] } = {}) {
  fake = await startSalesforceFake({
    clientId: 'bridge',
    clientSecret: 's3cret',
    customFields: { Product2: ['PMS_Id__c'], PricebookEntry: ['PMS_Key__c'] },
    bulkPollsUntilDone: options.pollsUntilDone ?? 2,
  });
  const config = salesforceSystemSchema.parse({
    kind: 'salesforce',
    url: fake.url,
    auth: { type: 'oauth2-client-credentials', tokenUrl: `${fake.url}/services/oauth2/token`, clientId: 'bridge', clientSecret: 's3cret' },
    products: {
      externalIdField: 'PMS_Id__c',
      pricebook: { pricebook2Id: fake.standardPricebookId, keyField: 'PMS_Key__c' },
      bulk: { ...bulk, ...options.bulk },
    },
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
    properties: {
      Name: `Product ${from + i}, "boxed"`,
      ProductCode: `SKU-${from + i}`,
      Description: i % 2 ? 'Two\nlines' : null,
      UnitPrice: 9.5 + i,
    },
  }));
}

const jobRequests = (sf: SalesforceFake) => sf.requests.filter((r) => r.includes('/jobs/ingest'));
const collectionUpserts = (sf: SalesforceFake) => sf.requests.filter((r) => r.endsWith('/composite/sobjects/Product2/PMS_Id__c'));

describe('Salesforce products through Bulk API 2.0 above a configured size', () => {
  test('1,200 products go as one ingest job (create, upload, close, poll, results), each with its outcome; values with commas, quotes, line breaks and nulls arrive intact', async () => {
    const { fake, crm } = await setup();
    let progress = 0;
    const results = await crm.upsertBatch(products(1_200), () => progress++);
    assert.equal(results.length, 1_200);
    assert.ok(results.every((r) => r.created && r.error === undefined));
    assert.equal(collectionUpserts(fake).length, 0, 'no sObject Collections upsert');
    const [job] = [...fake.bulkJobs.values()];
    assert.equal(fake.bulkJobs.size, 1);
    assert.equal(job!.state, 'JobComplete');
    assert.deepEqual(
      jobRequests(fake).filter((r) => !r.endsWith(`${job!.id}/`) || !r.startsWith('GET')),
      [
        'POST /services/data/v61.0/jobs/ingest/',
        `PUT /services/data/v61.0/jobs/ingest/${job!.id}/batches/`,
        `PATCH /services/data/v61.0/jobs/ingest/${job!.id}/`,
        `GET /services/data/v61.0/jobs/ingest/${job!.id}/successfulResults/`,
        `GET /services/data/v61.0/jobs/ingest/${job!.id}/failedResults/`,
        `GET /services/data/v61.0/jobs/ingest/${job!.id}/unprocessedrecords/`,
      ],
    );
    assert.ok(progress >= 1, 'the activity heard of the job while it ran');

    const stored = [...fake.records.get('Product2')!.values()];
    assert.equal(stored.length, 1_200);
    const second = stored.find((p) => p.PMS_Id__c === 'P-00002')!;
    assert.deepEqual([second.Name, second.Description, second.IsActive], ['Product 2, "boxed"', 'Two\nlines', true]);
    assert.equal(stored.find((p) => p.PMS_Id__c === 'P-00001')!.Description, null, 'a null value clears the field (#N/A)');
    assert.equal(fake.records.get('PricebookEntry')!.size, 1_200, 'each price written too');

    const again = await crm.upsertBatch(products(600));
    assert.ok(
      again.every((r) => !r.created && r.error === undefined),
      'upsert by external id: nothing created twice',
    );
    assert.equal(fake.records.get('Product2')!.size, 1_200);
    const read = await crm.readByExternalIds(['P-00002']);
    assert.deepEqual(read[0]!.properties, { Name: 'Product 2, "boxed"', ProductCode: 'SKU-2', Description: 'Two\nlines', UnitPrice: 10.5 });
  });

  test('below the size, writes stay on sObject Collections, 200 a request', async () => {
    const { fake, crm } = await setup();
    const outcome = await upsertIsolatingRejects(crm, products(450), () => {});
    assert.equal(outcome.written.length, 450);
    assert.equal(fake.bulkJobs.size, 0);
    assert.equal(collectionUpserts(fake).length, 3);
  });

  test('failed and unprocessed rows fail only their own records, with the reason', async () => {
    const { fake, crm } = await setup();
    fake.failNames.add('Product 7, "boxed"');
    fake.bulkRowLimit.value = 990;
    const results = await crm.upsertBatch(products(1_000));
    const failed = results.filter((r) => r.error !== undefined);
    assert.deepEqual(
      failed.map((r) => r.externalId),
      ['P-00007', ...Array.from({ length: 10 }, (_, i) => `P-${String(991 + i).padStart(5, '0')}`)],
    );
    assert.match(failed[0]!.error!, /^UNABLE_TO_LOCK_ROW: unable to obtain exclusive access/);
    assert.match(failed[1]!.error!, /UNPROCESSED: the Bulk API job 750\w+ did not process this record/);
    assert.equal(results.filter((r) => r.created).length, 989);
  });

  test('a job Salesforce fails as a whole (a field it does not know) is a non-retryable error with its message', async () => {
    const { crm } = await setup({ propertyNames: ['Name', 'Colour__c'] });
    const batch = products(600).map((p) => ({ ...p, properties: { Name: p.properties.Name ?? null, Colour__c: 'red' } }));
    await assert.rejects(
      crm.upsertBatch(batch),
      (error) =>
        error instanceof RequestRejectedError && !error.retryable && /InvalidBatch : Field name not found : Colour__c/.test(error.message),
    );
  });

  test('a job that does not finish in time is aborted and the write fails as retryable', async () => {
    const { fake, crm } = await setup({ pollsUntilDone: 1_000, bulk: { maxWaitMs: 1_000, pollIntervalMs: 100 } });
    await assert.rejects(
      crm.upsertBatch(products(500)),
      (error) => error instanceof SystemUnavailableError && error.retryable && /did not finish within 1000 ms/.test(error.message),
    );
    assert.equal([...fake.bulkJobs.values()][0]!.state, 'Aborted');
  });

  test('a write above bulk.maxRecords is refused before anything is sent', async () => {
    const { fake, crm } = await setup();
    assert.equal(crm.capabilities.maxWriteBatch, 2_000);
    await assert.rejects(
      crm.upsertBatch(products(2_001)),
      (error) => error instanceof BatchRejectedError && error.reason === 'too-large' && /products\.bulk\.maxRecords/.test(error.message),
    );
    assert.equal(fake.requests.length, 0);
  });
});
