import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { WorkflowUpdateFailedError, type Client, type WorkflowHandle } from '@temporalio/client';
import { stringify as toYaml } from 'yaml';
import { defaultFieldMapping } from '../../src/domain/fieldMapping';
import { generateProducts } from '../../src/sandbox/seed';
import {
  cancelAfterBatchUpdate,
  failuresQuery,
  pauseUpdate,
  progressQuery,
  resumeUpdate,
  retryFailedUpdate,
  skipFailedUpdate,
} from '../../src/shared/messages';
import type { ProductSyncSummary } from '../../src/shared/productSyncContract';
import { leaveOperatorRequest, triggerSchedule } from '../../src/temporal/schedules';
import { bridge } from '../helpers/bridgeCli';
import { bridgeEnvironment, startSandbox, testConfig, withoutFieldLimitChecks } from '../helpers/sandbox';
import { useTemporalServer } from '../helpers/temporalServer';
import { createTestWorker, startProductSync, uniqueTaskQueue } from '../helpers/worker';
import { demandMapping } from '../../workflows/demandMapping';
import { demandStatus } from '../../workflows/demandStatus';
import { productChangeStream } from '../../workflows/productChangeStream';
import { waitUntil } from '../helpers/waitUntil';

/** The reason a workflow's validator gave for refusing an update. */
async function refusal(update: Promise<unknown>): Promise<string> {
  try {
    await update;
  } catch (error) {
    assert.ok(error instanceof WorkflowUpdateFailedError, `expected a refused update, got ${String(error)}`);
    return error.cause?.message ?? error.message;
  }
  assert.fail('the update was accepted');
}

/** The names of the updates the history records as accepted: a refused update leaves no event at all. */
async function acceptedUpdates(client: Client, workflowId: string): Promise<string[]> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const events = history.events ?? [];
  assert.ok(!events.some((event) => event.workflowExecutionUpdateRejectedEventAttributes), 'no rejection is written to the history');
  return events.flatMap((event) => {
    const name = event.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name;
    return name ? [name] : [];
  });
}

describe('operator updates on a real Temporal server: answers, refusals with reasons, nothing in the history for a refusal', () => {
  const temporal = useTemporalServer();

  test('productSync answers pause, skipFailed, retryFailed, resume and cancelAfterBatch, and refuses what cannot apply with the reason; bridge exits 4 on a refusal', async () => {
    // Every CRM call takes 300 ms, so the run is still going while bridge (a new process) sends its updates.
    const sandbox = await startSandbox({ products: 0, crmFaults: { latencyMs: 300 } });
    try {
      const products = generateProducts(60, 21);
      const [skipped, retried] = [products[0]!.id, products[1]!.id];
      for (const product of products) {
        const tooLongForTheCrm = product.id === skipped || product.id === retried;
        await sandbox.putProduct(product.id, tooLongForTheCrm ? { ...product, name: product.name.padEnd(150, 'x') } : product);
      }
      const taskQueue = uniqueTaskQueue('updates');
      // The CRM itself refuses the too-long names (no limit check before the write), so they fail.
      const config = withoutFieldLimitChecks(testConfig(sandbox, taskQueue));
      const env = { ...bridgeEnvironment(temporal.env.address, sandbox, taskQueue), BRIDGE_CONFIG: path.join(sandbox.dir, 'none.yaml') };
      writeFileSync(env.BRIDGE_CONFIG, toYaml({ productSyncs: [{ id: 'products', source: 'pms', target: 'crm' }], demandSyncs: [] }));
      const worker = await createTestWorker(temporal.env, config);
      await worker.runUntil(async () => {
        const handle = await startProductSync(temporal.env.client, config, {
          pageSize: 3,
          retry: { initialIntervalMs: 50, maximumIntervalMs: 100, maximumAttempts: 2 },
        });
        await waitUntil(
          () => handle.query(failuresQuery),
          (report) => report.failed.length + report.parked.length === 2,
          'the two too-long records to fail on the first page',
        );

        assert.match(await refusal(handle.executeUpdate(resumeUpdate)), /^resume refused: not paused: the run is Running$/);
        const paused = await bridge(['pause', handle.workflowId], env);
        assert.equal(paused.code, 0, paused.stderr);
        assert.match(paused.stdout, new RegExp(`^${handle.workflowId}: pausing after page \\d+: the batch in flight finishes first`, 'm'));
        const again = await bridge(['pause', handle.workflowId], env);
        assert.equal(again.code, 4, 'a refusal exits 4');
        assert.match(again.stderr, /pause refused: already paused/);
        assert.equal((await handle.query(progressQuery)).state, 'Paused');

        assert.match(
          await refusal(handle.executeUpdate(retryFailedUpdate, { args: [{ ids: ['P-NOT-THERE'] }] })),
          /^retryFailed refused: unknown ids: P-NOT-THERE \(not failed or parked/,
        );
        assert.match(
          await refusal(handle.executeUpdate(retryFailedUpdate, { args: [{ ids: 'P-1' } as never] })),
          /^retryFailed refused: ids: ids must be a list of record ids/,
        );
        assert.match(
          await refusal(handle.executeUpdate(skipFailedUpdate, { args: [{ ids: [skipped] } as never] })),
          /^skipFailed refused: reason: reason is required/,
        );
        assert.equal(
          await handle.executeUpdate(skipFailedUpdate, { args: [{ ids: [skipped], reason: 'legacy product, retired next month' }] }),
          `skipping 1 record: ${skipped} (reason kept for audit: legacy product, retired next month)`,
        );
        assert.match(
          await handle.executeUpdate(retryFailedUpdate, { args: [{ ids: [retried] }] }),
          new RegExp(`^retrying 1 record: ${retried} \\(after page \\d+\\)$`),
        );
        const resumed = await bridge(['resume', handle.workflowId], env);
        assert.equal(resumed.code, 0, resumed.stderr);
        assert.match(resumed.stdout, /resuming with page \d+/);
        assert.match(
          await handle.executeUpdate(cancelAfterBatchUpdate),
          /^cancelling after page \d+: the batch in flight finishes, then the run ends with a summary$/,
        );
        assert.match(await refusal(handle.executeUpdate(cancelAfterBatchUpdate)), /^cancelAfterBatch refused: the run ends after page \d+/);

        const summary = await handle.result();
        assert.equal(summary.status, 'Cancelled');
        assert.ok(summary.counts.fetched < 60, 'the run ended before the catalog did');
        assert.deepEqual(
          summary.skippedFailures.map((s) => [s.id, s.reason]),
          [[skipped, 'legacy product, retired next month']],
        );
        assert.deepEqual(
          [...summary.failed, ...summary.parked].map((f) => f.id),
          [retried],
          'the retried record failed again and stays',
        );
        assert.deepEqual(
          await acceptedUpdates(temporal.env.client, handle.workflowId),
          ['pause', 'skipFailed', 'retryFailed', 'resume', 'cancelAfterBatch'],
          'only the accepted updates are in the history',
        );
      });
    } finally {
      await sandbox.close();
    }
  });

  test('demandMapping, demandStatus and productChangeStream answer pause, resume and cancelAfterBatch, and refuse retry and skip from their own state', async () => {
    const sandbox = await startSandbox({ products: 5 });
    try {
      const config = testConfig(sandbox, uniqueTaskQueue('updates-others'));
      const start = (workflow: typeof demandMapping | typeof demandStatus | typeof productChangeStream, id: string) =>
        temporal.env.client.workflow.start(workflow as typeof demandStatus, {
          taskQueue: config.temporal.taskQueue,
          workflowId: `${id}-${Date.now()}`,
          args: [{ integrationId: 'demands' }],
        });
      // Started before the worker: the pause is in the run's first workflow task, before any page.
      const runs: Array<[string, WorkflowHandle<typeof demandStatus>, string]> = [
        ['demandMapping', await start(demandMapping, 'updates-demand-mapping'), 'page 1'],
        ['demandStatus', await start(demandStatus, 'updates-demand-status'), 'page 1'],
        ['productChangeStream', await start(productChangeStream, 'updates-change-stream'), 'batch 1'],
      ];
      const pauses = runs.map(([, handle]) => handle.executeUpdate(pauseUpdate));
      const worker = await createTestWorker(temporal.env, config);
      await worker.runUntil(async () => {
        for (const [index, [workflowType, handle, inFlight]] of runs.entries()) {
          assert.match(await pauses[index]!, new RegExp(`^pausing after ${inFlight}`), workflowType);
          assert.match(await refusal(handle.executeUpdate(pauseUpdate)), /^pause refused: already paused/);
          // The demand workflows take retry and skip once they keep a failed-record list; until then they say why not.
          assert.match(
            await refusal(handle.executeUpdate(retryFailedUpdate, { args: [{}] })),
            new RegExp(`^retryFailed refused: (${workflowType} keeps no failed-record list|nothing to retry)`),
          );
          assert.match(
            await refusal(handle.executeUpdate(skipFailedUpdate, { args: [{ reason: 'not needed' }] })),
            new RegExp(`^skipFailed refused: (${workflowType} keeps no failed-record list|nothing to skip)`),
          );
          const accepted = ['pause'];
          if (workflowType === 'productChangeStream') {
            // With no change announced the stream only waits, so it can go on and stop again without a race.
            assert.equal(await handle.executeUpdate(resumeUpdate), `resuming with ${inFlight}`);
            assert.match(await handle.executeUpdate(pauseUpdate), new RegExp(`^pausing after ${inFlight}`));
            accepted.push('resume', 'pause');
          }
          assert.equal(await handle.executeUpdate(cancelAfterBatchUpdate), 'cancelling: the run is Paused and ends now with a summary');
          await handle.result();
          assert.deepEqual(await acceptedUpdates(temporal.env.client, handle.workflowId), [...accepted, 'cancelAfterBatch']);
        }
      });
    } finally {
      await sandbox.close();
    }
  });

  test('between runs, bridge skip and retry act on a failed (not parked) record; a request that matches nothing is refused in bridge and in the run’s progress', async () => {
    const sandbox = await startSandbox({ products: 0 });
    try {
      const products = generateProducts(30, 23);
      const [skipped, retried] = [products[5]!.id, products[6]!.id];
      for (const product of products) {
        const tooLongForTheCrm = product.id === skipped || product.id === retried;
        await sandbox.putProduct(product.id, tooLongForTheCrm ? { ...product, name: product.name.padEnd(150, 'x') } : product);
      }
      const taskQueue = uniqueTaskQueue('between-runs');
      const id = `between-${Date.now()}`;
      const sync = {
        id,
        source: 'pms',
        target: 'crm',
        overlapMs: 0,
        schedule: { every: '1h', paused: true },
        failurePolicy: {
          parkAfterRuns: 5,
          retry: { read: { maximumAttempts: 2, initialInterval: '50ms' }, write: { maximumAttempts: 2, initialInterval: '50ms' } },
        },
      };
      const configFile = path.join(sandbox.dir, 'bridge.yaml');
      writeFileSync(configFile, toYaml({ productSyncs: [sync], demandSyncs: [] }));
      const env = { ...bridgeEnvironment(temporal.env.address, sandbox, taskQueue), BRIDGE_CONFIG: configFile };
      assert.equal((await bridge(['schedules', 'apply'], env)).code, 0);
      const result = (workflowId: string) => temporal.env.client.workflow.getHandle(workflowId).result() as Promise<ProductSyncSummary>;
      const workerConfig = (mapping: object) =>
        withoutFieldLimitChecks(testConfig(sandbox, taskQueue, { productSyncs: [{ ...sync, mapping }] }));

      const before = await createTestWorker(temporal.env, workerConfig(defaultFieldMapping));
      await before.runUntil(async () => {
        const first = JSON.parse((await bridge(['trigger', id, '--wait', '--json'], env)).stdout) as ProductSyncSummary;
        assert.deepEqual(first.failed.map((f) => f.id).sort(), [skipped, retried].sort());
        assert.deepEqual(first.parked, [], 'failed, not parked');

        const unknown = await bridge(['skip', id, '--ids', 'P-NOT-THERE', '--reason', 'typo'], env);
        assert.equal(unknown.code, 4);
        assert.match(unknown.stderr, /skipFailed refused: unknown ids: P-NOT-THERE/);

        const skip = await bridge(['skip', id, '--ids', skipped, '--reason', 'legacy product, retired next month'], env);
        assert.equal(skip.code, 0, skip.stderr);
        assert.match(skip.stdout, new RegExp(`started a run that will skip 1 record: ${skipped}`));
        const skipRun = /^(\S+): started/.exec(skip.stdout)![1]!;
        const afterSkip = await result(skipRun);
        assert.deepEqual(
          afterSkip.skippedFailures.map((s) => [s.id, s.reason]),
          [[skipped, 'legacy product, retired next month']],
        );
        assert.deepEqual(
          afterSkip.failed.map((f) => f.id),
          [retried],
          'the skipped record is not written again; the other still fails',
        );
        assert.equal(afterSkip.counts.skipped, 1);
        assert.deepEqual(sandbox.crm.store.readByExternalIds([skipped]), []);

        // A request that reaches a run but matches nothing (left by an older client, say) is refused in its progress.
        await leaveOperatorRequest(temporal.env.client, `product-sync-${id}`, {
          id: `request-${Date.now()}`,
          retryFailed: { ids: ['P-NOT-THERE'] },
        });
        const refusedRun = await triggerSchedule(temporal.env.client, `product-sync-${id}`);
        await result(refusedRun.workflowId);
        const progress = await temporal.env.client.workflow.getHandle(refusedRun.workflowId).query(progressQuery);
        assert.deepEqual(progress.refusedCommands, [
          'retryFailed (left by bridge for this run) refused: unknown ids: P-NOT-THERE (not failed or parked; `bridge failures` lists the records a retry can act on)',
        ]);
      });

      const fixedMapping = { ...defaultFieldMapping, name: { from: 'name', transform: { type: 'truncate', maxLength: 100 } } };
      const after = await createTestWorker(temporal.env, workerConfig(fixedMapping));
      await after.runUntil(async () => {
        const retry = await bridge(['retry', id, '--ids', retried], env);
        assert.equal(retry.code, 0, retry.stderr);
        assert.match(retry.stdout, new RegExp(`started a run that will retry 1 record: ${retried}`));
        const landed = await result(/^(\S+): started/.exec(retry.stdout)![1]!);
        assert.equal(landed.status, 'Completed');
        assert.equal(String(sandbox.crm.store.readByExternalIds([retried])[0]?.properties.name).length, 100);

        const nothing = await bridge(['retry', id], env);
        assert.equal(nothing.code, 4);
        assert.match(nothing.stderr, /retryFailed refused: nothing to retry: there are no failed or parked records/);
      });
      await temporal.env.client.schedule.getHandle(`product-sync-${id}`).delete();
    } finally {
      await sandbox.close();
    }
  });
});
