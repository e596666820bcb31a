import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ChangeCursor } from '../../src/shared/changeCursor';
import { HubSpotApi } from '../../src/connectors/hubspotApi';
import { hubspotSystemSchema } from '../../src/connectors/hubspotConfig';
import { HubSpotCrm } from '../../src/connectors/hubspotCrm';
import { HubSpotDemands } from '../../src/connectors/hubspotDemands';
import type { CrmProductInput } from '../../src/connectors/productConnectors';
import { startHubSpotFake, type HubSpotFake, type HubSpotFakeOptions } from '../fakes/hubspotFake';

/**
 * HubSpot behaviours the connectors once disagreed with (issue 18), each against the fake that
 * enforces the vendor's documented behaviour (see the sources in test/fakes/hubspotFake.ts).
 */

const token = 'pat-na1-contract';
let fake: HubSpotFake | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function productsCrm(options: Partial<HubSpotFakeOptions> = {}, products: Record<string, unknown> = {}, changeSettleMs = 0) {
  fake = await startHubSpotFake({ token, ...options });
  const crm = new HubSpotCrm({
    baseUrl: fake.url,
    token,
    config: hubspotSystemSchema.parse({ kind: 'hubspot', products, changeSettleMs }),
    propertyNames: ['name', 'hs_sku'],
  });
  return { fake, crm };
}

async function demandsCrm(options: Partial<HubSpotFakeOptions> = {}) {
  fake = await startHubSpotFake({ token, searchIndexDelayMs: 20, ...options });
  fake.addObjectProperty('tickets', 'bridge_demand_kind', 'enumeration');
  fake.addObjectProperty('tickets', 'bridge_demand_skus', 'string');
  fake.addProperty('bridge_external_id', 'string', true);
  const config = hubspotSystemSchema.parse({ kind: 'hubspot', url: fake.url, token, changeSettleMs: 0 });
  return { fake, crm: new HubSpotDemands(new HubSpotApi({ baseUrl: fake.url, token, config }), config) };
}

const input = (externalId: string, name = `Product ${externalId}`): CrmProductInput => ({
  externalId,
  properties: { name, hs_sku: `SKU-${externalId}` },
});

describe('HubSpot search: IN values and body size (point 1, 2)', () => {
  test('a mixed-case PMS id is found by search-then-write (IN values sent lowercase), so writing it again creates no second record', async () => {
    const { fake, crm } = await productsCrm(
      { allowUniqueProductProperties: false, searchIndexDelayMs: 20 },
      { upsert: 'search-then-write' },
    );
    await crm.upsertBatch([input('Ab-Mixed-1'), input('lower-2')]);
    await fake.indexed();
    // A later process, without anything remembered, writes the same products again.
    const later = new HubSpotCrm({
      baseUrl: fake.url,
      token,
      config: hubspotSystemSchema.parse({ kind: 'hubspot', products: { upsert: 'search-then-write' } }),
      propertyNames: ['name', 'hs_sku'],
    });
    const again = await later.upsertBatch([input('Ab-Mixed-1', 'Renamed'), input('lower-2')]);
    assert.deepEqual(
      again.map((r) => [r.externalId, r.created]),
      [
        ['Ab-Mixed-1', false],
        ['lower-2', false],
      ],
    );
    assert.equal(fake.products.size, 2);
    assert.ok(
      fake.searchBodies.every((body) => !/"values":\[[^\]]*[A-Z]/.test(body)),
      'no IN value carries a capital',
    );
  });

  test('a mixed-case SKU on a ticket resolves through the product that carries it', async () => {
    const { fake, crm } = await demandsCrm();
    fake.createRecord('products', { name: 'Widget', hs_sku: 'WIDGET-Large', bridge_external_id: 'P-1' });
    await fake.indexed();
    assert.deepEqual([...(await crm.resolveSkus(['WIDGET-Large']))], [['WIDGET-Large', 'P-1']]);
  });

  test('100 long ids stay under the 3,000-character search body: the IN list is split by body size, not only by count', async () => {
    const { fake, crm } = await productsCrm(
      { allowUniqueProductProperties: false, searchIndexDelayMs: 20 },
      { upsert: 'search-then-write' },
    );
    const ids = Array.from({ length: 100 }, (_, i) => `pms-product-${String(i).padStart(4, '0')}-${'x'.repeat(24)}`);
    const written = await crm.upsertBatch(ids.map((id) => input(id)));
    assert.ok(written.every((r) => r.created && !r.error));
    await fake.indexed();
    const read = await new HubSpotCrm({
      baseUrl: fake.url,
      token,
      config: hubspotSystemSchema.parse({ kind: 'hubspot', products: { upsert: 'search-then-write' } }),
      propertyNames: ['name', 'hs_sku'],
    }).readByExternalIds(ids);
    assert.equal(read.length, 100);
    assert.ok(fake.searchBodies.length >= 2);
    assert.ok(fake.searchBodies.every((body) => body.length <= 3000));
  });
});

describe('HubSpot search lag (point 3)', () => {
  test('search-then-write reads a record written a moment ago back by id, and writing it again at once creates no second record', async () => {
    // HubSpot's own delay: search shows the writes only seconds later.
    const { fake, crm } = await productsCrm({ allowUniqueProductProperties: false }, { upsert: 'search-then-write' });
    await crm.upsertBatch([input('P-1'), input('P-2')]);
    const read = await crm.readByExternalIds(['P-1', 'P-2']);
    assert.deepEqual(read.map((r) => r.externalId).sort(), ['P-1', 'P-2']);
    const again = await crm.upsertBatch([input('P-1', 'Renamed'), input('P-3')]);
    assert.deepEqual(
      again.map((r) => [r.externalId, r.created]),
      [
        ['P-1', false],
        ['P-3', true],
      ],
    );
    assert.equal(fake.products.size, 3);
    assert.equal([...fake.products.values()].find((p) => p.properties.bridge_external_id === 'P-1')?.properties.name, 'Renamed');
  });

  test('the change feed holds back changes newer than the settle window, so a record indexed late is read on the next run', async () => {
    const { fake, crm } = await productsCrm({ searchIndexDelayMs: 50 }, {}, 1_500);
    const late = fake.createRecord('products', { name: 'Indexed late', hs_sku: 'L' });
    await sleep(5);
    const early = fake.createRecord('products', { name: 'Indexed at once', hs_sku: 'E' });
    fake.delayIndexing('products', late, 1_000);
    await sleep(100);
    const seen: string[] = [];
    let cursor: ChangeCursor | null = null;
    const run = async () => {
      const page = await crm.listChanged(cursor, 100);
      seen.push(...page.records.map((r) => r.id));
      cursor = page.nextCursor ?? cursor;
    };
    await run();
    await sleep(1_600);
    await run();
    assert.deepEqual(seen, [late, early]);
  });
});

describe('HubSpot associations (point 4, 5)', () => {
  test('the primary company is the one with the primary type id (26 ticket, 5 deal), whatever the labels say', async () => {
    const { fake, crm } = await demandsCrm();
    const plain = fake.createRecord('companies', { name: 'Plain' });
    const primary = fake.createRecord('companies', { name: 'Primary' });
    const ticket = fake.createRecord('tickets', { subject: 'S', content: '', bridge_demand_kind: 'need', bridge_demand_skus: 'SKU-1' });
    fake.associate('tickets', ticket, 'companies', plain);
    fake.associate('tickets', ticket, 'companies', primary, true);
    const deal = fake.createRecord('deals', { dealname: 'D', dealstage: 'closedwon' });
    fake.associate('deals', deal, 'companies', plain);
    fake.associate('deals', deal, 'companies', primary, true);
    await fake.indexed();
    const [demand] = (await crm.listDemandChanges(null, 10)).records;
    assert.equal(demand?.accountId, primary);
    const [order] = (await crm.listOrderChanges(null, 10)).records;
    assert.equal(order?.accountId, primary);
  });

  test('a deal with more line items than one association page carries every line', async () => {
    const { fake, crm } = await demandsCrm({ associationPageSize: 2 });
    const deal = fake.createRecord('deals', { dealname: 'Big', dealstage: 'closedwon' });
    for (let n = 1; n <= 5; n++)
      fake.associate('deals', deal, 'line_items', fake.createRecord('line_items', { hs_sku: `S-${n}`, quantity: '1' }));
    await fake.indexed();
    const [order] = (await crm.listOrderChanges(null, 10)).records;
    assert.deepEqual(((order?.lines ?? []) as Array<{ sku: string }>).map((l) => l.sku).sort(), ['S-1', 'S-2', 'S-3', 'S-4', 'S-5']);
  });
});

describe('HubSpot batch answers (point 6, 7)', () => {
  test('batch upsert results in no particular order are matched by the id property, never by position', async () => {
    const { fake, crm } = await productsCrm({ searchIndexDelayMs: 20 });
    const existing = Array.from({ length: 10 }, (_, i) => input(`OLD-${i}`));
    await crm.upsertBatch(existing);
    const fresh = Array.from({ length: 10 }, (_, i) => input(`NEW-${i}`));
    const mixed = existing.flatMap((old, i) => [old, fresh[i]!]);
    const results = await crm.upsertBatch(mixed.map((p) => ({ ...p, properties: { ...p.properties, name: `${p.externalId} v2` } })));
    assert.deepEqual(
      results.map((r) => [r.externalId, r.created, r.error]),
      mixed.map((p) => [p.externalId, p.externalId.startsWith('NEW'), undefined]),
    );
    assert.equal(fake.products.size, 20);
  });

  test('batch read of ids HubSpot knows none of (404 OBJECT_NOT_FOUND) means none found', async () => {
    const { crm } = await productsCrm({ searchIndexDelayMs: 20 });
    assert.deepEqual(await crm.readByExternalIds(['NOPE-1', 'NOPE-2']), []);
    assert.deepEqual(await crm.getByIds(['999999']), []);
  });
});
