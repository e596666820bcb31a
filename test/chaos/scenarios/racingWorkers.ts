import type { ProductSyncSummary } from '../../../src/shared/productSyncContract';
import { finishProductRun, onStage, patientRetry, resultOf, sampleWatermarks, startProductSync, type ChaosScenario } from '../scenario';

const sizes = { short: { products: 1_500 }, full: { products: 10_000 } };

/** Scenario 7: two workers poll the same task queue during one sync and race for its tasks. */
export const racingWorkers: ChaosScenario = {
  name: 'racing-workers',
  title: 'two workers racing on the same task queue during a sync',
  run: (context) =>
    // Uneven answer times make the two workers interleave their activities.
    onStage(
      context,
      { products: sizes[context.scale].products, crmFaults: { latencyJitterMs: 40 } },
      async ({ sandbox, taskQueue, workers }) => {
        await Promise.all([workers.start(), workers.start()]);
        const handle = await startProductSync(context, taskQueue, {
          pageSize: context.prng.pick([50, 100, 200]),
          heartbeatTimeoutMs: 5_000,
          retry: patientRetry,
        });
        // A second run of the same sync started while the first runs: two writers of the same records.
        const second = await startProductSync(context, taskQueue, { retry: patientRetry });
        const watermarks = sampleWatermarks(context, handle, sandbox, 'upsert');
        const [summary, secondSummary] = await Promise.all([
          resultOf<ProductSyncSummary>(handle, 600_000),
          resultOf<ProductSyncSummary>(second, 600_000),
        ]);
        const outcome = await finishProductRun(sandbox, { summary, watermarks, mode: 'upsert', summaries: [secondSummary] });
        if (secondSummary.status !== 'Completed') outcome.violations.lost.push(`the second run ended ${secondSummary.status}`);
        return { ...outcome, faults: { 'racing workers': 2, 'concurrent runs': 2 } };
      },
    ),
};
