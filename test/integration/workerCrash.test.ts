import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { describe, test } from 'node:test';
import { progressQuery } from '../../src/shared/messages';

import { generateCustomers } from '../../src/sandbox/crmCustomerSeed';
import { bridgeEnvironment, startSandbox, testConfig } from '../helpers/sandbox';
import { useTemporalServer } from '../helpers/temporalServer';
import { startProductSync, uniqueTaskQueue } from '../helpers/worker';
import { demandMapping } from '../../workflows/demandMapping';

const repoRoot = path.resolve(__dirname, '../..');

/** A worker as operators run it: a separate `bridge worker` process configured by environment. */
function spawnWorker(env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', 'src/cli/bridge.ts', 'worker'], {
    cwd: repoRoot,
    env: { ...process.env, ...env, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

/** The worker processes a test starts, so that it can stop every one of them whatever happens. */
function workerProcesses(env: Record<string, string>) {
  const started: ChildProcess[] = [];
  return {
    start: (): ChildProcess => {
      const worker = spawnWorker(env);
      started.push(worker);
      return worker;
    },
    stopAll: (): void => {
      for (const worker of started) if (worker.exitCode === null && worker.signalCode === null) worker.kill('SIGTERM');
    },
  };
}

/**
 * Polls `check` until it holds. A query sent before the just-spawned worker polls times out on the
 * server (after 30 s, "query timed out before a worker could process it"): that is asked again.
 */
async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: Error | undefined;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (error) {
      lastError = error as Error;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`timed out waiting for ${what}${lastError ? ` (last error: ${lastError.message})` : ''}`);
}

describe('a worker killed in the middle of a run', () => {
  const temporal = useTemporalServer();

  test('a new worker completes the run: the CRM matches the PMS with no duplicates', async () => {
    // Slow CRM answers keep the run going long enough to kill the worker mid-way.
    const sandbox = await startSandbox({ products: 1500, crmFaults: { latencyMs: 60 } });
    const taskQueue = uniqueTaskQueue('crash');
    const config = testConfig(sandbox, taskQueue);
    const workers = workerProcesses(bridgeEnvironment(temporal.env.address, sandbox, taskQueue));
    try {
      const first = workers.start();
      const handle = await startProductSync(temporal.env.client, config, { pageSize: 100, heartbeatTimeoutMs: 2_000 });
      await waitFor(async () => (await handle.query(progressQuery)).pages >= 3, 120_000, 'three pages to be done');
      first.kill('SIGKILL');
      assert.ok(sandbox.crm.store.count() < 1500, 'the worker died before the run was done');

      workers.start();
      const summary = await handle.result();
      assert.equal(summary.status, 'Completed');
      assert.equal(sandbox.crm.store.count(), 1500, 'every product exactly once');
      const crmIds = new Set(sandbox.crm.store.all().map((r) => r.externalId));
      assert.equal(crmIds.size, 1500);
    } finally {
      workers.stopAll();
      await sandbox.close();
    }
  });

  test('demand mapping killed mid-run: after a new worker finishes it, no requirement is duplicated and order quantities equal the sum of order lines', async () => {
    const sandbox = await startSandbox({ products: 500, customers: true });
    const taskQueue = uniqueTaskQueue('crash-demands');
    const config = testConfig(sandbox, taskQueue);
    const workers = workerProcesses(bridgeEnvironment(temporal.env.address, sandbox, taskQueue));
    try {
      const first = workers.start();
      await (await startProductSync(temporal.env.client, config, {})).result();
      // Slow PMS answers keep the demand run going long enough to kill the worker mid-way.
      await sandbox.pmsApi('PUT', '/_admin/faults', { latencyMs: 15 });
      const handle = await temporal.env.client.workflow.start(demandMapping, {
        taskQueue,
        workflowId: `crash-demands-${Date.now()}`,
        args: [{ pageSize: 20, heartbeatTimeoutMs: 2_000 }],
      });
      await waitFor(async () => (await handle.query(progressQuery)).pages >= 2, 120_000, 'two demand pages to be done');
      first.kill('SIGKILL');
      workers.start();
      const summary = await handle.result();
      assert.equal(summary.status, 'Completed');

      // Every demand is on exactly one requirement, and every requirement lists a demand once.
      const requirements = sandbox.pms.requirements.listChanges({ limit: 1000 }).data;
      const links = requirements.flatMap((r) => r.demands.map((d) => d.demandId));
      assert.equal(new Set(links).size, links.length, 'no demand is linked twice');
      const { demands, orders } = generateCustomers();
      assert.equal(links.length, demands.length - 2, 'every demand but the two with an unknown SKU is linked');

      // Order quantities per product and month equal the sum of the order lines.
      const expected = new Map<string, number>();
      for (const order of orders) {
        for (const line of order.lines) {
          const key = `P-${line.sku.slice(4)}|${order.orderedAt.slice(0, 7)}`;
          expected.set(key, (expected.get(key) ?? 0) + line.quantity);
        }
      }
      const actual = new Map(sandbox.pms.demandSignals.list({}).map((s) => [`${s.productId}|${s.period}`, s.quantity]));
      assert.deepEqual(actual, expected);
    } finally {
      workers.stopAll();
      await sandbox.close();
    }
  });
});
