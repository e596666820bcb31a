import { setTimeout as sleep } from 'node:timers/promises';
import type { FaultCounters } from '../../../src/sandbox/faults';
import type { Prng } from '../../../src/sandbox/prng';
import type { ProductSyncSummary } from '../../../src/shared/productSyncContract';
import type { TestSandbox } from '../../helpers/sandbox';
import {
  finishProductRun,
  injectedFaults,
  onStage,
  patientRetry,
  progressOf,
  resultOf,
  sampleWatermarks,
  startProductSync,
  type ChaosScenario,
} from '../scenario';

const sizes = { short: { products: 800, hostile: 12, deletes: 6 }, full: { products: 5_000, hostile: 40, deletes: 25 } };

/** Ways a legacy PMS row goes wrong; each must end up rejected with a reason, never written. */
const hostileEdits: Array<(doc: Record<string, unknown>) => Record<string, unknown>> = [
  (doc) => ({ ...doc, price: { amount: '12.50', currency: 'EUR' } }),
  (doc) => ({ ...doc, price: { amount: -3, currency: 'EUR' } }),
  (doc) => ({ ...doc, price: { amount: 'NaN', currency: 'EUR' } }),
  (doc) => ({ ...doc, price: { amount: 10, currency: 'XXQ' } }),
  (doc) => ({ ...doc, name: undefined }),
  (doc) => ({ ...doc, name: '   ' }),
  (doc) => ({ ...doc, name: 'Ω'.repeat(100_000) }),
  (doc) => ({ ...doc, features: 'IP67 housing' }),
  (doc) => ({ ...doc, stock: -5 }),
  (doc) => ({ ...doc, stock: 1.5 }),
  (doc) => ({ ...doc, lifecycle: 'retired' }),
  (doc) => ({ ...doc, sku: 42 }),
  (doc) => Object.fromEntries(Object.entries(doc).filter(([key]) => key !== 'category')),
];

/** Overwrites random products with hostile versions before the run; answers their ids. */
async function plantHostileRecords(sandbox: TestSandbox, prng: Prng, count: number, products: number): Promise<string[]> {
  const ids = new Set<string>();
  while (ids.size < count) ids.add(`P-${String(prng.int(1, products)).padStart(6, '0')}`);
  let edit = 0;
  for (const id of ids) {
    const doc: Record<string, unknown> = { ...sandbox.pms.store.get(id)! };
    for (const managed of ['id', 'updatedAt', 'deleted']) delete doc[managed];
    await sandbox.putProduct(id, JSON.parse(JSON.stringify(hostileEdits[edit++ % hostileEdits.length]!(doc))) as Record<string, unknown>);
  }
  return [...ids];
}

/** Scenario 5: a PMS that garbles pages, repeats records, holds hostile rows and deletes products mid-run. */
export const pmsGarbage: ChaosScenario = {
  name: 'pms-garbage',
  title: 'PMS pages with malformed JSON, wrong types, duplicated and incomplete records, products deleted between pages',
  run: (context) => {
    const size = sizes[context.scale];
    return onStage(context, { products: size.products }, async ({ sandbox, taskQueue, workers }) => {
      const hostile = await plantHostileRecords(sandbox, context.prng, size.hostile, size.products);
      await sandbox.setPmsFaults({ malformedRate: 0.1, duplicateRate: 0.2, resetRate: 0.03 });
      await workers.start();
      const handle = await startProductSync(context, taskQueue, {
        mode: 'mirror',
        pageSize: 100,
        heartbeatTimeoutMs: 5_000,
        retry: patientRetry,
      });
      const watermarks = sampleWatermarks(context, handle, sandbox, 'mirror');

      // Deletes while the run pages: some products were already read, some not yet.
      let deleted = 0;
      let finished = false;
      const done = resultOf<ProductSyncSummary>(handle, 600_000).finally(() => (finished = true));
      done.catch(() => undefined); // its failure is reported where it is awaited, below
      while (deleted < size.deletes && !finished) {
        if (((await progressOf(context, handle))?.pages ?? 0) >= 1) {
          const id = `P-${String(context.prng.int(1, size.products)).padStart(6, '0')}`;
          await sandbox.pmsApi('DELETE', `/api/products/${id}`).catch(() => undefined);
          deleted += 1;
        }
        await sleep(context.prng.int(50, 400));
      }
      const summary = await done;
      context.log(
        `${hostile.length} hostile rows planted, ${deleted} products deleted mid-run; run counts ${JSON.stringify(summary.counts)}`,
      );
      const counters = (await sandbox.pmsApi('GET', '/_admin/faults')) as { injected: FaultCounters };

      // A delete may land after the run read the feed's end: it is past the run's watermark, so it
      // is the next run's to carry. That run goes from the watermark; anything the first run lost
      // before its watermark stays lost and fails the checks.
      await sandbox.setPmsFaults({ malformedRate: 0, duplicateRate: 0, resetRate: 0 });
      const next = await resultOf<ProductSyncSummary>(
        await startProductSync(context, taskQueue, { mode: 'mirror', watermark: summary.watermark, retry: patientRetry }),
        300_000,
      );
      const outcome = await finishProductRun(sandbox, { summary, watermarks, mode: 'mirror', summaries: [next] });
      // Repeated copies of a hostile row are one rejected record, not several. (Fewer is possible:
      // a hostile row deleted before it was read is not rejected; the checks list any missed.)
      if (summary.counts.rejected > hostile.length)
        outcome.violations.duplicates.push(`${summary.counts.rejected} rejections reported for ${hostile.length} hostile rows`);
      return {
        ...outcome,
        faults: { ...injectedFaults('PMS', counters.injected), 'hostile rows': hostile.length, 'deleted mid-run': deleted },
      };
    });
  },
};
