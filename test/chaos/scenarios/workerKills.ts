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

const sizes = { short: { products: 1_500, kills: 2, latencyMs: 20 }, full: { products: 20_000, kills: 5, latencyMs: 0 } };

/** Scenario 1: the worker is SIGKILLed at random moments of a large sync; a new one takes over each time. */
export const workerKills: ChaosScenario = {
  name: 'worker-kills',
  title: 'SIGKILL the worker at random moments; a new worker takes over each time',
  run: (context) => {
    const size = sizes[context.scale];
    return onStage(
      context,
      { products: size.products, crmFaults: { latencyMs: size.latencyMs } },
      async ({ sandbox, taskQueue, workers }) => {
        let worker = await workers.start();
        const handle = await startProductSync(context, taskQueue, { heartbeatTimeoutMs: 2_000, retry: patientRetry });
        const watermarks = sampleWatermarks(context, handle, sandbox, 'upsert');
        // Kill points: one random moment inside each equal slice of the catalogue, so kills spread over the run.
        const slice = size.products / (size.kills + 1);
        for (let kill = 1; kill <= size.kills; kill++) {
          const target = Math.floor(slice * (kill - 0.5 + context.prng.next()));
          await waitUntil(`${target} products in the CRM before kill ${kill}`, () => sandbox.crm.store.count() >= target, 300_000);
          context.log(`kill ${kill}: SIGKILL the worker at ${sandbox.crm.store.count()} of ${size.products} products`);
          await workers.kill(worker);
          worker = await workers.start({ ready: false });
        }
        const summary = await resultOf<ProductSyncSummary>(handle, 600_000);
        return { ...(await finishProductRun(sandbox, { summary, watermarks, mode: 'upsert' })), faults: { 'worker SIGKILLs': size.kills } };
      },
    );
  },
};
