import type { ProductSyncSummary } from '../../../workflows/productSyncTypes';
import { startSandbox } from '../../helpers/sandbox';
import { uniqueTaskQueue } from '../../helpers/worker';
import { checkProducts } from '../invariants';
import { patientRetry, resultOf, sampleWatermarks, startProductSync, waitUntil, WorkerPool, type ChaosScenario } from '../scenario';

const sizes = { short: { products: 1_500, latencyMs: 20 }, full: { products: 10_000, latencyMs: 5 } };

/** Scenario 2: the Temporal server stops (or crashes) mid-run and comes back on the same database file. */
export const serverRestart: ChaosScenario = {
  name: 'server-restart',
  title: 'restart the Temporal server (persistent database file) in the middle of a run',
  async run(context) {
    const size = sizes[context.scale];
    const sandbox = await startSandbox({ products: size.products, crmFaults: { latencyMs: size.latencyMs }, faultSeed: context.seed });
    const taskQueue = uniqueTaskQueue('chaos-restart');
    const workers = WorkerPool.forSandbox(context.temporal, sandbox, taskQueue);
    try {
      await workers.start();
      const handle = await startProductSync(context, taskQueue, { heartbeatTimeoutMs: 5_000, retry: patientRetry });
      const watermarks = sampleWatermarks(context, handle, sandbox, 'upsert');
      const target = Math.floor(size.products * (0.2 + 0.5 * context.prng.next()));
      const crash = context.prng.chance(0.5);
      const downMs = context.prng.int(500, 3_000);
      await waitUntil(`${target} products in the CRM`, () => sandbox.crm.store.count() >= target, 300_000);
      context.log(`${crash ? 'SIGKILL' : 'SIGTERM'} the Temporal server at ${sandbox.crm.store.count()} of ${size.products} products; down ${downMs} ms`);
      await context.temporal.restart({ downMs, crash });
      const summary = await resultOf<ProductSyncSummary>(handle, 600_000);
      const watermark = await watermarks.stop(summary);
      const { recordsChecked, violations } = checkProducts(sandbox, { mode: 'upsert', summaries: [summary], recordsCreated: (await sandbox.crmStats()).recordsCreated });
      violations.watermarkAhead.push(...watermark.ahead);
      if (summary.status !== 'Completed') violations.lost.push(`run ended ${summary.status}`);
      return { recordsChecked, faults: { [`server ${crash ? 'crashes' : 'restarts'}`]: 1 }, watermarkSamples: watermark.samples, violations };
    } finally {
      workers.stopAll();
      await sandbox.close();
    }
  },
};
