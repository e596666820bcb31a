import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { progressQuery, resumeSignal, pauseSignal } from '../../src/shared/messages';
import { syncStatusKey } from '../../src/shared/searchAttributes';
import type { SyncProgress } from '../../src/shared/syncProgress';
import type { ProductSyncSummary } from '../../src/shared/productSyncContract';
import { startSandbox, testConfig } from '../helpers/sandbox';
import { useTemporalServer } from '../helpers/temporalServer';
import { createTestWorker, startProductSync, uniqueTaskQueue } from '../helpers/worker';
import { waitUntil } from '../helpers/waitUntil';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('operator state travels across continue-as-new on a real Temporal server', () => {
  const temporal = useTemporalServer();

  test('a pause that arrives during the last page before continue-as-new leaves the next run paused until resume', async () => {
    // Every CRM call takes 500 ms, so the page is still in flight when the pause arrives.
    const sandbox = await startSandbox({ products: 300, crmFaults: { latencyMs: 500 } });
    try {
      const config = testConfig(sandbox, uniqueTaskQueue('carry-pause'));
      const worker = await createTestWorker(temporal.env, config);
      await worker.runUntil(async () => {
        const first = await startProductSync(temporal.env.client, config, { pageSize: 100, pagesPerRun: 1 });
        // The CRM was counted (request 1) and the first page has reached it (request 2: its diff read
        // or, into an empty CRM, its write): the page is in flight, and it is the run's last page.
        await waitUntil(
          async () => (await sandbox.crmStats()) as unknown as { faults: { requests: number } },
          (stats) => stats.faults.requests >= 2,
          'the first page reaching the CRM',
        );
        await first.signal(pauseSignal);

        const latest = temporal.env.client.workflow.getHandle(first.workflowId);
        await waitUntil(
          async () => (await latest.describe()).runId,
          (runId) => runId !== first.firstExecutionRunId,
          'the continued run',
        );
        const progress = await waitUntil(
          () => latest.query(progressQuery),
          (p: SyncProgress) => p.state === 'Paused',
          'the continued run to be paused',
          20_000,
        );
        assert.equal(progress.pages, 1, 'the page in flight finished before the run continued as new');
        assert.equal((await latest.describe()).typedSearchAttributes.get(syncStatusKey), 'Paused', 'the UI shows the new run paused');
        await sleep(1_500);
        assert.equal(sandbox.crm.store.count(), 100, 'the paused run writes nothing past the first page');

        await latest.signal(resumeSignal);
        const summary = (await latest.result()) as ProductSyncSummary;
        assert.equal(summary.status, 'Completed');
        assert.equal(summary.counts.created, 300);
      });
    } finally {
      await sandbox.close();
    }
  });
});
