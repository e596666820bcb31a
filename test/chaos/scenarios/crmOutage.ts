import { setTimeout as sleep } from 'node:timers/promises';
import type { FaultCounters } from '../../../src/sandbox/faults';
import { resumeSignal } from '../../../src/shared/messages';
import type { ProductSyncSummary } from '../../../src/shared/productSyncContract';
import type { TestSandbox } from '../../helpers/sandbox';
import {
  finishProductRun,
  onStage,
  progressOf,
  resultOf,
  sampleWatermarks,
  startProductSync,
  waitUntil,
  type ChaosScenario,
} from '../scenario';

const sizes = { short: { products: 800, latencyMs: 10 }, full: { products: 4_000, latencyMs: 5 } };

/** A retry budget that an outage of seconds exhausts: the run must then stop and ask for a person. */
const shortRetry = { initialIntervalMs: 100, maximumIntervalMs: 400, maximumAttempts: 3 };

const crmRequests = async (sandbox: TestSandbox): Promise<number> =>
  ((await sandbox.crmApi('GET', '/_admin/faults')) as { injected: FaultCounters }).injected.requests;

/** Scenario 4: the CRM stays down past the retry budget; the run waits in NeedsAttention; resume lands everything. */
export const crmOutage: ChaosScenario = {
  name: 'crm-outage',
  title: 'CRM down longer than the retry budget: NeedsAttention, CRM back, resume, everything lands',
  run: (context) => {
    const size = sizes[context.scale];
    return onStage(
      context,
      { products: size.products, crmFaults: { latencyMs: size.latencyMs } },
      async ({ sandbox, taskQueue, workers }) => {
        await workers.start();
        const handle = await startProductSync(context, taskQueue, { heartbeatTimeoutMs: 5_000, retry: shortRetry, writeRetry: shortRetry });
        const watermarks = sampleWatermarks(context, handle, sandbox, 'upsert');
        const target = Math.floor(size.products * (0.1 + 0.6 * context.prng.next()));
        await waitUntil(`${target} products in the CRM`, () => sandbox.crm.store.count() >= target, 300_000);
        await sandbox.setCrmFaults({ down: true });
        context.log(`CRM down at ${sandbox.crm.store.count()} of ${size.products} products`);
        await waitUntil(
          'the run to wait in NeedsAttention',
          async () => (await progressOf(context, handle))?.state === 'NeedsAttention',
          120_000,
        );
        const reason = (await progressOf(context, handle))?.attentionReason ?? '';
        if (!/CRM/.test(reason)) throw new Error(`the attention reason does not name the CRM: '${reason}'`);
        context.log(`the run waits for an operator: ${reason}`);

        // While it waits, nothing may reach the CRM: not even the calls a down CRM refuses.
        const before = await crmRequests(sandbox);
        await sleep(context.prng.int(1_000, 4_000));
        const during = (await crmRequests(sandbox)) - before;

        await sandbox.setCrmFaults({ down: false });
        await handle.signal(resumeSignal);
        context.log('CRM back; resume sent');
        const summary = await resultOf<ProductSyncSummary>(handle, 600_000);
        const outcome = await finishProductRun(sandbox, { summary, watermarks, mode: 'upsert' });
        if (during > 0) outcome.violations.callsWhileWaiting.push(`${during} CRM calls while the run waited in NeedsAttention`);
        return { ...outcome, faults: { 'CRM outages': 1 } };
      },
    );
  },
};
