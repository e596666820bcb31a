import type { ProductSyncSummary } from '../../../src/shared/productSyncContract';
import {
  finishProductRun,
  onStage,
  patientRetry,
  resultOf,
  sampleWatermarks,
  startProductSync,
  waitUntil,
  type ChaosScenario,
} from '../scenario';

const sizes = { short: { products: 1_500, latencyMs: 20 }, full: { products: 10_000, latencyMs: 5 } };

/** Scenario 2: the Temporal server stops (or crashes) mid-run and comes back on the same database file. */
export const serverRestart: ChaosScenario = {
  name: 'server-restart',
  title: 'restart the Temporal server (persistent database file) in the middle of a run',
  run: (context) => {
    const size = sizes[context.scale];
    return onStage(
      context,
      { products: size.products, crmFaults: { latencyMs: size.latencyMs } },
      async ({ sandbox, taskQueue, workers }) => {
        await workers.start();
        const handle = await startProductSync(context, taskQueue, { heartbeatTimeoutMs: 5_000, retry: patientRetry });
        const watermarks = sampleWatermarks(context, handle, sandbox, 'upsert');
        const target = Math.floor(size.products * (0.2 + 0.5 * context.prng.next()));
        const crash = context.prng.chance(0.5);
        const downMs = context.prng.int(500, 3_000);
        await waitUntil(`${target} products in the CRM`, () => sandbox.crm.store.count() >= target, 300_000);
        context.log(
          `${crash ? 'SIGKILL' : 'SIGTERM'} the Temporal server at ${sandbox.crm.store.count()} of ${size.products} products; down ${downMs} ms`,
        );
        await context.temporal.restart({ downMs, crash });
        const summary = await resultOf<ProductSyncSummary>(handle, 600_000);
        return {
          ...(await finishProductRun(sandbox, { summary, watermarks, mode: 'upsert' })),
          faults: { [`server ${crash ? 'crashes' : 'restarts'}`]: 1 },
        };
      },
    );
  },
};
