import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compareCursors } from '../../src/shared/changeCursor';
import { withOverlap } from '../../workflows/feedState';
import { ProductSyncRun } from '../../workflows/productSyncRun';
import { productSyncInputSchema, type ProductSyncSummary } from '../../src/shared/productSyncContract';
import { type PlannedWrite } from '../../src/shared/productSyncActivityTypes';

const at = (second: number, id: string) => ({ since: `2026-11-24T10:00:${String(second).padStart(2, '0')}.000Z`, afterId: id });
const write = (id: string, second: number, action: PlannedWrite['action'] = 'create'): PlannedWrite => ({
  externalId: id,
  properties: {},
  archived: false,
  action,
  hash: 'h',
  position: at(second, id),
});
const settings = (input: object = {}) => productSyncInputSchema.parse(input);
const now = '2026-11-24T10:01:00.000Z';

describe('productSync run bookkeeping', () => {
  test('cursors order by time, then by id', () => {
    assert.ok(compareCursors(at(1, 'B'), at(2, 'A')) < 0);
    assert.ok(compareCursors(at(1, 'A'), at(1, 'B')) < 0);
    assert.equal(compareCursors(at(1, 'A'), at(1, 'A')), 0);
  });

  test('the overlap moves the start back and includes everything at that instant', () => {
    assert.deepEqual(withOverlap(at(10, 'P-9'), 5_000), { since: '2026-11-24T10:00:05.000Z', afterId: '' });
    assert.equal(withOverlap(null, 5_000), null);
  });

  test('without failures the watermark is the end of paging', () => {
    const run = ProductSyncRun.begin(settings(), undefined, now);
    run.recordVerified(write('A', 1));
    run.finishPage(at(3, 'C'));
    assert.deepEqual(run.watermark, at(3, 'C'));
  });

  test('the watermark never passes a failed record, however far paging went', () => {
    const run = ProductSyncRun.begin(settings(), undefined, now);
    run.recordFailed(write('B', 2), 'CRM said no');
    run.recordVerified(write('C', 3));
    run.finishPage(at(9, 'Z'));
    assert.deepEqual(run.watermark, { since: at(2, 'B').since, afterId: '' });
    assert.equal(run.summary(now).status, 'CompletedWithFailures');
  });

  test('a scheduled run starts from the previous result and counts repeated failures', () => {
    const previous = {
      watermark: at(20, 'P-5'),
      counts: {},
      failed: [{ id: 'P-7', reason: 'x', attempts: 2 }],
    } as unknown as ProductSyncSummary;
    const run = ProductSyncRun.begin(settings({ overlapMs: 0, parkAfterAttempts: 5 }), previous, now);
    assert.deepEqual(run.cursor, at(20, 'P-5'));
    run.recordFailed(write('P-7', 30), 'still failing');
    assert.equal(run.summary(now).failed[0]?.attempts, 3);
  });

  test('an explicit null watermark forces a full sync even after earlier runs', () => {
    const previous = { watermark: at(20, 'P-5'), counts: {}, failed: [] } as unknown as ProductSyncSummary;
    const run = ProductSyncRun.begin(settings({ watermark: null }), previous, now);
    assert.equal(run.cursor, null);
  });

  test('a dry run keeps the starting watermark and lists the planned writes', () => {
    const run = ProductSyncRun.begin(settings({ dryRun: true, watermark: at(1, 'A'), overlapMs: 0 }), undefined, now);
    run.recordPlan([write('B', 2), write('C', 3, 'update'), write('D', 4, 'archive')]);
    run.finishPage(at(4, 'D'));
    const summary = run.summary(now);
    assert.deepEqual(summary.watermark, at(1, 'A'));
    assert.deepEqual(summary.plan, { create: ['B'], update: ['C'], archive: ['D'] });
    assert.equal(summary.counts.created, 1);
  });

  test('a continuation carries counters and lists, and counts pages per run', () => {
    const first = ProductSyncRun.begin(settings(), undefined, now);
    first.recordPage({
      fetched: 10,
      writes: [],
      unchanged: 7,
      skipped: 1,
      rejected: [{ id: 'X', reason: 'bad', position: at(1, 'X') }],
      nextCursor: at(5, 'E'),
      hasMore: true,
    });
    first.finishPage(at(5, 'E'));
    const second = ProductSyncRun.begin(settings({ continuation: first.continuation() }), undefined, now);
    assert.equal(second.pagesThisRun, 0);
    const summary = second.summary(now);
    assert.equal(summary.counts.fetched, 10);
    assert.equal(summary.counts.rejected, 1);
    assert.equal(summary.continuedAsNew, 1);
    assert.deepEqual(second.cursor, at(5, 'E'));
  });

  test('a record failing for the third run in a row is parked: the watermark passes it, and a later success clears it', () => {
    const previous = {
      watermark: at(1, 'A'),
      counts: {},
      failed: [{ id: 'B', reason: 'too long', attempts: 2 }],
      parked: [],
    } as unknown as ProductSyncSummary;
    const run = ProductSyncRun.begin(settings({ overlapMs: 0 }), previous, now);
    run.recordFailed(write('B', 2), 'CRM refused the record: name too long');
    run.finishPage(at(9, 'Z'));
    const summary = run.summary(now);
    assert.deepEqual(summary.watermark, at(9, 'Z'), 'a parked record no longer holds the watermark');
    assert.deepEqual(summary.parked, [{ id: 'B', reason: 'CRM refused the record: name too long', attempts: 3 }]);
    assert.equal(summary.counts.parked, 1);
    assert.equal(summary.counts.failed, 0);
    assert.equal(summary.status, 'CompletedWithFailures');

    const next = ProductSyncRun.begin(settings({ overlapMs: 0 }), summary, now);
    next.recordVerified(write('B', 10, 'update'));
    assert.deepEqual(next.summary(now).parked, [], 'a parked record that syncs leaves the list');
  });

  test('listed failures are capped while the count stays exact', () => {
    const run = ProductSyncRun.begin(settings(), undefined, now);
    for (let i = 0; i < 250; i++) run.recordFailed(write(`P-${i}`, 1), 'x'.repeat(1000));
    const summary = run.summary(now);
    assert.equal(summary.counts.failed, 250);
    assert.equal(summary.failed.length, 100);
    assert.ok(summary.failed.every((f) => f.reason.length <= 300));
  });
});
