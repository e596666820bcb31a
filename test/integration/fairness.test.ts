import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { productSync } from '../../workflows/productSync';
import { integrationPriority } from '../../src/temporal/integrationPriority';
import { crmToken, pmsToken, startSandbox, testConfig } from '../helpers/sandbox';
import { useTemporalServer } from '../helpers/temporalServer';
import { createTestWorker, uniqueTaskQueue } from '../helpers/worker';

describe('fair sharing: each integration has its own fairness key on a shared task queue', () => {
  const temporal = useTemporalServer();

  test('an integration of 100 products finishes its sync while one of 20,000 on the same task queue is still running', async () => {
    const big = await startSandbox({ products: 20_000 });
    const small = await startSandbox({ products: 100 });
    try {
      const system = (kind: 'sandbox-pms' | 'sandbox-crm', url: string) => ({
        kind,
        url,
        token: kind === 'sandbox-pms' ? pmsToken : crmToken,
        timeoutMs: 10_000,
      });
      const config = testConfig(big, uniqueTaskQueue('fairness'), {
        systems: {
          'pms-big': system('sandbox-pms', big.pmsUrl),
          'crm-big': system('sandbox-crm', big.crmUrl),
          'pms-small': system('sandbox-pms', small.pmsUrl),
          'crm-small': system('sandbox-crm', small.crmUrl),
        },
        productSyncs: [
          { id: 'big', source: 'pms-big', target: 'crm-big' },
          { id: 'small', source: 'pms-small', target: 'crm-small' },
        ],
        demandSyncs: [],
        // Two activity slots for both integrations: the task queue backs up.
        worker: { maxConcurrentActivities: 2 },
      });
      const worker = await createTestWorker(temporal.env, config);
      const client = temporal.env.client;
      await worker.runUntil(async () => {
        const start = (integrationId: string) =>
          client.workflow.start(productSync, {
            taskQueue: config.temporal.taskQueue,
            workflowId: `fair-sync-${integrationId}`,
            args: [{ integrationId, pageSize: 100, pagesPerRun: 5 }],
            priority: integrationPriority(integrationId),
          });
        const bigRun = await start('big');
        // The big sync is under way (its first run continued as new) before the small one starts.
        for (;;) {
          const first = await client.workflow.getHandle(bigRun.workflowId, bigRun.firstExecutionRunId).describe();
          if (first.status.name !== 'RUNNING') break;
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
        const smallRun = await start('small');
        const summary = await smallRun.result();
        assert.equal(summary.status, 'Completed');
        assert.equal(summary.counts.created, 100);

        const bigNow = await client.workflow.getHandle(bigRun.workflowId).describe();
        assert.equal(bigNow.status.name, 'RUNNING', 'the big sync is still running when the small one has finished');
        assert.ok(big.crm.store.count() < 20_000, 'the big catalogue is not all written yet');
        // The key stays with the integration across continue-as-new.
        assert.equal(bigNow.raw.workflowExecutionInfo?.priority?.fairnessKey, 'big');
        const smallDescribed = await smallRun.describe();
        assert.equal(smallDescribed.raw.workflowExecutionInfo?.priority?.fairnessKey, 'small');
        await bigRun.terminate('fairness test over');
      });
    } finally {
      await big.close();
      await small.close();
    }
  });
});
