import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { describeRewrite, mappingAfterRun, planMapping, type MappingRecord } from '../../src/shared/mappingChange';
import { unreadAsStale, withClearedFields } from '../../src/domain/mappingClear';
import type { Candidate, CurrentRecord } from '../../src/domain/productPagePlan';
import { contentHash } from '../../src/domain/contentHash';
import { diffPage } from '../../src/domain/productPagePlan';

const recorded = (version: string, fields: string[], extra: Partial<MappingRecord> = {}): MappingRecord => ({
  version,
  fields,
  clearFields: [],
  rewritePending: false,
  ...extra,
});

describe('mapping change planning', () => {
  test('a first run (or the first after an upgrade) records the version and rewrites nothing', () => {
    const { record, rewrite } = planMapping(undefined, { version: 'v1', fields: ['sku', 'name'] });
    assert.equal(rewrite, undefined);
    assert.deepEqual(record, recorded('v1', ['name', 'sku']));
  });

  test('the same version goes on from the watermark', () => {
    assert.equal(planMapping(recorded('v1', ['name']), { version: 'v1', fields: ['name'] }).rewrite, undefined);
  });

  test('a new version is a rewrite that names the added fields and clears the removed ones', () => {
    const { record, rewrite } = planMapping(recorded('v1', ['category', 'name', 'stock']), {
      version: 'v2',
      fields: ['name', 'ean', 'category'],
    });
    assert.deepEqual(rewrite, { from: 'v1', to: 'v2', addedFields: ['ean'], removedFields: ['stock'] });
    assert.deepEqual(record, recorded('v2', ['category', 'ean', 'name'], { clearFields: ['stock'], rewritePending: true }));
  });

  test('a rewrite that did not finish starts again, still clearing what the earlier change removed', () => {
    const pending = recorded('v2', ['name'], { clearFields: ['stock'], rewritePending: true });
    assert.deepEqual(planMapping(pending, { version: 'v2', fields: ['name'] }).rewrite?.removedFields, ['stock']);
    // Another change on top: both removed fields are cleared, and a field mapped again is not.
    const again = planMapping(pending, { version: 'v3', fields: ['name', 'stock'] });
    assert.deepEqual(again.rewrite?.removedFields, []);
    assert.deepEqual(planMapping(pending, { version: 'v3', fields: [] }).rewrite?.removedFields, ['name', 'stock']);
  });

  test('after the run: a dry run keeps the old record, a cancelled rewrite stays pending, a finished one clears only while records failed', () => {
    const before = recorded('v1', ['name', 'stock']);
    const during = recorded('v2', ['name'], { clearFields: ['stock'], rewritePending: true });
    assert.equal(mappingAfterRun(before, during, { dryRun: true, cancelled: false, failed: 0 }), before);
    assert.deepEqual(mappingAfterRun(before, during, { dryRun: false, cancelled: true, failed: 0 }), during);
    assert.deepEqual(mappingAfterRun(before, during, { dryRun: false, cancelled: false, failed: 0 }), recorded('v2', ['name']));
    assert.deepEqual(
      mappingAfterRun(before, during, { dryRun: false, cancelled: false, failed: 2 }),
      recorded('v2', ['name'], { clearFields: ['stock'] }),
    );
  });

  test('says what changed and how much there is to rewrite', () => {
    const rewrite = { from: 'v1', to: 'v2', addedFields: ['ean'], removedFields: ['stock'] };
    assert.equal(
      describeRewrite(rewrite, 200, { rewritten: 37, created: 2 }),
      'mapping changed (v1 -> v2): up to 200 records to rewrite (added: ean; removed, cleared in the CRM: stock); 37 rewritten, 2 created',
    );
  });
});

describe('clearing fields that left the mapping', () => {
  const position = { since: '2026-12-01T00:00:00.000Z', afterId: 'A' };
  const product = (id: string, properties: Record<string, string | null>): Candidate => ({
    kind: 'product',
    externalId: id,
    position,
    properties,
    discontinued: false,
  });
  const owned = ['name', 'stock'];

  test('a record still holding a removed field is written with it cleared; one already empty is unchanged', () => {
    const candidates = withClearedFields([product('A', { name: 'a' }), product('B', { name: 'b' })], ['stock']);
    const current = new Map<string, CurrentRecord>([
      ['A', { properties: { name: 'a', stock: 5 }, archived: false }],
      ['B', { properties: { name: 'b', stock: null }, archived: false }],
    ]);
    const plan = diffPage(candidates, unreadAsStale(current, candidates, ['stock']), 'upsert', owned, 1e6);
    assert.deepEqual(
      plan.writes.map((w) => [w.externalId, w.properties]),
      [['A', { name: 'a', stock: null }]],
    );
    assert.equal(plan.unchanged, 1);
    // What the read-back of the cleared record hashes to is what was planned.
    assert.equal(plan.writes[0]!.hash, contentHash({ name: 'a', stock: null }, false, owned));
  });

  test('a CRM that does not read the removed field back (HubSpot, Salesforce) gets it cleared once, not assumed empty', () => {
    const candidates = withClearedFields([product('A', { name: 'a' })], ['stock']);
    const current = new Map<string, CurrentRecord>([['A', { properties: { name: 'a' }, archived: false }]]);
    const plan = diffPage(candidates, unreadAsStale(current, candidates, ['stock']), 'upsert', owned, 1e6);
    assert.equal(plan.writes.length, 1);
    // The read-back after the write shows no stock either: it hashes as the planned write.
    assert.equal(plan.writes[0]!.hash, contentHash({ name: 'a' }, false, owned));
  });

  test('an archive of a deleted record writes no properties, so its hash is the CRM record as read', () => {
    const deleted: Candidate = { kind: 'deleted', externalId: 'A', position };
    const current = new Map<string, CurrentRecord>([['A', { properties: { name: 'a' }, archived: false }]]);
    const marked = unreadAsStale(current, [deleted], ['stock']);
    const plan = diffPage([deleted], marked, 'mirror', owned, 1e6);
    assert.equal(plan.writes[0]!.hash, contentHash({ name: 'a' }, true, owned));
  });
});
