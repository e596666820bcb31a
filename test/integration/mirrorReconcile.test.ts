import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { progressQuery, resumeUpdate } from '../../src/shared/messages';
import { startSandbox, testConfig, type TestSandbox } from '../helpers/sandbox';
import { useTemporalServer } from '../helpers/temporalServer';
import { createTestWorker, runProductSync, startProductSync, uniqueTaskQueue } from '../helpers/worker';

const day = 86_400_000;

/** The CRM's live records, as { id } of their PMS product. */
const liveRecords = (sandbox: TestSandbox) =>
  sandbox.crm.store
    .all()
    .filter((record) => !record.archived)
    .map((record) => ({ id: record.externalId }));

describe('mirror mode reconciles the CRM with the PMS on a real Temporal server', () => {
  const temporal = useTemporalServer();

  test('products gone from a source that never reports deletions are archived when the reconcile is due, not before, across CRM listing pages', async () => {
    const sandbox = await startSandbox({ products: 1200 });
    try {
      const config = testConfig(sandbox, uniqueTaskQueue('reconcile'));
      const first = await runProductSync(temporal.env, config, { mode: 'mirror' });
      // The seeded catalog has discontinued and invalid products, which mirror mode does not create.
      const live = sandbox.crm.store.count({ includeArchived: false });
      assert.ok(live > 1000, `${live} live CRM records: more than one listing page of 1,000`);
      assert.equal(first.counts.created, live);
      assert.ok(first.reconcile?.lastAt, 'a first mirror run reconciles: it never has');
      assert.equal(first.reconcile?.checked, live, 'every CRM record compared, over two listing pages');
      assert.equal(first.reconcile?.archived, 0);

      const gone = liveRecords(sandbox).slice(100, 103);
      await sandbox.pmsApi('POST', '/_admin/products/purge', { ids: gone.map((product) => product.id) });

      const notDue = await runProductSync(temporal.env, config, {
        mode: 'mirror',
        reconcile: { everyMs: day, lastAt: first.reconcile?.lastAt },
      });
      assert.deepEqual(notDue.reconcile, { lastAt: first.reconcile?.lastAt, checked: 0, archived: 0, failed: [] });
      assert.ok(
        gone.every((product) => sandbox.crm.store.getByExternalId(product.id)?.archived === false),
        'the change feed never told',
      );

      const due = await runProductSync(temporal.env, config, {
        mode: 'mirror',
        reconcile: { everyMs: 0, lastAt: first.reconcile?.lastAt },
      });
      assert.equal(due.reconcile?.checked, live);
      assert.equal(due.reconcile?.archived, 3);
      assert.equal(due.counts.archived, 3, 'the archives count in the run totals');
      assert.ok(Date.parse(due.reconcile.lastAt!) > Date.parse(first.reconcile.lastAt));
      assert.ok(gone.every((product) => sandbox.crm.store.getByExternalId(product.id)?.archived === true));
      assert.equal(sandbox.crm.store.count({ includeArchived: false }), live - 3);

      const again = await runProductSync(temporal.env, config, { mode: 'mirror', reconcile: { everyMs: 0 } });
      assert.equal(again.reconcile?.checked, live - 3, 'archived records are not compared again');
      assert.equal(again.reconcile?.archived, 0);
    } finally {
      await sandbox.close();
    }
  });

  test('a reconcile that would archive more than the guard allows waits for the operator, archives nothing meanwhile, and archives after the go-ahead', async () => {
    const sandbox = await startSandbox({ products: 40 });
    try {
      const config = testConfig(sandbox, uniqueTaskQueue('reconcile-guard'));
      await runProductSync(temporal.env, config, { mode: 'mirror' });
      const live = sandbox.crm.store.count({ includeArchived: false });
      const gone = liveRecords(sandbox).slice(0, 10);
      await sandbox.pmsApi('POST', '/_admin/products/purge', { ids: gone.map((product) => product.id) });
      const worker = await createTestWorker(temporal.env, config);
      await worker.runUntil(async () => {
        const handle = await startProductSync(temporal.env.client, config, {
          mode: 'mirror',
          reconcile: { everyMs: 0 },
          guard: { maxChangeShare: 0.1, minRecords: 10 },
        });
        let progress = await handle.query(progressQuery);
        while (progress.state !== 'NeedsAttention') {
          await new Promise((resolve) => setTimeout(resolve, 100));
          progress = await handle.query(progressQuery);
        }
        assert.match(
          String(progress.attentionReason),
          /^Change guard: reconcile 1 would take the updates and archives of this run past 10% of the CRM's \d+ products \(0 done, 10 more in reconcile 1\)/,
        );
        assert.equal(sandbox.crm.store.count({ includeArchived: false }), live, 'nothing archived while it waits');
        await handle.executeUpdate(resumeUpdate);
        const summary = await handle.result();
        assert.equal(summary.status, 'Completed');
        assert.equal(summary.reconcile?.archived, 10);
        assert.equal(sandbox.crm.store.count({ includeArchived: false }), live - 10);
      });
    } finally {
      await sandbox.close();
    }
  });

  test('upsert mode never reconciles: its summary has no reconcile and nothing is archived', async () => {
    const sandbox = await startSandbox({ products: 20 });
    try {
      const config = testConfig(sandbox, uniqueTaskQueue('reconcile-upsert'));
      await runProductSync(temporal.env, config, {});
      const live = sandbox.crm.store.count({ includeArchived: false });
      await sandbox.pmsApi('POST', '/_admin/products/purge', { ids: [liveRecords(sandbox)[0]!.id] });
      const summary = await runProductSync(temporal.env, config, { reconcile: { everyMs: 0 } });
      assert.equal(summary.reconcile, undefined);
      assert.equal(sandbox.crm.store.count({ includeArchived: false }), live);
    } finally {
      await sandbox.close();
    }
  });
});
