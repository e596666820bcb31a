import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ErrorRateWindow } from '../../workflows/attention';
import { attentionSettingsSchema } from '../../src/shared/attentionSettings';
import { describeRecords, memoRequestSchema, requestTargets, retryFailedSchema, skipFailedSchema } from '../../src/shared/operatorRequests';
import { ProductSyncRun } from '../../workflows/productSyncRun';
import { productSyncInputSchema } from '../../src/shared/productSyncContract';
import { type PlannedWrite } from '../../src/shared/productSyncActivityTypes';

const at = (second: number, id: string) => ({ since: `2026-11-24T10:00:${String(second).padStart(2, '0')}.000Z`, afterId: id });
const write = (id: string, second: number): PlannedWrite => ({
  externalId: id,
  properties: {},
  archived: false,
  action: 'update',
  hash: 'h',
  position: at(second, id),
});
const now = '2026-11-24T10:01:00.000Z';
const newRun = (input: object = {}) => ProductSyncRun.begin(productSyncInputSchema.parse(input), undefined, now);

describe('operator signal payloads', () => {
  test('retryFailed takes {} for all or a list of ids, and refuses anything else with what was expected', () => {
    assert.deepEqual(retryFailedSchema.parse({}), {});
    assert.deepEqual(retryFailedSchema.parse({ ids: ['P-1'] }), { ids: ['P-1'] });
    assert.match(String(retryFailedSchema.safeParse({ ids: 'P-1' }).error?.issues[0]?.message), /list of record ids/);
    assert.equal(retryFailedSchema.safeParse({ ids: [] }).success, false);
    assert.equal(retryFailedSchema.safeParse({ id: ['P-1'] }).success, false, 'a misspelt key is not silently ignored');
  });

  test('skipFailed needs a reason for the audit trail', () => {
    assert.match(String(skipFailedSchema.safeParse({ ids: ['P-1'] }).error?.issues[0]?.message), /reason is required/);
    assert.equal(skipFailedSchema.safeParse({ reason: '  ' }).success, false);
    assert.deepEqual(skipFailedSchema.parse({ reason: ' retired ' }), { reason: 'retired' });
  });

  test('a schedule memo request carries one of them under an id', () => {
    assert.equal(memoRequestSchema.safeParse({ id: 'r1', retryFailed: {} }).success, true);
    assert.equal(memoRequestSchema.safeParse({ retryFailed: {} }).success, false);
  });
});

describe('the error-rate window that stops a run for an operator', () => {
  const settings = attentionSettingsSchema.parse({ errorRateThreshold: 0.5, errorRateWindow: 3, errorRateMinRecords: 10 });

  test('trips when more than the threshold of the last pages failed, and says how many', () => {
    const window = new ErrorRateWindow(settings);
    window.record(10, 2);
    assert.equal(window.exceeded(), undefined);
    window.record(10, 9);
    window.record(10, 9);
    assert.equal(window.exceeded(), '20 of the last 30 records written failed (67%, threshold 50%)');
  });

  test('forgets pages beyond the window, ignores too few records, and starts afresh after a reset', () => {
    const window = new ErrorRateWindow(settings);
    window.record(4, 4);
    assert.equal(window.exceeded(), undefined, 'four records are too few to judge');
    for (let i = 0; i < 3; i++) window.record(10, 0);
    assert.equal(window.exceeded(), undefined, 'the bad page left the window');
    window.record(30, 30);
    assert.ok(window.exceeded());
    window.reset();
    assert.equal(window.exceeded(), undefined);
  });
});

describe('retrying and skipping failed records in a run', () => {
  test('a retried record that lands no longer holds the watermark, and the run counts it as written', () => {
    const run = newRun();
    run.recordFailed(write('B', 2), 'CRM said no');
    run.finishPage(at(9, 'Z'));
    assert.deepEqual(run.watermark, { since: at(2, 'B').since, afterId: '' });
    run.requestRetry({});
    assert.deepEqual(run.takeRetryRequest(), ['B']);
    assert.deepEqual(run.takeRetryRequest(), [], 'a request is carried out once');
    run.resolveFailure(write('B', 2));
    assert.deepEqual(run.watermark, at(9, 'Z'));
    const summary = run.summary(now);
    assert.equal(summary.counts.failed, 0);
    assert.equal(summary.counts.updated, 1);
    assert.equal(summary.status, 'Completed');
  });

  test('a skipped record is listed with the operator reason and its failure, and the watermark moves past it', () => {
    const run = newRun();
    run.recordFailed(write('B', 2), 'CRM said no');
    run.recordFailed(write('C', 3), 'CRM said no again');
    run.finishPage(at(9, 'Z'));
    run.skip({ ids: ['B'], reason: 'retired product' }, now);
    assert.deepEqual(run.failures().skipped, [{ id: 'B', reason: 'retired product', failure: 'CRM said no', skippedAt: now }]);
    assert.deepEqual(run.watermark, { since: at(3, 'C').since, afterId: '' }, 'C still holds the watermark');
    run.skip({ reason: 'all of them' }, now);
    assert.deepEqual(run.watermark, at(9, 'Z'));
    assert.equal(run.summary(now).status, 'Completed');
  });

  test('retry requests add up until taken; ids name failed and parked records alike', () => {
    const run = newRun({ parkAfterAttempts: 1 });
    run.recordFailed(write('P', 1), 'parked at once');
    run.requestRetry({ ids: ['P'] });
    run.requestRetry({ ids: ['Q'] });
    assert.deepEqual(run.takeRetryRequest(), ['P', 'Q']);
    run.retryFailedAgain('P', 'still no');
    assert.equal(run.failures().parked[0]?.reason, 'still no');
  });

  test('a memo request is carried out once per chain of runs', () => {
    const run = newRun();
    run.recordFailed(write('B', 2), 'no');
    run.acceptMemoRequest({ id: 'req-1', skipFailed: { reason: 'known issue' } }, now);
    assert.equal(run.failures().skipped.length, 1);
    const next = ProductSyncRun.begin(productSyncInputSchema.parse({}), run.summary(now), now);
    next.acceptMemoRequest({ id: 'req-1', retryFailed: {} }, now);
    assert.deepEqual(next.takeRetryRequest(), [], 'the same request id is not carried out again');
  });

  test('a retry or skip acts on all failed and parked records, or exactly the ids named; otherwise it is refused with why', () => {
    const records = { failed: [{ id: 'A' }], parked: [{ id: 'B' }] };
    assert.deepEqual(requestTargets('retry', {}, records), { ids: ['A', 'B'] });
    assert.deepEqual(requestTargets('skip', { ids: ['B', 'B'] }, records), { ids: ['B'] });
    assert.match(requestTargets('retry', { ids: ['A', 'Z'] }, records).refused ?? '', /^unknown ids: Z \(not failed or parked/);
    assert.equal(requestTargets('skip', {}, { failed: [], parked: [] }).refused, 'nothing to skip: there are no failed or parked records');
    const many = Array.from({ length: 12 }, (_, i) => `P-${i}`);
    assert.equal(describeRecords(many), '12 records: P-0, P-1, P-2, P-3, P-4, P-5, P-6, P-7, P-8, P-9 and 2 more');
  });

  test('between runs, a memo skip acts on a record the previous run left failed: that version is not written again, a later one is', () => {
    const first = newRun({ overlapMs: 0 });
    first.recordPage({
      fetched: 1,
      writes: [write('F', 5)],
      unchanged: 0,
      skipped: 0,
      rejected: [],
      nextCursor: at(5, 'F'),
      hasMore: false,
    });
    first.recordFailed(write('F', 5), 'CRM refused the record');
    const next = ProductSyncRun.begin(productSyncInputSchema.parse({ overlapMs: 0 }), first.summary(now), now);
    assert.equal(next.acceptMemoRequest({ id: 'req-2', skipFailed: { ids: ['F'], reason: 'retired' } }, now), undefined);
    const page = (writes: PlannedWrite[]) => ({
      fetched: writes.length,
      writes,
      unchanged: 0,
      skipped: 0,
      rejected: [],
      nextCursor: null,
      hasMore: false,
    });
    assert.deepEqual(next.recordPage(page([write('F', 5)])), [], 'the version that failed is skipped');
    assert.deepEqual(
      next.summary(now).skippedFailures.map((s) => [s.id, s.reason, s.failure]),
      [['F', 'retired', 'CRM refused the record']],
    );
    assert.deepEqual(
      next.recordPage(page([write('F', 9)])).map((w) => w.externalId),
      ['F'],
      'a later change syncs as usual',
    );
    assert.match(
      next.acceptMemoRequest({ id: 'req-3', retryFailed: { ids: ['F'] } }, now) ?? '',
      /^retryFailed \(left by bridge for this run\) refused: nothing to retry/,
    );
  });
});

describe('progress of a run', () => {
  test('gives the rate and, when the source says how much is left, the time left at that rate', () => {
    const run = ProductSyncRun.begin(productSyncInputSchema.parse({}), undefined, '2026-11-24T10:00:00.000Z');
    run.recordPage({
      fetched: 200,
      writes: [],
      unchanged: 200,
      skipped: 0,
      rejected: [],
      nextCursor: at(1, 'A'),
      hasMore: true,
      remaining: 1000,
    });
    const progress = run.progress('Running', '2026-11-24T10:00:02.000Z');
    assert.equal(progress.recordsPerSecond, 100);
    assert.equal(progress.estimatedSecondsLeft, 10);
  });
});
