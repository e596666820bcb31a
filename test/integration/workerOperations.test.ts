import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { temporal as temporalProto } from '@temporalio/proto';

import { generateProducts } from '../../src/sandbox/seed';
import { bridgeEnvironment, crmToken, startSandbox, testConfig } from '../helpers/sandbox';
import { useTemporalServer } from '../helpers/temporalServer';
import { startProductSync, uniqueTaskQueue } from '../helpers/worker';
import { metricSum, startWorkerProcess, stopWorkers, waitFor, waitUntilReady, type WorkerProcess } from '../helpers/workerProcesses';
import { demandMapping } from '../../workflows/demandMapping';

describe('a bridge worker process in operation', () => {
  const temporal = useTemporalServer();

  test("after a run, the worker's Prometheus endpoint shows the run's counts, the 429 answers, the run duration and the SDK's own metrics", async () => {
    const sandbox = await startSandbox({ products: 0 });
    const taskQueue = uniqueTaskQueue('metrics');
    const workers: WorkerProcess[] = [];
    try {
      const products = generateProducts(300, 5);
      const invalid = new Set([products[10]!.id, products[200]!.id]);
      const tooLongForCrm = new Set([products[50]!.id, products[250]!.id]);
      for (const product of products) {
        if (invalid.has(product.id)) await sandbox.putProduct(product.id, { ...product, price: { amount: -1, currency: 'EUR' } });
        else if (tooLongForCrm.has(product.id)) await sandbox.putProduct(product.id, { ...product, name: product.name.padEnd(150, 'x') });
        else await sandbox.putProduct(product.id, product);
      }
      await sandbox.setCrmFaults({ throttleNext: 3, retryAfterSeconds: 1 });
      // The CRM itself refuses the too-long names (no limit check before the write), so they fail.
      const configFile = path.join(sandbox.dir, 'bridge.yaml');
      writeFileSync(
        configFile,
        `systems:\n  crm: { kind: sandbox-crm, url: ${sandbox.crmUrl}, token: ${crmToken}, checkFieldLimits: false }\n`,
      );
      workers.push(await startWorkerProcess({ ...bridgeEnvironment(temporal.env.address, sandbox, taskQueue), BRIDGE_CONFIG: configFile }));
      await waitUntilReady(workers[0]!);
      const health = await fetch(`${workers[0]!.healthUrl}/healthz`);
      assert.deepEqual([health.status, await health.json()], [200, { status: 'ok', worker: 'RUNNING' }]);

      const config = testConfig(sandbox, taskQueue);
      const summary = await (await startProductSync(temporal.env.client, config, { pageSize: 50 })).result();
      assert.equal(summary.status, 'CompletedWithFailures');
      assert.deepEqual([summary.counts.rejected, summary.counts.failed], [2, 2]);

      const text = await (await fetch(workers[0]!.metricsUrl)).text();
      const ofIntegration = { integration: 'products' };
      assert.equal(metricSum(text, 'bridge_records_fetched', ofIntegration), summary.counts.fetched);
      assert.equal(
        metricSum(text, 'bridge_records_written', ofIntegration),
        summary.counts.created + summary.counts.updated + summary.counts.archived,
      );
      assert.equal(metricSum(text, 'bridge_records_unchanged', ofIntegration), summary.counts.unchanged);
      assert.equal(metricSum(text, 'bridge_records_rejected', ofIntegration), summary.counts.rejected);
      assert.equal(metricSum(text, 'bridge_records_failed', ofIntegration), summary.counts.failed);
      assert.equal(
        metricSum(text, 'bridge_rate_limited_responses', { ...ofIntegration, system: 'CRM' }),
        3,
        'the three 429 answers the CRM gave',
      );
      assert.equal(metricSum(text, 'bridge_sync_lag_seconds', ofIntegration), 0, 'the run read the feed to its end');
      const run = { ...ofIntegration, status: 'CompletedWithFailures' };
      assert.equal(metricSum(text, 'bridge_sync_run_duration_count', run), 1);
      assert.equal(metricSum(text, 'bridge_sync_run_duration_sum', run), summary.durationMs);
      assert.equal(metricSum(text, 'bridge_sync_runs', run), 1);
      assert.ok(metricSum(text, 'temporal_activity_execution_latency_count') > 0, "the SDK's own metrics are on the same endpoint");
    } finally {
      stopWorkers(workers);
      await Promise.all(workers.map((worker) => worker.exited));
      await sandbox.close();
    }
  });

  test("after a demand mapping run, the worker's metrics show its demands and orders fetched, rejected and written", async () => {
    const sandbox = await startSandbox({ products: 500, customers: true });
    const taskQueue = uniqueTaskQueue('demand-metrics');
    const workers: WorkerProcess[] = [];
    try {
      workers.push(await startWorkerProcess(bridgeEnvironment(temporal.env.address, sandbox, taskQueue)));
      await waitUntilReady(workers[0]!);
      const config = testConfig(sandbox, taskQueue);
      await (await startProductSync(temporal.env.client, config, {})).result();
      const handle = await temporal.env.client.workflow.start(demandMapping, {
        taskQueue,
        workflowId: `demand-metrics-${Date.now()}`,
        args: [{}],
      });
      const summary = await handle.result();

      const text = await (await fetch(workers[0]!.metricsUrl)).text();
      const demands = { integration: 'demands', sync: 'demandMapping' };
      const orders = { integration: 'demands', sync: 'orderSignals' };
      assert.equal(metricSum(text, 'bridge_records_fetched', demands), summary.demands.fetched);
      assert.equal(metricSum(text, 'bridge_records_rejected', demands), summary.demands.rejected);
      assert.equal(
        metricSum(text, 'bridge_records_written', demands),
        summary.demands.created + summary.demands.linked + summary.demands.updated,
      );
      assert.equal(metricSum(text, 'bridge_records_fetched', orders), summary.orders.fetched);
      assert.equal(metricSum(text, 'bridge_records_written', orders), summary.orders.signals);
      assert.equal(metricSum(text, 'bridge_sync_runs', { integration: 'demands', status: summary.status }), 1);
    } finally {
      stopWorkers(workers);
      await Promise.all(workers.map((worker) => worker.exited));
      await sandbox.close();
    }
  });

  test('SIGTERM during an activity: the worker finishes that activity, exits with code 0 within its grace time, and another worker completes the run', async (t) => {
    const graceMs = 3_000;
    // Every CRM answer takes a second, so the SIGTERM lands while an activity waits on the CRM.
    const sandbox = await startSandbox({ products: 300, crmFaults: { latencyMs: 1_000 } });
    const taskQueue = uniqueTaskQueue('sigterm');
    const env = { ...bridgeEnvironment(temporal.env.address, sandbox, taskQueue), BRIDGE_SHUTDOWN_GRACE_MS: String(graceMs) };
    const workers: WorkerProcess[] = [];
    try {
      const first = await startWorkerProcess(env);
      workers.push(first);
      await waitUntilReady(first);
      const handle = await startProductSync(temporal.env.client, testConfig(sandbox, taskQueue), {
        pageSize: 100,
        heartbeatTimeoutMs: 2_000,
      });
      let running: { activityId: string } | undefined;
      await waitFor(
        async () => {
          const pending = (await handle.describe()).raw.pendingActivities?.[0];
          const started = pending?.state === temporalProto.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED;
          if (started && pending?.lastWorkerIdentity?.startsWith(`${first.child.pid}@`)) running = { activityId: pending.activityId! };
          return running !== undefined;
        },
        60_000,
        'an activity running on the worker',
      );

      const signalled = Date.now();
      first.child.kill('SIGTERM');
      const { code, signal } = await first.exited;
      const tookMs = Date.now() - signalled;
      t.diagnostic(`SIGTERM to exit: ${tookMs} ms (grace time ${graceMs} ms)`);
      assert.deepEqual({ code, signal }, { code: 0, signal: null });
      assert.ok(tookMs < graceMs + 5_000, `the worker took ${tookMs} ms to stop; its grace time is ${graceMs} ms`);
      assert.ok(sandbox.crm.store.count() < 300, 'the worker stopped before the run was done');

      workers.push(await startWorkerProcess(env));
      const summary = await handle.result();
      assert.equal(summary.status, 'Completed');
      assert.equal(sandbox.crm.store.count(), 300);

      // The activity in flight at SIGTERM completed on its first attempt, on the stopping worker.
      const events = (await handle.fetchHistory()).events ?? [];
      const scheduled = events.find((e) => e.activityTaskScheduledEventAttributes?.activityId === running!.activityId);
      const started = events.find((e) => Number(e.activityTaskStartedEventAttributes?.scheduledEventId) === Number(scheduled?.eventId));
      const completed = events.find((e) => Number(e.activityTaskCompletedEventAttributes?.scheduledEventId) === Number(scheduled?.eventId));
      assert.ok(completed, 'the activity running at SIGTERM completed');
      assert.equal(started?.activityTaskStartedEventAttributes?.attempt, 1);
      assert.ok(
        started?.activityTaskStartedEventAttributes?.identity?.startsWith(`${first.child.pid}@`),
        'it completed on the worker that was stopping',
      );
    } finally {
      stopWorkers(workers);
      await Promise.all(workers.map((worker) => worker.exited));
      await sandbox.close();
    }
  });
});
