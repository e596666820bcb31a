import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { progressQuery, resumeUpdate } from '../../src/shared/messages';
import { startSandbox, testConfig } from '../helpers/sandbox';
import { useTemporalServer } from '../helpers/temporalServer';
import { createTestWorker, runProductSync, startProductSync, uniqueTaskQueue } from '../helpers/worker';

const day = 86_400_000;

describe('mirror mode reconciles the CRM with the PMS on a real Temporal server', () => {
  const temporal = useTemporalServer();

  test('products gone from a source that never reports deletions are archived when the reconcile is due, not before, across CRM listing pages', async () => {
    const sandbox = await startSandbox({ products: 1200 });
    try {
      const config = testConfig(sandbox, uniqueTaskQueue('reconcile'));
      const first = await runProductSync(temporal.env, config, { mode: 'mirror' });
      assert.equal(first.counts.created, 1200);
      assert.ok(first.reconcile?.lastAt, 'a first mirror run reconciles: it never has');
      assert.equal(first.reconcile?.checked, 1200, 'every CRM record compared, over two listing pages of 1,000');
      assert.equal(first.reconcile?.archived, 0);

      const gone = sandbox.pmsProducts().slice(100, 103);
      await sandbox.pmsApi('POST', '/_admin/products/purge', { ids: gone.map((product) => product.id) });

      const notDue = await runProductSync(temporal.env, config, { mode: 'mirror', reconcile: { everyMs: day, lastAt: first.reconcile?.lastAt } });
      assert.deepEqual(notDue.reconcile, { lastAt: first.reconcile?.lastAt, checked: 0, archived: 0, failed: [] });
      assert.ok(gone.every((product) => sandbox.crm.store.getByExternalId(product.id)?.archived === false), 'the change feed never told');

      const due = await runProductSync(temporal.env, config, { mode: 'mirror', reconcile: { everyMs: 0, lastAt: first.reconcile?.lastAt } });
      assert.equal(due.reconcile?.checked, 1200);
      assert.equal(due.reconcile?.archived, 3);
      assert.equal(due.counts.archived, 3, 'the archives count in the run totals');
      assert.ok(Date.parse(due.reconcile!.lastAt!) > Date.parse(first.reconcile!.lastAt!));
      assert.ok(gone.every((product) => sandbox.crm.store.getByExternalId(product.id)?.archived === true));
      assert.equal(sandbox.crm.store.count({ includeArchived: false }), 1197);

      const again = await runProductSync(temporal.env, config, { mode: 'mirror', reconcile: { everyMs: 0 } });
      assert.equal(again.reconcile?.checked, 1197, 'archived records are not compared again');
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
      const gone = sandbox.pmsProducts().slice(0, 10);
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
          /^Change guard: reconcile 1 would take the updates and archives of this run past 10% of the CRM's 40 products \(0 done, 10 more in reconcile 1\)/,
        );
        assert.equal(sandbox.crm.store.count({ includeArchived: false }), 40, 'nothing archived while it waits');
        await handle.executeUpdate(resumeUpdate);
        const summary = await handle.result();
        assert.equal(summary.status, 'Completed');
        assert.equal(summary.reconcile?.archived, 10);
        assert.equal(sandbox.crm.store.count({ includeArchived: false }), 30);
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
      await sandbox.pmsApi('POST', '/_admin/products/purge', { ids: [sandbox.pmsProducts()[0]!.id] });
      const summary = await runProductSync(temporal.env, config, { reconcile: { everyMs: 0 } });
      assert.equal(summary.reconcile, undefined);
      assert.equal(sandbox.crm.store.count({ includeArchived: false }), 20);
    } finally {
      await sandbox.close();
    }
  });
});
