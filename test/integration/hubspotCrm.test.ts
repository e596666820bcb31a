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
import { hubspotSystemSchema } from '../../src/connectors/hubspotConfig';
import { HubSpotCrm } from '../../src/connectors/hubspotCrm';
import type { CrmProductInput } from '../../src/connectors/productConnectors';
import { msUntilMidnight } from '../../src/connectors/rateLimitPacer';
import { startHubSpotFake, type HubSpotFake, type HubSpotFakeOptions } from '../fakes/hubspotFake';

const token = 'pat-na1-test';
const propertyNames = ['name', 'price', 'hs_sku', 'pim_stock'];

let fake: HubSpotFake | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function setup(options: Partial<HubSpotFakeOptions> = {}, config: Record<string, unknown> = {}) {
  // Search shows writes late, as in HubSpot; shorter than HubSpot's few seconds so the tests stay quick.
  fake = await startHubSpotFake({ token, searchIndexDelayMs: 50, ...options });
  const searchResultCap = options.searchResultCap;
  fake.addProperty('pim_stock', 'number');
  fake.addProperty('pim_archived', 'bool');
  const crm = new HubSpotCrm({
    baseUrl: fake.url,
    token,
    config: hubspotSystemSchema.parse({ kind: 'hubspot', products: { archivedProperty: 'pim_archived' }, changeSettleMs: 0, ...config }),
    propertyNames,
    ...(searchResultCap ? { searchResultCap } : {}),
  });
  return { fake, crm };
}

function products(count: number, from = 1): CrmProductInput[] {
  return Array.from({ length: count }, (_, i) => ({
    externalId: `P-${String(from + i).padStart(5, '0')}`,
    properties: { name: `Product ${from + i}`, price: 10.5 + i, hs_sku: `SKU-${from + i}`, pim_stock: i },
  }));
}

describe('HubSpot products: batch upsert by a unique id property', () => {
  test('creates the unique id property, upserts 250 products in batches of 100, and reads them back with their types', async () => {
    const { fake, crm } = await setup();
    const outcome = await upsertIsolatingRejects(crm, products(250), () => {});
    assert.equal(outcome.written.length, 250);
    assert.ok(outcome.written.every((w) => w.created));
    assert.equal(fake.properties.get('bridge_external_id')?.hasUniqueValue, true);
    assert.equal(fake.requests.filter((r) => r.endsWith('/batch/upsert')).length, 3);
    assert.equal(crm.capabilities.upsert, 'native');

    const again = await crm.upsertBatch(products(2));
    assert.deepEqual(again, [
      { externalId: 'P-00001', created: false },
      { externalId: 'P-00002', created: false },
    ]);
    assert.equal(fake.products.size, 250, 'upserting again creates nothing');
    await fake.indexed();
    const read = await crm.readByExternalIds(['P-00002', 'P-99999']);
    assert.deepEqual(read, [
      { externalId: 'P-00002', properties: { name: 'Product 2', price: 11.5, hs_sku: 'SKU-2', pim_stock: 1 }, archived: false },
    ]);
    assert.equal(await crm.count(), 250);
  });

  test('a 207 answer marks the refused records failed and the rest written', async () => {
    const { fake, crm } = await setup();
    fake.failInBatch.add('P-00003');
    const outcome = await upsertIsolatingRejects(crm, products(5), () => {});
    assert.deepEqual(
      outcome.written.map((w) => w.externalId),
      ['P-00001', 'P-00002', 'P-00004', 'P-00005'],
    );
    assert.equal(outcome.failed.length, 1);
    assert.equal(outcome.failed[0]!.externalId, 'P-00003');
    assert.match(outcome.failed[0]!.reason, /HubSpot refused the record: CONFLICT: Record P-00003 is being modified/);
  });

  test('an invalid value fails the whole batch (400); the bad record is isolated and the others land', async () => {
    const { fake, crm } = await setup();
    const batch = products(4);
    batch[2]!.properties.price = 'twelve';
    const outcome = await upsertIsolatingRejects(crm, batch, () => {});
    assert.deepEqual(
      outcome.failed.map((f) => f.externalId),
      ['P-00003'],
    );
    assert.match(outcome.failed[0]!.reason, /not a valid number/);
    assert.equal(fake.products.size, 3);
  });

  test('a batch over 100 records is refused before anything is sent', async () => {
    const { fake, crm } = await setup();
    await assert.rejects(crm.upsertBatch(products(101)), (error) => error instanceof BatchRejectedError && error.reason === 'too-large');
    assert.equal(fake.requests.length, 0);
  });

  test('the archived flag travels in the configured property, so mirror mode can run', async () => {
    const { crm } = await setup();
    await crm.upsertBatch([{ ...products(1)[0]!, archived: true }]);
    assert.equal((await crm.readByExternalIds(['P-00001']))[0]!.archived, true);
    assert.equal(crm.capabilities.archives, true);
  });

  test('a mapped property HubSpot does not have stops the sync with a message naming it', async () => {
    fake = await startHubSpotFake({ token });
    const crm = new HubSpotCrm({
      baseUrl: fake.url,
      token,
      config: hubspotSystemSchema.parse({ kind: 'hubspot' }),
      propertyNames: ['name', 'pim_colour'],
    });
    await assert.rejects(
      crm.upsertBatch(products(1)),
      (error) => error instanceof RequestRejectedError && !error.retryable && /pim_colour/.test(error.message),
    );
  });
});

describe('HubSpot products: search-then-write where the account refuses unique product properties', () => {
  test('falls back to a plain property and lookup-then-write, still without duplicates', async () => {
    const { fake, crm } = await setup({ allowUniqueProductProperties: false });
    const first = await crm.upsertBatch(products(3));
    assert.ok(first.every((r) => r.created));
    assert.equal(fake.properties.get('bridge_external_id')?.hasUniqueValue, false);
    assert.equal(crm.capabilities.upsert, 'lookup-then-write');
    const changed = products(4).map((p) => ({ ...p, properties: { ...p.properties, name: `${String(p.properties.name)}!` } }));
    const second = await crm.upsertBatch(changed);
    assert.deepEqual(
      second.map((r) => r.created),
      [false, false, false, true],
    );
    assert.equal(fake.products.size, 4);
    assert.deepEqual((await crm.readByExternalIds(['P-00001']))[0]!.properties.name, 'Product 1!');
  });

  test('forcing batch upsert on a non-unique property is a configuration error that says what to change', async () => {
    const { fake, crm } = await setup({}, { products: { upsert: 'batch-upsert' } });
    fake.addProperty('bridge_external_id', 'string', false);
    await assert.rejects(
      crm.upsertBatch(products(1)),
      (error) => error instanceof RequestRejectedError && /search-then-write/.test(error.message),
    );
  });
});

describe('HubSpot rate limits', () => {
  test('429 TEN_SECONDLY_ROLLING waits the window the headers give', async () => {
    const { fake, crm } = await setup();
    await crm.upsertBatch(products(1));
    fake.exhaustTenSecondWindow();
    await assert.rejects(
      crm.readByExternalIds(['P-00001']),
      (error) => error instanceof RateLimitedError && error.retryAfterMs === 10_000 && /TEN_SECONDLY_ROLLING/.test(error.message),
    );
  });

  test('429 DAILY parks the sync until midnight in the account time zone and says so', async () => {
    const { fake, crm } = await setup({ dailyLimit: 1000 }, { timeZone: 'UTC' });
    await crm.upsertBatch(products(1));
    fake.useDailyRequests(1000);
    const expected = msUntilMidnight('UTC');
    await assert.rejects(crm.readByExternalIds(['P-00001']), (error) => {
      assert.ok(error instanceof RateLimitedError);
      assert.ok(Math.abs(error.retryAfterMs - expected) < 5_000, `${error.retryAfterMs} ms is the time to midnight UTC`);
      assert.match(error.message, /daily API limit .* waits until it resets at midnight UTC/);
      return true;
    });
  });

  test('the X-HubSpot-RateLimit headers slow the connector before HubSpot has to refuse it', async () => {
    const { fake, crm } = await setup({ tenSecondLimit: 12, intervalMs: 1_000 }, { rateLimitReserve: 4 });
    await crm.upsertBatch(products(5));
    for (let i = 0; i < 30; i++) await crm.readByExternalIds(['P-00001']);
    assert.equal(fake.refusals.TEN_SECONDLY_ROLLING ?? 0, 0, 'no request was refused');
  });
});

describe('HubSpot incremental reads through the search API', () => {
  async function readAll(crm: HubSpotCrm, limit: number): Promise<string[]> {
    const ids: string[] = [];
    let cursor: ChangeCursor | null = null;
    for (;;) {
      const page = await crm.listChanged(cursor, limit);
      ids.push(...page.records.map((r) => r.id));
      cursor = page.nextCursor ?? cursor;
      if (!page.hasMore) return ids;
    }
  }

  test('pages of 200 at 5 requests a second read every product once, in modification order, across shared timestamps', async () => {
    const { fake, crm } = await setup();
    await upsertIsolatingRejects(crm, products(450), () => {});
    await fake.indexed();
    const ids = await readAll(crm, 150);
    assert.equal(ids.length, 450);
    assert.equal(new Set(ids).size, 450);
    const order = [...fake.products.values()]
      .sort(
        (a, b) => Date.parse(a.properties.hs_lastmodifieddate!) - Date.parse(b.properties.hs_lastmodifieddate!) || (a.id < b.id ? -1 : 1),
      )
      .map((p) => p.id);
    assert.deepEqual(ids, order);
    assert.equal(fake.refusals.SECONDLY ?? 0, 0, 'the connector keeps to the search rate');
  });

  test('beyond the results one query may page through, it queries again from the last timestamp seen', async () => {
    const { fake, crm } = await setup({ searchResultCap: 300 });
    await upsertIsolatingRejects(crm, products(700), () => {});
    await fake.indexed();
    const page = await crm.listChanged(null, 1000);
    assert.equal(page.records.length, 700);
    assert.equal(new Set(page.records.map((r) => r.id)).size, 700);
    assert.equal(page.hasMore, false);
    assert.ok(fake.requests.filter((r) => r.endsWith('/search')).length >= 4);
  });

  test('named products are read by HubSpot record id, typed; unknown ones are absent', async () => {
    const { fake, crm } = await setup();
    await crm.upsertBatch(products(3));
    const [first] = [...fake.products.values()];
    const found = await crm.getByIds([first!.id, '999999']);
    assert.deepEqual(
      found.map((r) => [r.id, r.bridge_external_id, r.pim_stock]),
      [[first!.id, 'P-00001', 0]],
    );
  });

  test('changes after the cursor only, with HubSpot values typed by their property definitions', async () => {
    const { fake, crm } = await setup();
    await crm.upsertBatch(products(3));
    await fake.indexed();
    const all = await crm.listChanged(null, 10);
    const cursor = { since: all.records[1]!.updatedAt, afterId: all.records[1]!.id };
    await new Promise((resolve) => setTimeout(resolve, 5));
    await crm.upsertBatch([{ ...products(1)[0]!, properties: { ...products(1)[0]!.properties, pim_stock: 42 } }]);
    await fake.indexed();
    const changed = await crm.listChanged(cursor, 10);
    assert.ok(changed.records.some((r) => r.bridge_external_id === 'P-00001' && r.pim_stock === 42));
    assert.ok(changed.records.every((r) => Date.parse(r.updatedAt) >= Date.parse(cursor.since)));
  });
});

describe('HubSpot failures', () => {
  test('a malformed answer is rejected with a clear error and nothing is written', async () => {
    const { fake, crm } = await setup();
    await crm.readByExternalIds(['P-00001']);
    fake.malformNext();
    await assert.rejects(
      crm.upsertBatch(products(2)),
      (error) => error instanceof InvalidResponseError && /unexpected shape/.test(error.message),
    );
    assert.equal(fake.products.size, 0);
  });

  test('a wrong token fails at once, not retried, telling the operator to check it', async () => {
    fake = await startHubSpotFake({ token });
    const crm = new HubSpotCrm({
      baseUrl: fake.url,
      token: 'wrong',
      config: hubspotSystemSchema.parse({ kind: 'hubspot' }),
      propertyNames: ['name'],
    });
    await assert.rejects(
      crm.upsertBatch(products(1)),
      (error) => error instanceof AuthenticationError && !error.retryable && /credentials/.test(error.message),
    );
  });
});
