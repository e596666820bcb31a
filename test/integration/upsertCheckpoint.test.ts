import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { startSandbox, testConfig } from '../helpers/sandbox';
import { assertCrmMatchesPms } from '../helpers/crmAssertions';
import { useTemporalServer } from '../helpers/temporalServer';
import { runProductSync, uniqueTaskQueue } from '../helpers/worker';

describe('a retried upsert resumes from its heartbeat checkpoint on a real Temporal server', () => {
  const temporal = useTemporalServer();

  test('the CRM fails after 3 of 6 batches; the retried attempt writes only the 3 batches the first had not finished', async () => {
    // Every CRM request takes 600 ms, longer than the 500 ms keep-alive, so keep-alive heartbeats
    // fall between the checkpoints and right before the failure: the checkpoint must survive them.
    const sandbox = await startSandbox({ products: 60, crmFaults: { latencyMs: 600 } });
    try {
      const config = testConfig(sandbox, uniqueTaskQueue('checkpoint'), {
        systems: {
          pms: { kind: 'sandbox-pms', url: sandbox.pmsUrl, token: 'test-pms-token', timeoutMs: 10_000 },
          crm: { kind: 'sandbox-crm', url: sandbox.crmUrl, token: 'test-crm-token', timeoutMs: 10_000, maxWriteBatch: 10 },
        },
      });
      await sandbox.setCrmFaults({ outageAfterWrites: { writes: 3, requests: 1 } });
      await sandbox.resetCrmStats();

      const summary = await runProductSync(temporal.env, config, {
        pageSize: 100,
        writeRetry: { initialIntervalMs: 100, maximumIntervalMs: 1_000, maximumAttempts: 5 },
      });

      assert.equal(summary.status, 'Completed');
      assert.equal(summary.counts.created, 60);
      const stats = await sandbox.crmStats();
      assert.equal(stats.recordsCreated, 60);
      assert.equal(stats.recordsUnchanged, 0, 'no record of a finished batch is written a second time');
      assert.equal(stats.upsertRequests, 6, '3 batches before the outage and 3 after it: 6 write requests for 6 batches');
      assertCrmMatchesPms(sandbox);
    } finally {
      await sandbox.close();
    }
  });
});
