import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Client, WorkflowHandle, WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import type { Priority } from '@temporalio/common';
import { productSync } from '../../workflows/productSync';
import { integrationPriority } from '../../src/temporal/integrationPriority';
import { crmToken, pmsToken, startSandbox, testConfig, type TestSandbox } from '../helpers/sandbox';
import { useTemporalServer } from '../helpers/temporalServer';
import { createTestWorker, uniqueTaskQueue } from '../helpers/worker';

/**
 * Task-queue fairness on the real server (1.32.2, `matching.enableFairness: true`), measured with
 * and without the integrations' fairness keys, on task queues of their own in one run.
 *
 * What the keys change is the order in which a backlog is dispatched. Without keys a task queue
 * hands out its backlog first in, first out (per partition); with keys the server takes the keys
 * in turn, so the tasks of a key that queued many hold back the others by about one task each.
 *
 * 1. At the product's own shape (one run per integration at a time, and a run calls one activity
 *    after another, reading at most one page ahead) an integration never has more than two
 *    activity tasks queued, so a FIFO queue already takes the integrations in turn: a 20,000-product sync does not starve a 100-product
 *    one on a worker with one activity slot, keys or not. The first test measures that.
 * 2. When one integration does queue many tasks at once (here: 60 runs of key `big` queued while
 *    no worker polls, as after a worker outage), the keys matter: the second test measures where
 *    the first task of integration `small`, queued last, is dispatched (server 1.32.2: after 26, then 0,
 *    of the 60 with keys; after 51, then 50, without).
 */
describe('fair sharing: each integration has its own fairness key on a shared task queue', () => {
  // The bridge's server config turns fairness on (temporalServerConfig.ts); the CLI's dev server
  // (BRIDGE_LOCAL_TEMPORAL=cli) gets the same settings here.
  const temporal = useTemporalServer({ dynamicConfig: { 'matching.useNewMatcher': true, 'matching.enableFairness': true } });

  const system = (kind: 'sandbox-pms' | 'sandbox-crm', url: string) => ({
    kind,
    url,
    token: kind === 'sandbox-pms' ? pmsToken : crmToken,
    timeoutMs: 10_000,
  });
  /** One task queue with integrations `big` and `small`, each on its own sandbox. */
  const twoIntegrations = (big: TestSandbox, small: TestSandbox, taskQueue: string, worker: Record<string, number>) =>
    testConfig(big, taskQueue, {
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
      worker,
    });
  const startSync = (client: Client, taskQueue: string, integrationId: string, workflowId: string, keyed: boolean) =>
    client.workflow.start(productSync, {
      taskQueue,
      workflowId,
      args: [{ integrationId, pageSize: 100, pagesPerRun: 5 }],
      ...(keyed ? { priority: integrationPriority(integrationId) satisfies Priority } : {}),
    });

  test('one sync at a time per integration: a 100-product sync finishes while a 20,000-product one on the same single activity slot is still running, with fairness keys and without', async () => {
    const client = temporal.env.client;
    /** The small sync's time to finish, alone or while the big one runs on the same task queue. */
    const smallSyncMs = async (mode: 'alone' | 'keyed' | 'unkeyed'): Promise<number> => {
      const big = await startSandbox({ products: mode === 'alone' ? 0 : 20_000 });
      const small = await startSandbox({ products: 100 });
      const taskQueue = uniqueTaskQueue(`fairness-${mode}`);
      try {
        // One activity slot for both integrations: every activity task of one waits for the other's.
        const worker = await createTestWorker(temporal.env, twoIntegrations(big, small, taskQueue, { maxConcurrentActivities: 1 }));
        return await worker.runUntil(async () => {
          const keyed = mode !== 'unkeyed';
          let bigRun: WorkflowHandleWithFirstExecutionRunId<typeof productSync> | undefined;
          if (mode !== 'alone') {
            bigRun = await startSync(client, taskQueue, 'big', `${taskQueue}-big`, keyed);
            // The big sync is under way (its first run continued as new) before the small one starts.
            for (;;) {
              const first = await client.workflow.getHandle(bigRun.workflowId, bigRun.firstExecutionRunId).describe();
              if (first.status.name !== 'RUNNING') break;
              await new Promise((resolve) => setTimeout(resolve, 200));
            }
          }
          const started = Date.now();
          const smallRun = await startSync(client, taskQueue, 'small', `${taskQueue}-small`, keyed);
          const summary = await smallRun.result();
          const elapsed = Date.now() - started;
          assert.equal(summary.status, 'Completed');
          assert.equal(summary.counts.created, 100);
          if (bigRun) {
            const bigNow = await bigRun.describe();
            assert.equal(bigNow.status.name, 'RUNNING', `${mode}: the big sync is still running when the small one has finished`);
            assert.ok(big.crm.store.count() < 20_000, `${mode}: the big catalogue is not all written yet`);
            // The key stays with the integration across continue-as-new.
            assert.equal(bigNow.raw.workflowExecutionInfo?.priority?.fairnessKey ?? '', keyed ? 'big' : '');
            assert.equal((await smallRun.describe()).raw.workflowExecutionInfo?.priority?.fairnessKey ?? '', keyed ? 'small' : '');
            await bigRun.terminate('fairness test over');
          }
          return elapsed;
        });
      } finally {
        await big.close();
        await small.close();
      }
    };
    const alone = await smallSyncMs('alone');
    const keyed = await smallSyncMs('keyed');
    const unkeyed = await smallSyncMs('unkeyed');
    // Not starved either way: the small sync finished while the big one was still running, with
    // keys and without (asserted above). Its times are reported, not compared: on a loaded
    // machine they vary more than keys change them (one run: 5.5 s alone, 2.4 s and 6.8 s beside the big one).
    console.log(
      `fairness, one sync per integration: the 100-product sync took ${alone} ms alone, ${keyed} ms beside the big one with keys, ${unkeyed} ms without`,
    );
  });

  test('a backlog of 60 runs of one integration: with fairness keys the run of the other integration is dispatched ahead of where it is without keys, which is behind most of the backlog', async () => {
    const client = temporal.env.client;
    const backlog = 60;
    /** How many of the 60 `big` runs got their first workflow task before the `small` run queued after them. */
    const bigDispatchedBeforeSmall = async (keyed: boolean): Promise<number> => {
      const big = await startSandbox({ products: 100 });
      const small = await startSandbox({ products: 100 });
      const taskQueue = uniqueTaskQueue(keyed ? 'fair-backlog-keyed' : 'fair-backlog-unkeyed');
      const runs: WorkflowHandle<typeof productSync>[] = [];
      try {
        // No worker polls yet: every run's first workflow task waits in the task queue's backlog.
        for (let n = 0; n < backlog; n++) runs.push(await startSync(client, taskQueue, 'big', `${taskQueue}-big-${n}`, keyed));
        const smallRun = await startSync(client, taskQueue, 'small', `${taskQueue}-small`, keyed);
        runs.push(smallRun);
        // The worker comes back taking two workflow tasks at a time.
        const config = twoIntegrations(big, small, taskQueue, { maxConcurrentWorkflowTasks: 2, maxConcurrentActivities: 1 });
        const worker = await createTestWorker(temporal.env, config);
        return await worker.runUntil(async () => {
          const firstTaskStarted = async (handle: WorkflowHandle) => {
            const history = await handle.fetchHistory();
            const started = history.events?.find((event) => event.workflowTaskStartedEventAttributes);
            return started?.eventTime
              ? Number(started.eventTime.seconds) * 1000 + Math.floor((started.eventTime.nanos ?? 0) / 1e6)
              : undefined;
          };
          let smallStarted: number | undefined;
          const deadline = Date.now() + 120_000;
          while ((smallStarted = await firstTaskStarted(smallRun)) === undefined) {
            assert.ok(Date.now() < deadline, 'the small run got its first workflow task within 2 minutes');
            await new Promise((resolve) => setTimeout(resolve, 200));
          }
          let before = 0;
          for (const run of runs.slice(0, backlog)) {
            const started = await firstTaskStarted(run);
            if (started !== undefined && started < smallStarted) before += 1;
          }
          return before;
        });
      } finally {
        await Promise.all(runs.map((run) => run.terminate('fairness test over').catch(() => undefined)));
        await big.close();
        await small.close();
      }
    };
    const keyed = await bigDispatchedBeforeSmall(true);
    const unkeyed = await bigDispatchedBeforeSmall(false);
    const figures = `${keyed} of the ${backlog} queued big runs went first with keys, ${unkeyed} without`;
    console.log(`fairness, a backlog of one integration: ${figures}`);
    // With keys the server takes the keys in turn, so the small run's task goes ahead of much of
    // the backlog queued before it; without keys it waits for nearly all of it. Measured on server
    // 1.32.2: 26 and 0 of 60 with keys, 51 and 50 without, in two runs; on the CLI's dev server (1.29.1): 5 with
    // keys, 59 without. Why 1.32.2 once let 26 go first was not established; the
    // test asserts only the comparison, which held on both.
    assert.ok(unkeyed >= backlog / 2, `without keys the small run waits behind the backlog: ${figures}`);
    assert.ok(keyed < unkeyed, `with keys the small run is dispatched ahead of where it is without: ${figures}`);
  });
});
