import type { ProductSyncSummary } from '../../../workflows/productSyncTypes';
import { startSandbox } from '../../helpers/sandbox';
import { uniqueTaskQueue } from '../../helpers/worker';
import { checkProducts } from '../invariants';
import { patientRetry, resultOf, sampleWatermarks, startProductSync, WorkerPool, type ChaosScenario } from '../scenario';

const sizes = { short: { products: 1_500 }, full: { products: 10_000 } };

/** Scenario 7: two workers poll the same task queue during one sync and race for its tasks. */
export const racingWorkers: ChaosScenario = {
  name: 'racing-workers',
  title: 'two workers racing on the same task queue during a sync',
  async run(context) {
    const size = sizes[context.scale];
    // Uneven answer times make the two workers interleave their activities.
    const sandbox = await startSandbox({ products: size.products, crmFaults: { latencyJitterMs: 40 }, faultSeed: context.seed });
    const taskQueue = uniqueTaskQueue('chaos-race');
    const workers = WorkerPool.forSandbox(context.temporal, sandbox, taskQueue);
    try {
      await Promise.all([workers.start(), workers.start()]);
      const handle = await startProductSync(context, taskQueue, { pageSize: context.prng.pick([50, 100, 200]), heartbeatTimeoutMs: 5_000, retry: patientRetry });
      // A second start of the same sync while it runs must not produce a second writer.
      const second = await startProductSync(context, taskQueue, { retry: patientRetry }).catch(() => undefined);
      const watermarks = sampleWatermarks(context, handle, sandbox, 'upsert');
      const [summary, secondSummary] = await Promise.all([
        resultOf<ProductSyncSummary>(handle, 600_000),
        second ? resultOf<ProductSyncSummary>(second, 600_000) : undefined,
      ]);
      const watermark = await watermarks.stop(summary);
      const { recordsChecked, violations } = checkProducts(sandbox, {
        mode: 'upsert',
        summaries: [summary, ...(secondSummary ? [secondSummary] : [])],
        recordsCreated: (await sandbox.crmStats()).recordsCreated,
      });
      violations.watermarkAhead.push(...watermark.ahead);
      if (summary.status !== 'Completed') violations.lost.push(`run ended ${summary.status}`);
      return { recordsChecked, faults: { 'racing workers': 2, 'concurrent runs': second ? 2 : 1 }, watermarkSamples: watermark.samples, violations };
    } finally {
      workers.stopAll();
      await sandbox.close();
    }
  },
};
