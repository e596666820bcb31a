import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Client } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { productChangedSignal, streamProgressQuery } from '../../src/shared/messages';
import { createLogger } from '../../src/logging/logger';
import { createBridgeWorker } from '../../src/temporal/worker';
import { productChangeStream } from '../../workflows/productChangeStream';
import { productSync } from '../../workflows/productSync';
import { startSandbox, testConfig } from '../helpers/sandbox';
import { useTemporalServer, workflowBundle } from '../helpers/temporalServer';
import { uniqueTaskQueue } from '../helpers/worker';
import type { BridgeConfig } from '../../src/config/configSchema';

const deploymentName = 'bridge-versioning-test';

/**
 * Makes a version current as an operator does (`temporal worker deployment set-current-version`
 * calls the same API). The server knows a version once one of its workers has polled: until then
 * the call is refused, so it is asked again.
 */
async function setCurrentVersion(client: Client, buildId: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await client.workflowService.setWorkerDeploymentCurrentVersion({
        namespace: client.options.namespace,
        deploymentName,
        buildId,
        identity: 'workerVersioning.test',
      });
      return;
    } catch (error) {
      if (attempt >= 120) throw error;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

/** The build id of every completed workflow task of a run, in order. */
async function taskBuildIds(client: Client, workflowId: string, runId?: string): Promise<string[]> {
  const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
  assert.equal(history.events?.filter((event) => event.workflowTaskFailedEventAttributes).length, 0, 'no workflow task failed');
  return (history.events ?? [])
    .map((event) => event.workflowTaskCompletedEventAttributes?.deploymentVersion?.buildId)
    .filter((buildId): buildId is string => Boolean(buildId));
}

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('Worker Versioning: a rollout while a run is in flight, and a rollback', () => {
  const temporal = useTemporalServer();

  test('an auto-upgrade run moves from build v1 to v2 without a determinism error, and after a rollback new runs go to v1', async () => {
    const sandbox = await startSandbox({ products: 20 });
    const workers: Array<{ worker: Worker; running: Promise<void> }> = [];
    try {
      const base = testConfig(sandbox, uniqueTaskQueue('versioning'));
      const build = (buildId: string): BridgeConfig => ({ ...base, worker: { ...base.worker, versioning: 'on', deploymentName, buildId } });
      const start = async (config: BridgeConfig) => {
        const worker = await createBridgeWorker({
          config,
          connection: temporal.env.nativeConnection,
          logger: createLogger('test-worker', { level: 'warn' }),
          workflowBundle: await workflowBundle(),
        });
        workers.push({ worker, running: worker.run() });
      };
      const client = temporal.env.client;
      const [first, second, third] = sandbox.pmsProducts();
      const change = (product: typeof first) => ({ productId: product!.id, updatedAt: product!.updatedAt, deleted: false });

      await start(build('v1'));
      await setCurrentVersion(client, 'v1');
      const stream = await client.workflow.signalWithStart(productChangeStream, {
        taskQueue: base.temporal.taskQueue,
        workflowId: 'versioned-change-stream',
        args: [{ integrationId: 'products', windowMs: 0 }],
        signal: productChangedSignal,
        signalArgs: [change(first)],
      });
      await until(
        () => stream.query(streamProgressQuery),
        (progress) => progress.totals.batches >= 1,
      );

      // Rollout: v2 starts beside v1 and becomes current while the stream is in flight.
      await start(build('v2'));
      await setCurrentVersion(client, 'v2');
      await stream.signal(productChangedSignal, change(second));
      await until(
        () => stream.query(streamProgressQuery),
        (progress) => progress.totals.batches >= 2,
      );
      const afterRollout = await taskBuildIds(client, stream.workflowId);
      assert.equal(afterRollout[0], 'v1', 'the run began on v1');
      assert.equal(afterRollout.at(-1), 'v2', 'and moved on to v2 with its next task');
      const described = await client.workflowService.describeWorkflowExecution({
        namespace: client.options.namespace,
        execution: { workflowId: stream.workflowId },
      });
      assert.equal(described.workflowExecutionInfo?.versioningInfo?.deploymentVersion?.buildId, 'v2');

      // Rollback: v1 is current again; a new run starts there, and the stream moves back too.
      await setCurrentVersion(client, 'v1');
      const sync = await client.workflow.start(productSync, {
        taskQueue: base.temporal.taskQueue,
        workflowId: 'sync-after-rollback',
        args: [{ integrationId: 'products' }],
      });
      const summary = await sync.result();
      assert.equal(summary.status, 'Completed');
      const syncBuilds = new Set(await taskBuildIds(client, sync.workflowId));
      assert.deepEqual([...syncBuilds], ['v1'], 'every task of the new run ran on v1');

      await stream.signal(productChangedSignal, change(third));
      await until(
        () => stream.query(streamProgressQuery),
        (progress) => progress.totals.batches >= 3,
      );
      assert.equal((await taskBuildIds(client, stream.workflowId)).at(-1), 'v1');
      await stream.terminate('test over');
    } finally {
      for (const { worker } of workers) worker.shutdown();
      await Promise.all(workers.map(({ running }) => running));
      await sandbox.close();
    }
  });
});
