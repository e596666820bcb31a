import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import type { ChangeCursor } from '../../src/shared/changeCursor';
import type { FeedRecord } from '../../src/connectors/changeFeed';
import {
  AuthenticationError,
  InvalidResponseError,
  RateLimitedError,
  RequestRejectedError,
  SystemUnavailableError,
} from '../../src/shared/systemErrors';
import { restAuthProvider } from '../../src/connectors/restAuth';
import { SalesforceApi } from '../../src/connectors/salesforceApi';
import { salesforceSystemSchema } from '../../src/connectors/salesforceConfig';
import { SalesforceDemands } from '../../src/connectors/salesforceDemands';
import { crmDemandSchema, crmOrderSchema } from '../../src/domain/crmDemand';
import { startSalesforceFake, type SalesforceFake } from '../fakes/salesforceFake';

let fake: SalesforceFake | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

/** An org set up as docs/connectors/salesforce.md says: the Product2 external id and the four custom Case fields. */
const customFields = {
  Product2: ['PMS_Id__c'],
  Case: ['Demand_Kind__c', 'Demand_SKUs__c', 'PMS_Requirement_Id__c', 'PMS_Status__c', 'Web_Ref__c'],
};

async function setup(
  options: { demands?: Record<string, unknown>; fields?: Record<string, string[]>; dailyApiLimit?: number; secret?: string } = {},
) {
  fake = await startSalesforceFake({
    clientId: 'bridge',
    clientSecret: 's3cret',
    customFields: options.fields ?? customFields,
    dailyApiLimit: options.dailyApiLimit,
  });
  const config = salesforceSystemSchema.parse({
    kind: 'salesforce',
    url: fake.url,
    auth: {
      type: 'oauth2-client-credentials',
      tokenUrl: `${fake.url}/services/oauth2/token`,
      clientId: 'bridge',
      clientSecret: options.secret ?? 's3cret',
    },
    products: { externalIdField: 'PMS_Id__c', queryBatchSize: 200 },
    demands: options.demands ?? {},
  });
  const api = new SalesforceApi({
    auth: restAuthProvider(config.auth, { system: 'Salesforce', timeoutMs: 5_000, env: {} }),
    config,
    queryBatchSize: 200,
  });
  return { fake, crm: new SalesforceDemands(api, config) };
}

/** An account, a contact, and products as product sync leaves them (each with its PMS id). */
function seedAccount(sf: SalesforceFake) {
  const account = sf.createRecord('Account', { Name: 'Acme GmbH', Industry: 'enterprise', AnnualRevenue: 250_000 });
  const contact = sf.createRecord('Contact', {
    FirstName: 'Ada',
    LastName: 'Lovelace',
    Email: 'ada@acme.example',
    Phone: '+44 1',
    AccountId: account,
  });
  const products = [1, 2, 3].map((n) =>
    sf.createRecord('Product2', { Name: `Product ${n}`, ProductCode: `SKU-${n}`, PMS_Id__c: `P-${n}`, IsActive: true }),
  );
  // A product the bridge does not keep (no PMS id): its SKU must not resolve.
  sf.createRecord('Product2', { Name: 'Manual product', ProductCode: 'SKU-9' });
  return { account, contact, products };
}

function newCase(sf: SalesforceFake, account: string | null, fields: Record<string, unknown> = {}): string {
  return sf.createRecord('Case', {
    Subject: 'Export to Excel',
    Description: 'Finance needs it',
    Type: 'Feature Request',
    Status: 'New',
    Priority: 'High',
    AccountId: account,
    Demand_Kind__c: 'feature-request',
    Demand_SKUs__c: 'SKU-1',
    ...fields,
  });
}

async function readAll(crm: SalesforceDemands, limit: number): Promise<FeedRecord[]> {
  const all: FeedRecord[] = [];
  let cursor: ChangeCursor | null = null;
  for (;;) {
    const page = await crm.listDemandChanges(cursor, limit);
    all.push(...page.records);
    cursor = page.nextCursor ?? cursor;
    if (!page.hasMore) return all;
  }
}

describe('Salesforce Cases as the demand source', () => {
  test('Cases become demands with their Account, Contact, SKUs and mapped priority, paged to the end across shared timestamps', async () => {
    const { fake, crm } = await setup();
    const { account, contact } = seedAccount(fake);
    const first = newCase(fake, account, { ContactId: contact, Priority: 'Critical', Demand_SKUs__c: 'SKU-1;SKU-2' });
    const ids = [first, ...Array.from({ length: 6 }, (_, i) => newCase(fake, account, { Subject: `Demand ${i}` }))];

    const demands = await readAll(crm, 2);
    assert.deepEqual(demands.map((d) => d.id).sort(), [...ids].sort(), 'every Case once');
    const parsed = crmDemandSchema.parse(demands.find((d) => d.id === first));
    assert.deepEqual(
      { ...parsed, updatedAt: undefined },
      {
        id: first,
        title: 'Export to Excel',
        description: 'Finance needs it',
        kind: 'feature-request',
        skus: ['SKU-1', 'SKU-2'],
        priority: 'critical',
        accountId: account,
        contactId: contact,
        status: 'New',
        updatedAt: undefined,
        pmsRequirementId: null,
        pmsStatus: null,
      },
    );
    const last = demands.at(-1)!;
    assert.deepEqual(
      (await crm.listDemandChanges({ since: last.updatedAt, afterId: last.id }, 10)).records,
      [],
      'nothing after the last one',
    );
    fake.updateRecord('Case', ids[3]!, { Subject: 'Edited' });
    const afterEdit = await crm.listDemandChanges({ since: last.updatedAt, afterId: last.id }, 10);
    assert.deepEqual(
      afterEdit.records.map((d) => [d.id, d.title]),
      [[ids[3], 'Edited']],
    );

    assert.deepEqual(await crm.readAccounts([account, '001000000000999AAA']), [
      { id: account, name: 'Acme GmbH', segment: 'enterprise', annualValue: 250_000 },
    ]);
    assert.deepEqual(await crm.readContacts([contact]), [{ id: contact, name: 'Ada Lovelace', email: 'ada@acme.example', phone: '+44 1' }]);
  });

  test('only Cases of the configured types are demands; a Case without an account comes through for the schema to reject', async () => {
    const { fake, crm } = await setup({ demands: { types: ['Feature Request'] } });
    seedAccount(fake);
    const loose = newCase(fake, null);
    newCase(fake, null, { Type: 'Problem' });
    const records = (await crm.listDemandChanges(null, 10)).records;
    assert.deepEqual(
      records.map((d) => d.id),
      [loose],
    );
    const result = crmDemandSchema.safeParse(records[0]);
    assert.equal(result.success, false);
    assert.match(JSON.stringify(result.error?.issues), /has no account/);
  });

  test('SKUs resolve to PMS ids through the Product2 records product sync keeps; one without the external id does not count', async () => {
    const { fake, crm } = await setup();
    seedAccount(fake);
    assert.deepEqual([...(await crm.resolveSkus(['SKU-1', 'SKU-3', 'SKU-9', 'SKU-404']))].sort(), [
      ['SKU-1', 'P-1'],
      ['SKU-3', 'P-3'],
    ]);
  });
});

describe('Salesforce Cases as the demand link sink', () => {
  test('writes only Cases that differ, reports unknown ones, never creates a Case, and reads the link back', async () => {
    const { fake, crm } = await setup();
    const { account } = seedAccount(fake);
    const [a, b] = [newCase(fake, account), newCase(fake, account)];
    const unknown = '500000000000999AAA';
    const result = await crm.updateDemandLinks([
      { id: a, pmsRequirementId: 'REQ-1', pmsStatus: 'open' },
      { id: b, pmsRequirementId: 'REQ-1', pmsStatus: 'open' },
      { id: unknown, pmsRequirementId: 'REQ-2', pmsStatus: 'open' },
      // A demand of another CRM on the same PMS requirement: not an Id, so not a Case here.
      { id: 'D-T1', pmsRequirementId: 'REQ-1', pmsStatus: 'open' },
    ]);
    assert.deepEqual(result, [
      { id: a, found: true, changed: true },
      { id: b, found: true, changed: true },
      { id: unknown, found: false, changed: false },
      { id: 'D-T1', found: false, changed: false },
    ]);
    assert.equal(fake.records.get('Case')!.size, 2, 'no Case created');
    assert.equal(fake.records.get('Case')!.get(a)!.Subject, 'Export to Excel', 'the CRM-owned fields are untouched');
    assert.deepEqual(
      (await crm.readDemands([a, b])).map((d) => [d.id, d.pmsRequirementId, d.pmsStatus]),
      [
        [a, 'REQ-1', 'open'],
        [b, 'REQ-1', 'open'],
      ],
    );

    const writes = () => fake.requests.filter((r) => r.startsWith('PATCH') && r.endsWith('/composite/sobjects')).length;
    const before = writes();
    const again = await crm.updateDemandLinks([
      { id: a, pmsRequirementId: 'REQ-1', pmsStatus: 'open' },
      { id: b, pmsRequirementId: 'REQ-1', pmsStatus: 'planned' },
    ]);
    assert.deepEqual(
      again.map((r) => r.changed),
      [false, true],
    );
    assert.equal(writes(), before + 1);
    assert.equal(fake.records.get('Case')!.get(b)!.PMS_Status__c, 'planned');
  });

  test('an External ID field can carry the demand id: reads and link writes go by it', async () => {
    const { fake, crm } = await setup({ demands: { idField: 'Web_Ref__c' } });
    const { account } = seedAccount(fake);
    const id = newCase(fake, account, { Web_Ref__c: 'WEB-17' });
    newCase(fake, account);
    assert.deepEqual(
      (await crm.listDemandChanges(null, 10)).records.map((d) => d.id),
      ['WEB-17'],
      'a Case without a demand id is not a demand yet',
    );
    await crm.updateDemandLinks([{ id: 'WEB-17', pmsRequirementId: 'REQ-9', pmsStatus: 'open' }]);
    assert.equal(fake.records.get('Case')!.get(id)!.PMS_Requirement_Id__c, 'REQ-9');
    assert.deepEqual(
      (await crm.readDemands(['WEB-17'])).map((d) => d.pmsRequirementId),
      ['REQ-9'],
    );
  });

  test('a Case field the org lacks is a configuration error naming it and the config path', async () => {
    const { crm } = await setup({ fields: { Product2: ['PMS_Id__c'], Case: ['Demand_Kind__c', 'Demand_SKUs__c'] } });
    await assert.rejects(
      crm.listDemandChanges(null, 10),
      (error) =>
        error instanceof RequestRejectedError &&
        !error.retryable &&
        /PMS_Requirement_Id__c, PMS_Status__c/.test(error.message) &&
        /demands\.fields/.test(error.message),
    );
  });
});

describe('Salesforce Orders', () => {
  test('Activated orders become orders with their Account and OrderItems by product SKU; Draft ones are left out', async () => {
    const { fake, crm } = await setup();
    const { account, products } = seedAccount(fake);
    const order = fake.createRecord('Order', { AccountId: account, EffectiveDate: '2026-10-15', Status: 'Activated' });
    fake.createRecord('OrderItem', { OrderId: order, Product2Id: products[0], Quantity: 3, UnitPrice: 10 });
    fake.createRecord('OrderItem', { OrderId: order, Product2Id: products[1], Quantity: 5, UnitPrice: 10 });
    const draft = fake.createRecord('Order', { AccountId: account, EffectiveDate: '2026-10-16', Status: 'Draft' });
    fake.createRecord('OrderItem', { OrderId: draft, Product2Id: products[0], Quantity: 1, UnitPrice: 10 });

    const page = await crm.listOrderChanges(null, 10);
    assert.equal(page.hasMore, false);
    assert.deepEqual(
      page.records.map((record) => {
        const parsed = crmOrderSchema.parse(record);
        return { ...parsed, lines: [...parsed.lines].sort((x, y) => x.sku.localeCompare(y.sku)), updatedAt: undefined };
      }),
      [
        {
          id: order,
          accountId: account,
          orderedAt: '2026-10-15T00:00:00.000Z',
          lines: [
            { sku: 'SKU-1', quantity: 3 },
            { sku: 'SKU-2', quantity: 5 },
          ],
          updatedAt: undefined,
        },
      ],
    );
  });
});

describe('Salesforce demand connector failures', () => {
  test('REQUEST_LIMIT_EXCEEDED is a rate limit, not a credentials error', async () => {
    const { fake, crm } = await setup({ dailyApiLimit: 1_000 });
    fake.setApiUsage(1_000);
    await assert.rejects(
      crm.readAccounts(['001000000000001AAA']),
      (error) => error instanceof RateLimitedError && /REQUEST_LIMIT_EXCEEDED/.test(error.message),
    );
  });

  test('a locked Case is worth retrying; a refused one is not', async () => {
    const { fake, crm } = await setup();
    const { account } = seedAccount(fake);
    const id = newCase(fake, account);
    fake.failIds.set(id, 'UNABLE_TO_LOCK_ROW');
    await assert.rejects(
      crm.updateDemandLinks([{ id, pmsRequirementId: 'REQ-1', pmsStatus: 'open' }]),
      (error) => error instanceof SystemUnavailableError && error.retryable && /UNABLE_TO_LOCK_ROW/.test(error.message),
    );
    fake.failIds.set(id, 'FIELD_CUSTOM_VALIDATION_EXCEPTION');
    await assert.rejects(
      crm.updateDemandLinks([{ id, pmsRequirementId: 'REQ-1', pmsStatus: 'open' }]),
      (error) =>
        error instanceof RequestRejectedError &&
        !error.retryable &&
        /FIELD_CUSTOM_VALIDATION_EXCEPTION: A validation rule refused the change/.test(error.message),
    );
  });

  test('a malformed answer is rejected with a clear error and nothing is written', async () => {
    const { fake, crm } = await setup();
    const { account } = seedAccount(fake);
    const id = newCase(fake, account);
    await crm.readDemands([id]);
    fake.malformNext();
    await assert.rejects(
      crm.updateDemandLinks([{ id, pmsRequirementId: 'REQ-1', pmsStatus: 'open' }]),
      (error) => error instanceof InvalidResponseError && /unexpected shape/.test(error.message),
    );
    assert.equal(fake.records.get('Case')!.get(id)!.PMS_Requirement_Id__c, undefined);
  });

  test('an expired token is refreshed once; a wrong secret fails at once, not retried', async () => {
    const { fake, crm } = await setup();
    seedAccount(fake);
    await crm.resolveSkus(['SKU-1']);
    fake.expireTokens();
    assert.equal((await crm.resolveSkus(['SKU-1'])).get('SKU-1'), 'P-1');
    assert.equal(fake.tokensIssued(), 2);
    await fake.close();

    const wrong = await setup({ secret: 'nope' });
    await assert.rejects(
      wrong.crm.resolveSkus(['SKU-1']),
      (error) => error instanceof AuthenticationError && !error.retryable && /invalid_client/.test(error.message),
    );
  });
});
