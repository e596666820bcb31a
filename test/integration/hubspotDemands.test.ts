import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import type { ChangeCursor } from '../../src/shared/changeCursor';
import type { FeedRecord } from '../../src/connectors/changeFeed';
import { AuthenticationError, InvalidResponseError, RateLimitedError, RequestRejectedError } from '../../src/shared/systemErrors';
import { HubSpotApi } from '../../src/connectors/hubspotApi';
import { hubspotSystemSchema } from '../../src/connectors/hubspotConfig';
import { HubSpotDemands } from '../../src/connectors/hubspotDemands';
import { crmDemandSchema, crmOrderSchema } from '../../src/domain/crmDemand';
import { startHubSpotFake, type HubSpotFake } from '../fakes/hubspotFake';

const token = 'pat-na1-demands';

let fake: HubSpotFake | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

/** A HubSpot account set up as docs/connectors/hubspot.md says: the demand kind and SKU ticket properties exist. */
async function setup(demands: Record<string, unknown> = {}, fakeToken = token) {
  // Search shows writes late, as in HubSpot; shorter than HubSpot's few seconds so the tests stay quick.
  fake = await startHubSpotFake({ token, searchIndexDelayMs: 50 });
  fake.addObjectProperty('tickets', 'bridge_demand_kind', 'enumeration');
  fake.addObjectProperty('tickets', 'bridge_demand_skus', 'string');
  fake.addProperty('bridge_external_id', 'string', true);
  const config = hubspotSystemSchema.parse({ kind: 'hubspot', url: fake.url, token: fakeToken, demands, changeSettleMs: 0 });
  const crm = new HubSpotDemands(new HubSpotApi({ baseUrl: fake.url, token: fakeToken, config }), config);
  return { fake, crm };
}

/** A company, a contact, and products as product sync leaves them (each with its PMS id). */
function seedAccount(hubspot: HubSpotFake) {
  const company = hubspot.createRecord('companies', { name: 'Acme GmbH', industry: 'enterprise', annualrevenue: '250000' });
  const other = hubspot.createRecord('companies', { name: 'Side Ltd', industry: 'smb', annualrevenue: '1000' });
  const contact = hubspot.createRecord('contacts', { firstname: 'Ada', lastname: 'Lovelace', email: 'ada@acme.example', phone: '+44 1' });
  for (const n of [1, 2, 3]) hubspot.createRecord('products', { name: `Product ${n}`, hs_sku: `SKU-${n}`, bridge_external_id: `P-${n}` });
  // A product the bridge does not keep (no PMS id): its SKU must not resolve.
  hubspot.createRecord('products', { name: 'Manual product', hs_sku: 'SKU-9' });
  return { company, other, contact };
}

function ticket(hubspot: HubSpotFake, company: string, values: Record<string, string>, primary = true): string {
  const id = hubspot.createRecord('tickets', {
    subject: 'Export to Excel',
    content: 'Finance needs it',
    hs_pipeline: '0',
    hs_pipeline_stage: '1',
    hs_ticket_priority: 'HIGH',
    bridge_demand_kind: 'feature-request',
    bridge_demand_skus: 'SKU-1',
    ...values,
  });
  hubspot.associate('tickets', id, 'companies', company, primary);
  return id;
}

async function readAll(crm: HubSpotDemands, limit: number): Promise<FeedRecord[]> {
  const all: FeedRecord[] = [];
  let cursor: ChangeCursor | null = null;
  await fake?.indexed();
  for (;;) {
    const page = await crm.listDemandChanges(cursor, limit);
    all.push(...page.records);
    cursor = page.nextCursor ?? cursor;
    if (!page.hasMore) return all;
  }
}

describe('HubSpot tickets as the demand source', () => {
  test('tickets become demands with their primary company, contact, SKUs and mapped priority, paged to the end across shared timestamps', async () => {
    const { fake, crm } = await setup();
    const { company, other, contact } = seedAccount(fake);
    const first = ticket(fake, company, { hs_ticket_priority: 'URGENT', bridge_demand_skus: 'SKU-1;SKU-2' });
    fake.associate('tickets', first, 'companies', other);
    fake.associate('tickets', first, 'contacts', contact);
    const ids = [first, ...Array.from({ length: 6 }, (_, i) => ticket(fake, company, { subject: `Demand ${i}` }))];

    const demands = await readAll(crm, 2);
    assert.deepEqual(demands.map((d) => d.id).sort(), [...ids].sort(), 'every ticket once');
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
        accountId: company,
        contactId: contact,
        status: '1',
        updatedAt: undefined,
        pmsRequirementId: null,
        pmsStatus: null,
      },
    );

    await fake.indexed();
    const later = (await crm.listDemandChanges({ since: demands.at(-1)!.updatedAt, afterId: demands.at(-1)!.id }, 10)).records;
    assert.deepEqual(later, [], 'nothing after the last one');
    fake.updateRecord('tickets', ids[3]!, { subject: 'Edited' });
    await fake.indexed();
    const afterEdit = await crm.listDemandChanges({ since: demands.at(-1)!.updatedAt, afterId: demands.at(-1)!.id }, 10);
    assert.deepEqual(
      afterEdit.records.map((d) => [d.id, d.title]),
      [[ids[3], 'Edited']],
    );

    assert.deepEqual(await crm.readAccounts([company, '999999']), [
      { id: company, name: 'Acme GmbH', segment: 'enterprise', annualValue: 250_000 },
    ]);
    assert.deepEqual(await crm.readContacts([contact]), [{ id: contact, name: 'Ada Lovelace', email: 'ada@acme.example', phone: '+44 1' }]);
  });

  test('a ticket without a company or with an unknown kind comes through as it is, for the demand schema to reject with a reason', async () => {
    const { fake, crm } = await setup();
    seedAccount(fake);
    const loose = fake.createRecord('tickets', {
      subject: 'No company',
      hs_ticket_priority: 'LOW',
      bridge_demand_kind: 'feature-request',
      bridge_demand_skus: 'SKU-1',
    });
    await fake.indexed();
    const [demand] = (await crm.listDemandChanges(null, 10)).records;
    assert.equal(demand!.id, loose);
    const result = crmDemandSchema.safeParse(demand);
    assert.equal(result.success, false);
    assert.match(JSON.stringify(result.error?.issues), /has no account/);
  });

  test('SKUs resolve to PMS ids through the products product sync keeps; a product without the id property does not count', async () => {
    const { fake, crm } = await setup();
    seedAccount(fake);
    await fake.indexed();
    const resolved = await crm.resolveSkus(['SKU-1', 'SKU-3', 'SKU-9', 'SKU-404']);
    assert.deepEqual([...resolved].sort(), [
      ['SKU-1', 'P-1'],
      ['SKU-3', 'P-3'],
    ]);
  });

  test('only tickets of the configured pipeline are demands', async () => {
    const { fake, crm } = await setup({ pipeline: 'demands' });
    const { company } = seedAccount(fake);
    const inPipeline = ticket(fake, company, { hs_pipeline: 'demands' });
    ticket(fake, company, { hs_pipeline: '0' });
    await fake.indexed();
    assert.deepEqual(
      (await crm.listDemandChanges(null, 10)).records.map((d) => d.id),
      [inPipeline],
    );
  });
});

describe('HubSpot tickets as the demand link sink', () => {
  test('creates the two link properties, writes only tickets that differ, reports unknown ones, and reads the link back', async () => {
    const { fake, crm } = await setup();
    const { company } = seedAccount(fake);
    const [a, b] = [ticket(fake, company, {}), ticket(fake, company, {})];
    const result = await crm.updateDemandLinks([
      { id: a, pmsRequirementId: 'REQ-1', pmsStatus: 'open' },
      { id: b, pmsRequirementId: 'REQ-1', pmsStatus: 'open' },
      { id: '424242', pmsRequirementId: 'REQ-2', pmsStatus: 'open' },
      // A demand of another CRM on the same PMS requirement: not a record id, so not a ticket here.
      { id: 'D-T1', pmsRequirementId: 'REQ-1', pmsStatus: 'open' },
    ]);
    assert.deepEqual(result, [
      { id: a, found: true, changed: true },
      { id: b, found: true, changed: true },
      { id: '424242', found: false, changed: false },
      { id: 'D-T1', found: false, changed: false },
    ]);
    assert.ok(fake.propertiesOf.tickets.has('bridge_pms_requirement_id') && fake.propertiesOf.tickets.has('bridge_pms_status'));
    assert.equal(fake.objects.tickets.get(a)!.properties.subject, 'Export to Excel', 'the CRM-owned fields are untouched');

    const read = await crm.readDemands([a, b]);
    assert.deepEqual(
      // Batch reads answer in no particular order.
      read.map((d) => [d.id, d.pmsRequirementId, d.pmsStatus]).sort((x, y) => String(x[0]).localeCompare(String(y[0]))),
      [
        [a, 'REQ-1', 'open'],
        [b, 'REQ-1', 'open'],
      ],
    );

    const writesBefore = fake.requests.filter((r) => r === 'POST /crm/v3/objects/tickets/batch/update').length;
    const again = await crm.updateDemandLinks([
      { id: a, pmsRequirementId: 'REQ-1', pmsStatus: 'open' },
      { id: b, pmsRequirementId: 'REQ-1', pmsStatus: 'planned' },
    ]);
    assert.deepEqual(
      again.map((r) => r.changed),
      [false, true],
    );
    assert.equal(
      fake.requests.filter((r) => r === 'POST /crm/v3/objects/tickets/batch/update').length,
      writesBefore + 1,
      'one write, for the ticket that differed',
    );
    assert.equal(fake.objects.tickets.get(b)!.properties.bridge_pms_status, 'planned');
  });

  test('a unique ticket property can carry the demand id: reads and link writes go by it', async () => {
    const { fake, crm } = await setup({ idProperty: 'demand_ref' });
    fake.addObjectProperty('tickets', 'demand_ref', 'string', true);
    const { company } = seedAccount(fake);
    const id = ticket(fake, company, { demand_ref: 'WEB-17' });
    ticket(fake, company, {});
    await fake.indexed();
    const demands = (await crm.listDemandChanges(null, 10)).records;
    assert.deepEqual(
      demands.map((d) => d.id),
      ['WEB-17'],
      'a ticket without a demand id is not a demand yet',
    );
    await crm.updateDemandLinks([{ id: 'WEB-17', pmsRequirementId: 'REQ-9', pmsStatus: 'open' }]);
    assert.equal(fake.objects.tickets.get(id)!.properties.bridge_pms_requirement_id, 'REQ-9');
    assert.deepEqual(
      (await crm.readDemands(['WEB-17'])).map((d) => d.pmsRequirementId),
      ['REQ-9'],
    );
  });

  test('a demand id property that is not unique, or a missing ticket property, is a configuration error naming the field', async () => {
    const { fake, crm } = await setup({ idProperty: 'demand_ref' });
    fake.addObjectProperty('tickets', 'demand_ref', 'string', false);
    await fake.indexed();
    await assert.rejects(
      crm.listDemandChanges(null, 10),
      (error) =>
        error instanceof RequestRejectedError &&
        !error.retryable &&
        /demands\.idProperty/.test(error.message) &&
        /not unique/.test(error.message),
    );
    await fake.close();

    const second = await setup({ properties: { skus: 'product_codes' }, createLinkProperties: false });
    await fake.indexed();
    await assert.rejects(
      second.crm.listDemandChanges(null, 10),
      (error) =>
        error instanceof RequestRejectedError &&
        /product_codes, bridge_pms_requirement_id, bridge_pms_status|bridge_pms_requirement_id, bridge_pms_status, .*product_codes/.test(
          error.message,
        ) &&
        /demands\.properties/.test(error.message),
    );
  });
});

describe('HubSpot deals as orders', () => {
  test('won deals become orders with their company and line items; a line without a SKU takes its product’s; open deals are left out', async () => {
    const { fake, crm } = await setup();
    const { company } = seedAccount(fake);
    const won = fake.createRecord('deals', { dealname: 'Acme renewal', dealstage: 'closedwon', closedate: '2026-10-15T09:00:00.000Z' });
    fake.associate('deals', won, 'companies', company, true);
    const product2 = [...fake.products.values()].find((p) => p.properties.hs_sku === 'SKU-2')!.id;
    const lines: Array<Record<string, string>> = [
      { hs_sku: 'SKU-1', quantity: '3' },
      { hs_product_id: product2, quantity: '5' },
    ];
    for (const values of lines) {
      fake.associate('deals', won, 'line_items', fake.createRecord('line_items', values));
    }
    const open = fake.createRecord('deals', { dealname: 'Maybe', dealstage: 'appointmentscheduled' });
    fake.associate('deals', open, 'companies', company, true);

    await fake.indexed();
    const page = await crm.listOrderChanges(null, 10);
    assert.equal(page.hasMore, false);
    assert.deepEqual(
      page.records.map((record) => {
        const order = crmOrderSchema.parse(record);
        return { ...order, lines: [...order.lines].sort((x, y) => x.sku.localeCompare(y.sku)), updatedAt: undefined };
      }),
      [
        {
          id: won,
          accountId: company,
          orderedAt: '2026-10-15T09:00:00.000Z',
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

describe('HubSpot demand connector failures', () => {
  test('429 TEN_SECONDLY_ROLLING is a rate limit with the window to wait', async () => {
    const { fake, crm } = await setup();
    fake.exhaustTenSecondWindow();
    await assert.rejects(crm.readAccounts(['1']), (error) => error instanceof RateLimitedError && error.retryAfterMs === 10_000);
  });

  test('a malformed answer is rejected with a clear error and nothing is written', async () => {
    const { fake, crm } = await setup();
    const { company } = seedAccount(fake);
    const id = ticket(fake, company, {});
    await crm.readDemands([id]);
    fake.malformNext();
    await assert.rejects(
      crm.updateDemandLinks([{ id, pmsRequirementId: 'REQ-1', pmsStatus: 'open' }]),
      (error) => error instanceof InvalidResponseError && /unexpected shape/.test(error.message),
    );
    assert.equal(fake.objects.tickets.get(id)!.properties.bridge_pms_requirement_id, undefined);
  });

  test('a wrong token fails at once, not retried', async () => {
    const { crm } = await setup({}, 'pat-wrong');
    await assert.rejects(crm.listDemandChanges(null, 10), (error) => error instanceof AuthenticationError && !error.retryable);
  });
});
