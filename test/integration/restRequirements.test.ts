import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { restSystemSchema } from '../../src/connectors/restConnectorConfig';
import { createRequirementStore } from '../../src/connectors/requirementStores';
import type { RequirementStore } from '../../src/connectors/demandConnectors';
import type { DemandLink } from '../../src/domain/requirement';
import type { ChangeCursor } from '../../src/shared/changeCursor';
import { ConflictError, InvalidResponseError } from '../../src/shared/systemErrors';
import { inHouseRequirementsSystem, startInHouseRequirementsFake, type InHouseRequirementsFake } from '../fakes/inHouseRequirementsFake';

const link = (demandId: string): DemandLink => ({
  demandId,
  title: `Demand ${demandId}`,
  kind: 'feature-request',
  priority: 'medium',
  accountId: 'A-1',
  accountName: 'Acme',
  segment: 'smb',
  accountValue: 1000,
  matchReason: null,
  linkedAt: '2026-12-01T10:00:00.000Z',
  matchScore: null,
  linkState: 'linked',
});

const newRequirement = (demandId: string, productId = 'P-1') => ({
  title: `Title ${demandId}`,
  description: 'Why',
  productId,
  demands: [link(demandId)],
  demandScore: 2,
  idempotencyKey: `crm-demand:${demandId}`,
});

function storeFor(fake: InHouseRequirementsFake): RequirementStore {
  const system = restSystemSchema.parse(inHouseRequirementsSystem(fake.url, 'in-house-token'));
  return createRequirementStore(system, { name: 'inhouse', env: {}, pacing: {} });
}

describe('rest requirement store, configured for an in-house PMS API (fake over HTTP)', () => {
  let fake: InHouseRequirementsFake;
  before(async () => {
    fake = await startInHouseRequirementsFake({ token: 'in-house-token' });
  });
  after(() => fake.close());

  test('creates through the configured body template, mapped back through the record paths; a retried create returns the first', async () => {
    const store = storeFor(fake);
    const created = await store.create(newRequirement('D-1'));
    assert.equal((await store.create(newRequirement('D-1'))).id, created.id);
    assert.equal(fake.requirements.size, 1);
    assert.deepEqual(
      { ...created, updatedAt: 'x' },
      {
        id: 'R1',
        title: 'Title D-1',
        description: 'Why',
        productId: 'P-1',
        status: 'open',
        demands: [link('D-1')],
        demandScore: 2,
        updatedAt: 'x',
        terminal: false,
      },
    );
    assert.equal((await store.findByDemand('D-1'))?.id, 'R1');
    assert.equal(await store.findByDemand('D-none'), undefined);
    assert.equal(await store.get('R404'), undefined);
  });

  test('lists a product across cursor pages; replaces links conditionally (412 is a conflict); sends order quantities', async () => {
    const store = storeFor(fake);
    for (const n of [2, 3, 4]) await store.create(newRequirement(`D-${n}`, 'P-2'));
    const listed = await store.listForProduct('P-2');
    assert.equal(listed.length, 3);
    const first = listed[0]!;
    const updated = await store.replaceLinks(first.id, [...first.demands, link('D-9')], 5, first.updatedAt);
    assert.deepEqual(
      updated.demands.map((d) => d.demandId),
      [first.demands[0]!.demandId, 'D-9'],
    );
    await assert.rejects(store.replaceLinks(first.id, [], 0, first.updatedAt), ConflictError);
    await store.replaceOrderSignals([{ productId: 'P-2', period: '2026-12', orderId: 'O-1', quantity: 3 }]);
    assert.deepEqual(fake.quantities, [{ productId: 'P-2', period: '2026-12', orderId: 'O-1', quantity: 3 }]);
  });

  test('changes page through the feed each once; a configured terminal status makes the requirement terminal', async () => {
    const store = storeFor(fake);
    const seen: string[] = [];
    let cursor: ChangeCursor | null = null;
    for (;;) {
      const page = await store.listChanges(cursor, 2);
      seen.push(...page.records.map((r) => r.id));
      cursor = page.nextCursor ?? cursor;
      if (!page.hasMore) break;
    }
    assert.deepEqual([...seen].sort(), [...fake.requirements.keys()].sort());
    fake.setState('R1', 'shipped');
    const next = await store.listChanges(cursor, 10);
    assert.deepEqual(
      next.records.map((r) => [r.id, r.status, r.terminal]),
      [['R1', 'shipped', true]],
    );
  });

  test('a record the configuration cannot read is an InvalidResponseError naming the setting to check', async () => {
    const store = storeFor(fake);
    fake.malformNextList({ items: [{ reqId: 'R1', modified: 5, name: 7 }], page: { next: null } });
    await assert.rejects(store.listChanges(null, 10), (error: unknown) => {
      assert.ok(error instanceof InvalidResponseError);
      assert.match(error.message, /requirements\.record/);
      return true;
    });
  });

  test('a rest system without a requirements section cannot be the PMS of a demand sync, and says what to add', () => {
    const system = restSystemSchema.parse({ kind: 'rest', url: fake.url, token: 't' });
    assert.throws(() => createRequirementStore(system, { name: 'erp', env: {}, pacing: {} }), /no requirements section/);
  });
});
