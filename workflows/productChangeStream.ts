import {
  ActivityFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  log,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { ProductSyncActivities } from '../activities/productSyncActivities';
import { syncActivityOptions } from './activityOptions';
import { ChangeBuffer } from './changeBuffer';
import { maxHistoryBytes } from './historyBudget';
import { productChangedSignal, streamProgressQuery } from './messages';
import { parseWorkflowInput } from './parseInput';
import {
  productChangeSchema,
  productChangeStreamInputSchema,
  type ProductChangeStreamInput,
  type ProductChangeStreamSettings,
  type StreamTotals,
} from './productChangeStreamTypes';
import type { PlannedWrite } from './productSyncTypes';
import { integrationIdKey, syncDirectionKey } from './searchAttributes';

/**
 * Event-driven PMS -> CRM sync, one long-lived run per integration (id `product-changes-<id>`).
 * The webhook receiver signals each announced product change; the run gathers them for a short
 * window (or until a batch is full), keeps one entry per product, then reads the products' current
 * state and writes what changed with productSync's own activities (fetchProductsByIds,
 * upsertProducts, verifyProducts). The scheduled productSync stays
 * the safety net for any announcement that never arrives.
 */
export async function productChangeStream(input: ProductChangeStreamInput = {}): Promise<never> {
  const settings = parseWorkflowInput(productChangeStreamInputSchema, input, 'productChangeStream');
  const buffer = new ChangeBuffer(settings.pending);
  const totals: StreamTotals = { ...settings.totals };

  setHandler(
    productChangedSignal,
    (change) => {
      const parsed = productChangeSchema.safeParse(change);
      if (!parsed.success) return void log.warn('ignored a malformed product change signal', { integrationId: settings.integrationId });
      totals.signals += 1;
      buffer.add(parsed.data);
    },
    { description: 'A product changed in the PMS: { productId, updatedAt, deleted }.' },
  );
  setHandler(streamProgressQuery, () => ({ integrationId: settings.integrationId, pending: buffer.size, totals: { ...totals } }), {
    description: 'Products waiting and what the stream has written so far.',
  });
  upsertSearchAttributes([
    { key: integrationIdKey, value: settings.integrationId },
    { key: syncDirectionKey, value: 'PmsToCrm' },
  ]);

  const activities = proxyActivities<ProductSyncActivities>(syncActivityOptions(settings));
  for (let batchesThisRun = 0; ; batchesThisRun++) {
    if (timeToContinueAsNew(batchesThisRun, settings.batchesPerRun)) {
      await condition(allHandlersFinished);
      return await continueAsNew<typeof productChangeStream>({ ...settings, pending: buffer.snapshot(), totals });
    }
    await condition(() => buffer.size > 0);
    // The window opens with the first change: later edits in it join the same batch.
    await condition(() => buffer.size >= settings.maxBatch, settings.windowMs);
    const batch = buffer.take(settings.maxBatch);
    try {
      // The same planning productSync's retryFailed uses: the products as they are in the PMS now.
      const plan = await activities.fetchProductsByIds({
        integrationId: settings.integrationId,
        mode: settings.mode,
        ids: batch.map((change) => change.productId),
      });
      totals.fetched += batch.length;
      totals.unchanged += plan.resolved.length;
      totals.rejected += plan.rejected.length;
      await writeAndVerify(plan.writes, settings, activities, totals);
    } catch (error) {
      if (!(error instanceof ActivityFailure)) throw error;
      // The scheduled productSync will bring these over; the stream must not stop for one bad batch.
      totals.failed += batch.length;
      log.warn('a batch of announced changes could not be synced; the scheduled sync will retry them', {
        integrationId: settings.integrationId,
        products: batch.length,
        reason: error.cause?.message ?? error.message,
      });
    }
    totals.batches += 1;
  }
}

function timeToContinueAsNew(batchesThisRun: number, batchesPerRun: number): boolean {
  const info = workflowInfo();
  return batchesThisRun >= batchesPerRun || info.historySize >= maxHistoryBytes || info.continueAsNewSuggested;
}

/** Upserts the planned writes and reads them back; a mismatch is written again up to verifyAttempts times. */
async function writeAndVerify(
  writes: PlannedWrite[],
  settings: ProductChangeStreamSettings,
  activities: ProductSyncActivities,
  totals: StreamTotals,
): Promise<void> {
  let pending = writes;
  for (let attempt = 1; pending.length > 0 && attempt <= settings.verifyAttempts; attempt++) {
    const byId = new Map(pending.map((write) => [write.externalId, write]));
    const records = pending.map(({ externalId, properties, archived }) => ({ externalId, properties, archived }));
    const upserted = await activities.upsertProducts({ integrationId: settings.integrationId, records });
    totals.failed += upserted.failed.length;
    for (const failure of upserted.failed) byId.delete(failure.externalId);
    const expected = [...byId.values()].map(({ externalId, hash }) => ({ externalId, hash }));
    const outcome = await activities.verifyProducts({ integrationId: settings.integrationId, expected });
    totals.written += outcome.verified.length;
    pending = outcome.mismatched.map((mismatch) => byId.get(mismatch.externalId)!);
  }
  totals.failed += pending.length;
}
