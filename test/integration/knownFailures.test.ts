import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ProductSyncSummary } from '../../src/shared/productSyncContract';
import { ensureSchedule, triggerSchedule } from '../../src/temporal/schedules';
import { productSyncStart } from '../../src/temporal/syncSchedules';
import type { BridgeConfig } from '../../src/config/configSchema';
import { startSandbox, testConfig, withoutFieldLimitChecks, type TestSandbox } from '../helpers/sandbox';
import { useTemporalServer } from '../helpers/temporalServer';
import { createTestWorker, uniqueTaskQueue } from '../helpers/worker';

const catalogSize = 2000;
/** 0.5% of the catalog, spread over every page: names the PMS takes (200) and the CRM does not (100). */
const tooLongAt = Array.from({ length: 10 }, (_, i) => 50 + i * 200);

async function catalogWithTooLongNames(sandbox: TestSandbox): Promise<string[]> {
  const products = sandbox.pmsProducts();
  const ids: string[] = [];
  for (const index of tooLongAt) {
    const product = products[index]!;
    await sandbox.putProduct(product.id, { ...product, name: `${String(product.name)} `.padEnd(150, 'x') });
    ids.push(product.id);
  }
  return ids.sort();
}

/** Runs the sync's schedule `runs` times, as its interval would, and returns every summary. */
async function scheduledRuns(
  env: ReturnType<typeof useTemporalServer>['env'],
  config: BridgeConfig,
  runs: number,
): Promise<ProductSyncSummary[]> {
  const sync = config.productSyncs[0]!;
  const start = productSyncStart(sync);
  await ensureSchedule(env.client, start, config.temporal.taskQueue);
  const worker = await createTestWorker(env, config);
  const summaries: ProductSyncSummary[] = [];
  try {
    await worker.runUntil(async () => {
      for (let run = 0; run < runs; run++) {
        const { workflowId, runId } = await triggerSchedule(env.client, start.scheduleId);
        // A run that stops for attention ends Failed after attentionTimeout: the result throws.
        summaries.push((await env.client.workflow.getHandle(workflowId, runId).result()) as ProductSyncSummary);
      }
    });
  } finally {
    await env.client.schedule.getHandle(start.scheduleId).delete();
  }
  return summaries;
}

function scheduledConfig(sandbox: TestSandbox, name: string): BridgeConfig {
  const config = testConfig(sandbox, uniqueTaskQueue(name));
  const base = config.productSyncs[0]!;
  config.productSyncs = [
    {
      ...base,
      id: `${name}-${Date.now()}`,
      pageSize: 500,
      // The whole catalog is written within a second or two before the first run; the default 5 s
      // overlap would read all of it again on every run and hide whether the watermark moved.
      overlapMs: 0,
      schedule: { ...base.schedule, every: '1h', paused: true },
      failurePolicy: { ...base.failurePolicy, parkAfterRuns: 3, attentionTimeout: '5s' },
    },
  ];
  return config;
}

describe('known failures do not look like an outage (real Temporal server, scheduled runs)', () => {
  const temporal = useTemporalServer();

  test('0.5% of names longer than the CRM takes: five scheduled runs, never NeedsAttention, the long names rejected with the reason before any write', async () => {
    const sandbox = await startSandbox({ products: catalogSize });
    try {
      const tooLong = await catalogWithTooLongNames(sandbox);
      const summaries = await scheduledRuns(temporal.env, scheduledConfig(sandbox, 'limits'), 5);

      assert.deepEqual(
        summaries.map((s) => s.status),
        ['Completed', 'Completed', 'Completed', 'Completed', 'Completed'],
      );
      const [first] = summaries;
      assert.deepEqual(first!.rejected.map((r) => r.id).sort(), tooLong);
      for (const rejection of first!.rejected) {
        assert.match(rejection.reason, /^the target would refuse it: name has 150 characters, the target takes at most 100$/);
      }
      assert.equal(first!.counts.created, catalogSize - tooLong.length);
      assert.equal((await sandbox.crmStats()).rejectedBatches, 0, 'no write was sent for a record the CRM would refuse');
      assert.deepEqual(sandbox.crm.store.readByExternalIds(tooLong), [], 'none of them reached the CRM');
      for (const later of summaries.slice(1))
        assert.ok(
          later.counts.fetched < 50,
          `later runs start past the rejected records (fetched: ${summaries.map((s) => s.counts.fetched).join(', ')})`,
        );
    } finally {
      await sandbox.close();
    }
  });

  test('records the CRM keeps refusing fail, are parked after parkAfterRuns runs and stop holding the watermark; five scheduled runs never stop for attention', async () => {
    const sandbox = await startSandbox({ products: catalogSize });
    try {
      const tooLong = await catalogWithTooLongNames(sandbox);
      // A target whose limits the bridge cannot know: the CRM's own refusal is what fails the records.
      const summaries = await scheduledRuns(temporal.env, withoutFieldLimitChecks(scheduledConfig(sandbox, 'parking')), 5);

      assert.deepEqual(
        summaries.map((s) => s.status),
        ['CompletedWithFailures', 'CompletedWithFailures', 'CompletedWithFailures', 'Completed', 'Completed'],
        'runs 4 and 5 find nothing new failing; the parked records stay listed',
      );
      assert.deepEqual(
        summaries.map((s) => [s.counts.failed, s.parked.length]),
        [
          [10, 0],
          [10, 0],
          [0, 10],
          [0, 10],
          [0, 10],
        ],
        'failed in runs 1 and 2, parked in run 3, and still listed as parked after',
      );
      const last = summaries.at(-1)!;
      assert.deepEqual(last.parked.map((p) => p.id).sort(), tooLong);
      for (const parked of last.parked) assert.match(parked.reason, /CRM refused the record: .*name must be at most 100 characters/);
      assert.notEqual(summaries[2]!.watermark?.afterId, '', 'once parked, the records no longer hold the watermark');
    } finally {
      await sandbox.close();
    }
  });
});
