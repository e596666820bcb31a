import { setTimeout as sleep } from 'node:timers/promises';
import { generateCustomers, unknownSku } from '../../../src/sandbox/crmCustomerSeed';
import type { FaultCounters } from '../../../src/sandbox/faults';
import type { Prng } from '../../../src/sandbox/prng';
import type { DemandMappingSummary } from '../../../src/shared/demandMappingContract';
import type { ProductSyncSummary } from '../../../src/shared/productSyncContract';
import type { TestSandbox } from '../../helpers/sandbox';
import { checkDemands } from '../invariants';
import {
  finishProductRun,
  injectedFaults,
  onStage,
  patientRetry,
  resultOf,
  sampleWatermarks,
  startProductSync,
  type ChaosScenario,
} from '../scenario';
import { demandMapping } from '../../../workflows/demandMapping';

const sizes = { short: { products: 800 }, full: { products: 5_000 } };

/** The storm's steady part: every third request fails, some break off mid-answer or fail after writing. */
const steadyFaults = { errorRate: 0.3, resetRate: 0.05, errorAfterWriteRate: 0.05, latencyJitterMs: 30 };

/**
 * Gusts on top of the steady storm, until stopped: bursts of 429 with Retry-After, and latency
 * spikes of seconds. Answers how many of each it caused.
 */
function gusts(sandbox: TestSandbox, prng: Prng) {
  const counts = { '429 bursts': 0, 'latency spikes': 0 };
  let blowing = true;
  const loop = (async () => {
    while (blowing) {
      await sleep(prng.int(3_000, 8_000));
      if (!blowing) break;
      if (prng.chance(0.5)) {
        counts['429 bursts'] += 1;
        await sandbox.setCrmFaults({ throttleNext: prng.int(2, 5), retryAfterSeconds: 1 });
      } else {
        counts['latency spikes'] += 1;
        await sandbox.setCrmFaults({ latencyMs: prng.int(1_000, 3_000) });
        await sleep(prng.int(500, 2_000));
        await sandbox.setCrmFaults({ latencyMs: 0 });
      }
    }
  })();
  return {
    calm: async () => {
      blowing = false;
      await loop;
      await sandbox.setCrmFaults({
        ...Object.fromEntries(Object.keys(steadyFaults).map((key) => [key, 0])),
        latencyMs: 0,
        throttleNext: 0,
      });
      return counts;
    },
  };
}

/** Scenario 3: a product sync and then a demand run while the CRM fails, throttles, stalls and resets. */
export const crmFaultStorm: ChaosScenario = {
  name: 'crm-fault-storm',
  title: 'CRM fault storm: 30% 5xx, 429 bursts with Retry-After, latency spikes, connections reset mid-answer',
  run: (context) =>
    onStage(
      context,
      { products: sizes[context.scale].products, customers: true, crmFaults: steadyFaults },
      async ({ sandbox, taskQueue, workers }) => {
        await workers.start();
        const storm = gusts(sandbox, context.prng);
        const handle = await startProductSync(context, taskQueue, { heartbeatTimeoutMs: 10_000, retry: patientRetry });
        const watermarks = sampleWatermarks(context, handle, sandbox, 'upsert');
        const summary = await resultOf<ProductSyncSummary>(handle, 600_000);
        context.log(`products synced through the storm: ${JSON.stringify(summary.counts)}`);

        const demandRun = await context.temporal.client.workflow.start(demandMapping, {
          taskQueue,
          workflowId: `chaos-${context.scenario}-demands-${context.seed}-${Date.now()}`,
          args: [{ pageSize: 25, heartbeatTimeoutMs: 10_000, retry: patientRetry }],
        });
        const demands = await resultOf<DemandMappingSummary>(demandRun, 600_000);
        context.log(`demands mapped through the storm: ${JSON.stringify(demands.demands)}, orders ${JSON.stringify(demands.orders)}`);
        const gustCounts = await storm.calm();
        const counters = (await sandbox.crmApi('GET', '/_admin/faults')) as { injected: FaultCounters };

        const outcome = await finishProductRun(sandbox, { summary, watermarks, mode: 'upsert' });
        const { violations } = outcome;
        if (demands.status !== 'Completed') violations.lost.push(`demand run ended ${demands.status}`);
        Object.assign(violations, checkDemands(sandbox));
        const linked = new Set(
          sandbox.pms.requirements.listChanges({ limit: 100_000 }).data.flatMap((r) => r.demands.map((d) => d.demandId)),
        );
        const mappable = generateCustomers().demands.filter((demand) => !demand.skus.includes(unknownSku));
        violations.lost.push(...mappable.filter((demand) => !linked.has(demand.id)).map((demand) => `demand ${demand.id}`));
        return {
          ...outcome,
          recordsChecked: outcome.recordsChecked + mappable.length,
          faults: { ...injectedFaults('CRM', counters.injected), ...gustCounts },
        };
      },
    ),
};
