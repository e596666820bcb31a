import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ProductSyncRun } from '../../workflows/productSyncRun';
import { productSyncInputSchema, type ProductSyncSummary } from '../../src/shared/productSyncContract';
import type { PlannedWrite } from '../../src/shared/productSyncActivityTypes';

const at = (second: number, id: string) => ({ since: `2026-12-01T10:00:${String(second).padStart(2, '0')}.000Z`, afterId: id });
const write = (id: string, second: number, action: PlannedWrite['action'] = 'update'): PlannedWrite => ({
  externalId: id,
  properties: {},
  archived: false,
  action,
  hash: 'h',
  position: at(second, id),
});
const settings = (input: object = {}) => productSyncInputSchema.parse({ overlapMs: 0, ...input });
const now = '2026-12-01T10:01:00.000Z';
const previousRun = (mapping: object | undefined): ProductSyncSummary =>
  ({
    watermark: at(40, 'P-9'),
    counts: {},
    failed: [{ id: 'P-3', reason: 'refused', attempts: 2, position: at(50, 'P-3') }],
    parked: [{ id: 'P-1', reason: 'cannot map: status', attempts: 3 }],
    ...(mapping ? { mapping } : {}),
  }) as unknown as ProductSyncSummary;
const v1 = { version: 'v1', fields: ['name', 'stock'], clearFields: [], rewritePending: false };

describe('productSync under a changed mapping', () => {
  test('the same mapping goes on from the watermark and records its version', () => {
    const run = ProductSyncRun.begin(settings(), previousRun(v1), now);
    assert.equal(run.adoptMapping({ version: 'v1', fields: ['stock', 'name'] }), undefined);
    assert.deepEqual(run.cursor, at(40, 'P-9'));
    assert.deepEqual(run.runMapping, { version: 'v1', clearFields: [] });
    assert.equal(run.summary(now).mapping?.version, 'v1');
  });

  test('a new mapping reads the catalog from the start, tries parked and failed records afresh, and says so', () => {
    const run = ProductSyncRun.begin(settings({ parkAfterAttempts: 3 }), previousRun(v1), now);
    run.crmTotal = 120;
    const said = run.adoptMapping({ version: 'v2', fields: ['name', 'ean'] });
    assert.equal(
      said,
      'mapping changed (v1 -> v2): up to 120 records to rewrite (added: ean; removed, cleared in the CRM: stock); 0 rewritten',
    );
    assert.equal(run.cursor, null);
    assert.deepEqual(run.runMapping, { version: 'v2', clearFields: ['stock'] });
    assert.match(run.progress('Running', now).mappingChange ?? '', /up to 120 records to rewrite/);
    // P-3 had failed twice under the old mapping: under the new one it starts counting again, not parked.
    run.recordFailed(write('P-3', 50), 'refused again');
    assert.deepEqual(run.failures().parked, []);
    assert.equal(run.failures().failed[0]?.attempts, 1);
  });

  test('the summary hands the new version on once the pass is done, and counts what was rewritten', () => {
    const run = ProductSyncRun.begin(settings(), previousRun(v1), now);
    run.crmTotal = 2;
    run.adoptMapping({ version: 'v2', fields: ['name'] });
    run.recordVerified(write('P-1', 1));
    run.recordVerified(write('P-2', 2, 'create'));
    run.finishPage(at(60, 'P-9'));
    const summary = run.summary(now);
    assert.deepEqual(summary.mapping, { version: 'v2', fields: ['name'], clearFields: [], rewritePending: false });
    assert.match(summary.mappingChange ?? '', /; 1 rewritten, 1 created$/);
    assert.deepEqual(summary.watermark, at(60, 'P-9'));
  });

  test('a cancelled rewrite leaves it pending for the next run; a dry run leaves the old version and watermark', () => {
    const cancelled = ProductSyncRun.begin(settings(), previousRun(v1), now);
    cancelled.adoptMapping({ version: 'v2', fields: ['name'] });
    assert.equal(cancelled.summary(now, true).mapping?.rewritePending, true);

    const dry = ProductSyncRun.begin(settings({ dryRun: true }), previousRun(v1), now);
    dry.adoptMapping({ version: 'v2', fields: ['name'] });
    assert.equal(dry.cursor, null);
    dry.finishPage(at(59, 'P-8'));
    assert.deepEqual(dry.summary(now).mapping, v1);
    assert.deepEqual(dry.summary(now).watermark, at(40, 'P-9'));
  });

  test('the rewrite and its approval travel across continue-as-new', () => {
    const first = ProductSyncRun.begin(settings(), previousRun(v1), now);
    first.adoptMapping({ version: 'v2', fields: ['name'] });
    first.approveRewrite();
    const next = ProductSyncRun.begin(settings({ continuation: first.continuation() }), undefined, now);
    assert.equal(next.needsMapping, false);
    assert.equal(next.rewrite?.approved, true);
    assert.deepEqual(next.runMapping, { version: 'v2', clearFields: ['stock'] });
  });

  test('a deploy that changes the mapping under a run: the run reads it again and rewrites if it differs from what it wrote under', () => {
    const run = ProductSyncRun.begin(settings(), previousRun(v1), now);
    run.adoptMapping({ version: 'v1', fields: ['name', 'stock'] });
    run.finishPage(at(45, 'P-10'));
    run.forgetMapping();
    const next = ProductSyncRun.begin(settings({ continuation: run.continuation() }), undefined, now);
    assert.equal(next.needsMapping, true);
    // An old worker answers: same version, the run goes on where it was.
    assert.equal(next.adoptMapping({ version: 'v1', fields: ['name', 'stock'] }), undefined);
    assert.deepEqual(next.cursor, at(45, 'P-10'));

    next.forgetMapping();
    const after = ProductSyncRun.begin(settings({ continuation: next.continuation() }), undefined, now);
    assert.match(after.adoptMapping({ version: 'v2', fields: ['name'] }) ?? '', /^mapping changed \(v1 -> v2\)/);
    assert.equal(after.cursor, null);
  });

  test('a previous run from before mapping versions: the version is recorded, nothing rewritten', () => {
    const run = ProductSyncRun.begin(settings(), previousRun(undefined), now);
    assert.equal(run.adoptMapping({ version: 'v1', fields: ['name'] }), undefined);
    assert.deepEqual(run.cursor, at(40, 'P-9'));
  });
});
