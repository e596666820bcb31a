import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { diffPage } from '../../src/domain/productPagePlan';
import { contentHash } from '../../src/domain/contentHash';

const owned = ['name', 'price'];
const position = (id: string) => ({ since: '2026-11-24T10:00:00.000Z', afterId: id });
const product = (id: string, name: string, discontinued = false) => ({
  kind: 'product' as const,
  externalId: id,
  position: position(id),
  properties: { name, price: 1 },
  discontinued,
});
const deleted = (id: string) => ({ kind: 'deleted' as const, externalId: id, position: position(id) });
const crm = (name: string, archived = false) => ({ properties: { name, price: 1, crmOwned: 'keep' }, archived });

describe('diffing a page against the CRM', () => {
  test('creates new records, updates changed ones, and leaves identical ones alone', () => {
    const current = new Map([
      ['B', crm('old name')],
      ['C', crm('same')],
    ]);
    const result = diffPage([product('A', 'new'), product('B', 'new name'), product('C', 'same')], current, 'upsert', owned, 1e6);
    assert.deepEqual(
      result.writes.map((w) => [w.externalId, w.action]),
      [
        ['A', 'create'],
        ['B', 'update'],
      ],
    );
    assert.equal(result.unchanged, 1);
    assert.equal(result.writes[1]?.hash, contentHash({ name: 'new name', price: 1 }, false, owned));
  });

  test('update-only never creates', () => {
    const result = diffPage([product('A', 'new')], new Map(), 'update-only', owned, 1e6);
    assert.equal(result.writes.length, 0);
    assert.equal(result.skipped, 1);
  });

  test('mirror archives deleted and discontinued products; upsert ignores deletions', () => {
    const current = new Map([
      ['D', crm('gone')],
      ['E', crm('old')],
    ]);
    const mirror = diffPage([deleted('D'), product('E', 'old', true), deleted('F')], current, 'mirror', owned, 1e6);
    assert.deepEqual(
      mirror.writes.map((w) => [w.externalId, w.action, w.archived]),
      [
        ['D', 'archive', true],
        ['E', 'archive', true],
      ],
    );
    assert.equal(mirror.skipped, 1);
    const upsert = diffPage([deleted('D')], current, 'upsert', owned, 1e6);
    assert.equal(upsert.writes.length, 0);
    assert.equal(upsert.skipped, 1);
  });

  test('an archived record is not archived again', () => {
    const result = diffPage([deleted('D')], new Map([['D', crm('gone', true)]]), 'mirror', owned, 1e6);
    assert.equal(result.unchanged, 1);
  });

  test('the byte budget cuts the page after the last record that fits', () => {
    const big = 'x'.repeat(400);
    const result = diffPage([product('A', big), product('B', big), product('C', big)], new Map(), 'upsert', owned, 1200);
    assert.deepEqual(
      result.writes.map((w) => w.externalId),
      ['A', 'B'],
    );
    assert.deepEqual(result.cutAt, position('B'));
  });
});
