import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { progressQuery } from '../../src/shared/messages';

import { postgresTargetFromEnvironment } from '../../src/temporal/postgresSchema';
import { startPostgresTemporal, type PostgresTemporal } from '../../src/temporal/postgresTemporal';
import { bridgeEnvironment, startSandbox, testConfig } from '../helpers/sandbox';
import { startProductSync, uniqueTaskQueue } from '../helpers/worker';
import { startWorkerProcess, stopWorkers, waitFor, waitUntilReady, type WorkerProcess } from '../helpers/workerProcesses';

const catalogSize = 2_000;

/**
 * The production topology without Docker: a Temporal server (built from the Go module proxy) on
 * the machine's PostgreSQL, in a database of its own, and two `bridge worker` processes. No skip:
 * when the server cannot be built or PostgreSQL is not there, this fails and says why.
 */
describe('Temporal on PostgreSQL with two bridge workers', () => {
  let temporal: PostgresTemporal;
  let client: Client;

  before(async () => {
    const target = postgresTargetFromEnvironment(process.env, { database: `bridge_test_${process.pid}_${Date.now()}` });
    temporal = await startPostgresTemporal({ target, log: (line) => process.stderr.write(`${line}\n`) });
    process.stderr.write(
      `Temporal on PostgreSQL: build ${temporal.timings.buildMs ?? 0} ms (0: cached), schema ${temporal.timings.schemaMs} ms, start ${temporal.timings.startMs} ms\n`,
    );
    client = new Client({ connection: await Connection.connect({ address: temporal.address }), namespace: temporal.namespace });
  });

  after(async () => {
    await client?.connection.close();
    await temporal?.stop();
    await temporal?.dropDatabases();
  });

  test('a full productSync of 2,000 products: one worker is killed mid-run, the other finishes and the CRM holds exactly the PMS catalog', async (t) => {
    // Slow CRM answers keep the run going long enough to kill a worker in the middle of it.
    const sandbox = await startSandbox({ products: catalogSize, crmFaults: { latencyMs: 40 } });
    const taskQueue = uniqueTaskQueue('postgres');
    const config = testConfig(sandbox, taskQueue);
    const workers: WorkerProcess[] = [];
    try {
      const env = bridgeEnvironment(temporal.address, sandbox, taskQueue);
      workers.push(await startWorkerProcess(env), await startWorkerProcess(env));
      await Promise.all(workers.map((worker) => waitUntilReady(worker)));

      const started = Date.now();
      const handle = await startProductSync(client, config, { pageSize: 100, heartbeatTimeoutMs: 2_000 });
      await waitFor(async () => (await handle.query(progressQuery)).pages >= 3, 120_000, 'three pages to be done');

      // Kill the worker that is running the activity at this moment, not just any worker.
      let victim: WorkerProcess | undefined;
      await waitFor(
        async () => {
          const { raw } = await handle.describe();
          const identity = raw.pendingActivities?.[0]?.lastWorkerIdentity ?? '';
          victim = workers.find((worker) => identity.startsWith(`${worker.child.pid}@`));
          return victim !== undefined;
        },
        60_000,
        'an activity running on one of the two workers',
      );
      victim!.child.kill('SIGKILL');
      assert.ok(sandbox.crm.store.count() < catalogSize, 'the worker died before the run was done');
      const survivor = workers.find((worker) => worker !== victim)!;

      const summary = await handle.result();
      const seconds = (Date.now() - started) / 1000;
      t.diagnostic(
        `2 workers on Temporal/PostgreSQL, one killed: ${catalogSize} products in ${seconds.toFixed(1)} s (${Math.round(catalogSize / seconds)} records/s)`,
      );
      assert.equal(summary.status, 'Completed');
      assert.equal(summary.counts.failed, 0);
      assert.equal(survivor.child.exitCode, null, 'the surviving worker is still running');

      const pms = sandbox.pmsProducts();
      const crm = sandbox.crm.store.all();
      assert.equal(crm.length, pms.length, 'as many CRM records as PMS products, none duplicated');
      const crmById = new Map(crm.map((record) => [record.externalId, record]));
      for (const product of pms) {
        const record = crmById.get(product.id);
        assert.ok(record, `${product.id} is in the CRM`);
        assert.equal(record.properties.name, product.name);
        assert.equal(record.properties.sku, product.sku);
        assert.equal(record.properties.stock, product.stock);
      }
    } finally {
      stopWorkers(workers);
      await Promise.all(workers.map((worker) => worker.exited));
      await sandbox.close();
    }
  });

  test('two workers, no faults: 2,000 products land once each, and a second full run finds them unchanged and writes nothing', async (t) => {
    const sandbox = await startSandbox({ products: catalogSize });
    const taskQueue = uniqueTaskQueue('postgres-clean');
    const config = testConfig(sandbox, taskQueue);
    const workers: WorkerProcess[] = [];
    try {
      const env = bridgeEnvironment(temporal.address, sandbox, taskQueue);
      workers.push(await startWorkerProcess(env), await startWorkerProcess(env));
      await Promise.all(workers.map((worker) => waitUntilReady(worker)));

      let started = Date.now();
      const first = await (await startProductSync(client, config, { watermark: null })).result();
      const firstSeconds = (Date.now() - started) / 1000;
      assert.equal(first.status, 'Completed');
      assert.equal(first.counts.created, catalogSize);
      assert.equal(sandbox.crm.store.count(), catalogSize);

      await sandbox.resetCrmStats();
      started = Date.now();
      const second = await (await startProductSync(client, config, { watermark: null })).result();
      const secondSeconds = (Date.now() - started) / 1000;
      assert.equal(second.counts.unchanged, catalogSize);
      assert.equal((await sandbox.crmStats()).upsertRequests, 0, 'nothing written the second time');
      t.diagnostic(
        `2 workers on Temporal/PostgreSQL: first run ${firstSeconds.toFixed(1)} s (${Math.round(catalogSize / firstSeconds)} records/s), ` +
          `unchanged re-run ${secondSeconds.toFixed(1)} s (${Math.round(catalogSize / secondSeconds)} records/s)`,
      );
    } finally {
      stopWorkers(workers);
      await Promise.all(workers.map((worker) => worker.exited));
      await sandbox.close();
    }
  });
});
