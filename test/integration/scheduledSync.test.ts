import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { pauseSignal, progressQuery, resumeSignal } from '../../src/shared/messages';
import type { ProductSyncSummary } from '../../src/shared/productSyncContract';
import { ensureSchedule, triggerSchedule } from '../../src/temporal/schedules';
import { productSyncStart } from '../../src/temporal/syncSchedules';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { generateProducts } from '../../src/sandbox/seed';
import { ensureTemporalCli } from '../../src/temporal/temporalCli';
import { startSandbox, testConfig, withoutFieldLimitChecks } from '../helpers/sandbox';
import { useTemporalServer } from '../helpers/temporalServer';
import { createTestWorker, startProductSync, uniqueTaskQueue } from '../helpers/worker';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const run = promisify(execFile);

describe('scheduled and operator-steered productSync runs', () => {
  const temporal = useTemporalServer();

  test('a schedule passes the watermark from run to run: after 10 products change, the next run writes exactly those 10', async () => {
    const sandbox = await startSandbox({ products: 400 });
    try {
      const config = testConfig(sandbox, uniqueTaskQueue('schedule'));
      const sync = {
        ...config.productSyncs[0]!,
        id: `sched-${Date.now()}`,
        overlapMs: 0,
        schedule: { ...config.productSyncs[0]!.schedule, every: '1h', paused: true },
      };
      config.productSyncs = [sync];
      const start = productSyncStart(sync);
      assert.equal(await ensureSchedule(temporal.env.client, start, config.temporal.taskQueue), 'create');
      assert.equal(await ensureSchedule(temporal.env.client, start, config.temporal.taskQueue), 'unchanged');
      const worker = await createTestWorker(temporal.env, config);
      await worker.runUntil(async () => {
        const runOnce = async () => {
          const { workflowId, runId } = await triggerSchedule(temporal.env.client, start.scheduleId);
          return (await temporal.env.client.workflow.getHandle(workflowId, runId).result()) as ProductSyncSummary;
        };
        const first = await runOnce();
        assert.equal(first.counts.created, 400);
        assert.ok(first.watermark);

        const changed = sandbox.pmsProducts().slice(100, 110);
        for (const product of changed) await sandbox.putProduct(product.id, { ...product, stock: 9999 });
        await sandbox.resetCrmStats();
        const second = await runOnce();
        assert.equal(second.counts.updated, 10);
        assert.equal(second.counts.created, 0);
        const stats = await sandbox.crmStats();
        assert.equal(stats.recordsUpdated, 10, 'exactly the 10 changed products were written');
        assert.equal(stats.recordsCreated, 0);
        assert.equal(second.counts.fetched, 10, 'the second run read only what changed since the watermark');
      });
      await temporal.env.client.schedule.getHandle(start.scheduleId).delete();
    } finally {
      await sandbox.close();
    }
  });

  test('a record the CRM refuses every time is retried by the next scheduled runs, then parked, and the watermark moves on', async () => {
    const sandbox = await startSandbox({ products: 0 });
    try {
      const products = generateProducts(50, 9);
      for (const [index, product] of products.entries()) {
        await sandbox.putProduct(product.id, index === 20 ? { ...product, name: product.name.padEnd(150, 'x') } : product);
      }
      // The CRM itself refuses the long name (no limit check before the write), so the record fails.
      const config = withoutFieldLimitChecks(testConfig(sandbox, uniqueTaskQueue('park')));
      const sync = {
        ...config.productSyncs[0]!,
        id: `park-${Date.now()}`,
        overlapMs: 0,
        schedule: { ...config.productSyncs[0]!.schedule, every: '1h', paused: true },
      };
      config.productSyncs = [sync];
      const start = productSyncStart(sync);
      await ensureSchedule(temporal.env.client, start, config.temporal.taskQueue);
      const worker = await createTestWorker(temporal.env, config);
      const offender = products[20]!.id;
      await worker.runUntil(async () => {
        const runOnce = async () => {
          const { workflowId, runId } = await triggerSchedule(temporal.env.client, start.scheduleId);
          return (await temporal.env.client.workflow.getHandle(workflowId, runId).result()) as ProductSyncSummary;
        };
        const first = await runOnce();
        assert.deepEqual(
          first.failed.map((f) => [f.id, f.attempts]),
          [[offender, 1]],
        );
        const second = await runOnce();
        assert.deepEqual(
          second.failed.map((f) => [f.id, f.attempts]),
          [[offender, 2]],
        );
        assert.equal(second.counts.fetched, 30, 'the watermark held at the failed record, so the run re-read from there');
        const third = await runOnce();
        assert.deepEqual(
          third.parked.map((f) => [f.id, f.attempts]),
          [[offender, 3]],
        );
        assert.equal(third.failed.length, 0);
        const fourth = await runOnce();
        assert.equal(fourth.counts.fetched, 0, 'past the parked record, nothing is read again');
        assert.deepEqual(
          fourth.parked.map((f) => f.id),
          [offender],
          'the parked record stays listed',
        );
      });
      await temporal.env.client.schedule.getHandle(start.scheduleId).delete();
    } finally {
      await sandbox.close();
    }
  });

  test('the Temporal CLI pauses and resumes a run by signal name, as an operator would', async () => {
    const sandbox = await startSandbox({ products: 400, crmFaults: { latencyMs: 20 } });
    try {
      const config = testConfig(sandbox, uniqueTaskQueue('cli-signal'));
      const worker = await createTestWorker(temporal.env, config);
      const cli = (await ensureTemporalCli()).path;
      const signal = (workflowId: string, name: string) =>
        run(cli, ['workflow', 'signal', '--workflow-id', workflowId, '--name', name, '--address', temporal.env.address]);
      await worker.runUntil(async () => {
        const handle = await startProductSync(temporal.env.client, config, { pageSize: 100 });
        await signal(handle.workflowId, 'pause');
        let progress = await handle.query(progressQuery);
        for (let i = 0; i < 50 && progress.state !== 'Paused'; i++) {
          await sleep(100);
          progress = await handle.query(progressQuery);
        }
        assert.equal(progress.state, 'Paused');
        await signal(handle.workflowId, 'resume');
        const summary = await handle.result();
        assert.equal(summary.counts.created, 400);
      });
    } finally {
      await sandbox.close();
    }
  });

  test('a paused run writes nothing until resumed, then ends as an uninterrupted run would', async () => {
    const sandbox = await startSandbox({ products: 600, crmFaults: { latencyMs: 20 } });
    try {
      const config = testConfig(sandbox, uniqueTaskQueue('pause'));
      const worker = await createTestWorker(temporal.env, config);
      await worker.runUntil(async () => {
        const handle = await startProductSync(temporal.env.client, config, { pageSize: 100 });
        await handle.signal(pauseSignal);
        let progress = await handle.query(progressQuery);
        for (let i = 0; i < 50 && progress.state !== 'Paused'; i++) {
          await sleep(100);
          progress = await handle.query(progressQuery);
        }
        assert.equal(progress.state, 'Paused');
        await sleep(500); // let the page in flight finish
        const countWhenPaused = sandbox.crm.store.count();
        await sleep(1_500);
        assert.equal(sandbox.crm.store.count(), countWhenPaused, 'no write reaches the CRM while paused');
        assert.ok(countWhenPaused < 600);

        await handle.signal(resumeSignal);
        const summary = await handle.result();
        assert.equal(summary.status, 'Completed');
        assert.equal(summary.counts.created, 600);
        assert.equal(sandbox.crm.store.count(), 600);
      });
    } finally {
      await sandbox.close();
    }
  });
});
