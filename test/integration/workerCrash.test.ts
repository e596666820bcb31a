import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { describe, test } from 'node:test';
import { progressQuery } from '../../workflows/messages';
import type { ProductSyncSummary } from '../../workflows/productSyncTypes';
import { crmToken, pmsToken, startSandbox, testConfig } from '../helpers/sandbox';
import { useTemporalServer } from '../helpers/temporalServer';
import { startProductSync, uniqueTaskQueue } from '../helpers/worker';

const repoRoot = path.resolve(__dirname, '../..');

/** A worker as operators run it: a separate `bridge worker` process configured by environment. */
function spawnWorker(env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', 'src/cli/bridge.ts', 'worker'], {
    cwd: repoRoot,
    env: { ...process.env, ...env, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('a worker killed in the middle of a run', () => {
  const temporal = useTemporalServer();

  test('a new worker completes the run: the CRM matches the PMS with no duplicates', async () => {
    // Slow CRM answers keep the run going long enough to kill the worker mid-way.
    const sandbox = await startSandbox({ products: 1500, crmFaults: { latencyMs: 60 } });
    const taskQueue = uniqueTaskQueue('crash');
    const config = testConfig(sandbox, taskQueue);
    const workerEnv = {
      TEMPORAL_ADDRESS: temporal.env.address,
      TEMPORAL_TASK_QUEUE: taskQueue,
      PMS_URL: sandbox.pmsUrl,
      PMS_TOKEN: pmsToken,
      CRM_URL: sandbox.crmUrl,
      CRM_TOKEN: crmToken,
      // Its own data directory, so no key file from a local `npm start` turns encryption on.
      BRIDGE_DATA_DIR: sandbox.dir,
    };
    let first: ChildProcess | undefined;
    let second: ChildProcess | undefined;
    try {
      first = spawnWorker(workerEnv);
      const handle = await startProductSync(temporal.env.client, config, { pageSize: 100, heartbeatTimeoutMs: 2_000 });
      await waitFor(async () => (await handle.query(progressQuery)).pages >= 3, 120_000, 'three pages to be done');
      first.kill('SIGKILL');
      assert.ok(sandbox.crm.store.count() < 1500, 'the worker died before the run was done');

      second = spawnWorker(workerEnv);
      const summary = (await handle.result()) as ProductSyncSummary;
      assert.equal(summary.status, 'Completed');
      assert.equal(sandbox.crm.store.count(), 1500, 'every product exactly once');
      const crmIds = new Set(sandbox.crm.store.all().map((r) => r.externalId));
      assert.equal(crmIds.size, 1500);
    } finally {
      first?.kill('SIGKILL');
      second?.kill('SIGTERM');
      await sandbox.close();
    }
  });
});
