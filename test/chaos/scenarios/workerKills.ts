import type { ProductSyncSummary } from '../../../workflows/productSyncTypes';
import { startSandbox } from '../../helpers/sandbox';
import { uniqueTaskQueue } from '../../helpers/worker';
import { checkProducts } from '../invariants';
import { patientRetry, resultOf, sampleWatermarks, startProductSync, waitUntil, WorkerPool, type ChaosScenario } from '../scenario';

const sizes = { short: { products: 1_500, kills: 2, latencyMs: 20 }, full: { products: 20_000, kills: 5, latencyMs: 0 } };

/** Scenario 1: the worker is SIGKILLed at random moments of a large sync; a new one takes over each time. */
export const workerKills: ChaosScenario = {
  name: 'worker-kills',
  title: 'SIGKILL the worker at random moments; a new worker takes over each time',
  async run(context) {
    const size = sizes[context.scale];
    const sandbox = await startSandbox({ products: size.products, crmFaults: { latencyMs: size.latencyMs }, faultSeed: context.seed });
    const taskQueue = uniqueTaskQueue('chaos-kills');
    const workers = WorkerPool.forSandbox(context.temporal, sandbox, taskQueue);
    try {
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
      const watermark = await watermarks.stop(summary);
      const { recordsChecked, violations } = checkProducts(sandbox, { mode: 'upsert', summaries: [summary], recordsCreated: (await sandbox.crmStats()).recordsCreated });
      violations.watermarkAhead.push(...watermark.ahead);
      if (summary.status !== 'Completed') violations.lost.push(`run ended ${summary.status}`);
      return { recordsChecked, faults: { 'worker SIGKILLs': size.kills }, watermarkSamples: watermark.samples, violations };
    } finally {
      workers.stopAll();
      await sandbox.close();
    }
  },
};
