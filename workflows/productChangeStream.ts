import {
  ActivityFailure,
  CancellationScope,
  allHandlersFinished,
  condition,
  continueAsNew,
  isCancellation,
  log,
  patched,
  proxyActivities,
  setHandler,
} from '@temporalio/workflow';
import type { ProductSyncActivities } from '../activities/productSyncActivities';
import { syncActivityOptions } from './activityOptions';
import { ChangeBuffer } from './changeBuffer';
import { timeToContinueAsNew } from './historyBudget';
import { productChangedSignal, streamProgressQuery } from '../src/shared/messages';
import { parseWorkflowInput } from './parseInput';
import { writeAndVerify } from './writeAndVerify';
import type { PlannedWrite } from '../src/shared/productSyncActivityTypes';
import {
  productChangeSchema,
  type ProductChange,
  productChangeStreamInputSchema,
  type ProductChangeStreamInput,
  type StreamTotals,
} from '../src/shared/productChangeStreamContract';
import { installOperatorControls } from './operatorControls';

/** Runs recorded before the window was counted from the oldest waiting change replay the old way. */
const windowFromFirstChangePatch = 'change-stream-window-from-first-change';

/**
 * Event-driven PMS -> CRM sync, one long-lived run per integration (id `product-changes-<id>`).
 * The webhook receiver signals each announced product change; the run gathers them for a short
 * window (or until a batch is full), keeps one entry per product, then reads the products' current
 * state and writes what changed with productSync's own activities (fetchProductsByIds,
 * upsertProducts, verifyProducts). A product the PMS deleted (announced with deleted: true, or no
 * longer returned) is archived in mirror mode. productSync's change guard holds over the changes of
 * the last `guardWindowMs`: a burst past it waits for an operator's go-ahead (NeedsAttention). The
 * scheduled productSync stays the safety net for any announcement that never arrives.
 */
export async function productChangeStream(input: ProductChangeStreamInput = {}): Promise<StreamTotals> {
  const settings = parseWorkflowInput(productChangeStreamInputSchema, input, 'productChangeStream');
  const buffer = new ChangeBuffer(settings.pending, Date.now());
  const totals: StreamTotals = { ...settings.totals };

  setHandler(
    productChangedSignal,
    (change) => {
      const parsed = productChangeSchema.safeParse(change);
      if (!parsed.success) return void log.warn('ignored a malformed product change signal', { integrationId: settings.integrationId });
      totals.signals += 1;
      buffer.add(parsed.data, Date.now());
    },
    { description: 'A product changed in the PMS: { productId, updatedAt, deleted }.' },
  );
  setHandler(streamProgressQuery, () => ({ integrationId: settings.integrationId, pending: buffer.size, totals: { ...totals } }), {
    description: 'Products waiting and what the stream has written so far.',
  });
  // pause / resume / cancelAfterBatch (signals and updates) and the search attributes, as on every sync.
  const controls = installOperatorControls({
    workflowType: 'productChangeStream',
    integrationId: settings.integrationId,
    direction: 'PmsToCrm',
    attention: settings.attention,
    progress: (state) => ({
      state,
      integrationId: settings.integrationId,
      pages: totals.batches,
      counts: { ...totals, pending: buffer.size },
      cursor: null,
      watermark: null,
    }),
    inFlight: () => `batch ${totals.batches + 1}`,
    carried: settings.operator,
    guard: { ...settings.guard, windowMs: settings.guardWindowMs },
  });

  const activities = proxyActivities<ProductSyncActivities>(syncActivityOptions(settings));
  // Streams started before the guard have no CRM count in their history; they write unguarded.
  let crmTotal: number | undefined;
  try {
    for (let batchesThisRun = 0; !controls.cancelRequested; batchesThisRun++) {
      if (timeToContinueAsNew(batchesThisRun, settings.batchesPerRun)) {
        await condition(allHandlersFinished);
        return await continueAsNew<typeof productChangeStream>({
          ...settings,
          pending: buffer.snapshot(),
          totals,
          operator: controls.carry(),
        });
      }
      await condition(() => buffer.size > 0);
      // The guard's base, counted once per run (continue-as-new counts again).
      if (crmTotal === undefined && patched('stream-change-guard')) {
        crmTotal = await controls.untilAvailable('Counting CRM products', () =>
          activities.countCrmProducts({ integrationId: settings.integrationId }),
        );
      }
      await gatherWindow();
      // A paused stream keeps gathering changes and writes them on resume.
      await controls.waitWhilePaused();
      // The batch in flight finishes even when the stream is cancelled.
      await CancellationScope.nonCancellable(() => writeBatch(buffer.take(settings.maxBatch)));
    }
  } catch (error) {
    if (!isCancellation(error)) throw controls.failure(error);
  }
  controls.setState('Cancelled');
  log.info('productChangeStream cancelled; the scheduled productSync brings over changes not yet written', {
    integrationId: settings.integrationId,
    pending: buffer.size,
  });
  return totals;

  /**
   * The window opens with the first change: later edits in it join the same batch. It is counted
   * from when the oldest waiting change arrived, so a change that came in while the previous batch
   * was being written has already spent that time waiting and does not wait a whole window more.
   */
  async function gatherWindow(): Promise<void> {
    const full = () => buffer.size >= settings.maxBatch;
    if (!patched(windowFromFirstChangePatch)) {
      await condition(full, settings.windowMs);
      return;
    }
    const left = settings.windowMs - (Date.now() - (buffer.oldestArrival ?? Date.now()));
    if (left > 0) await condition(full, left);
  }

  async function writeBatch(batch: ProductChange[]): Promise<void> {
    try {
      // The same planning productSync's retryFailed uses: the products as they are in the PMS now.
      const plan = await activities.fetchProductsByIds({
        integrationId: settings.integrationId,
        mode: settings.mode,
        ids: batch.map((change) => change.productId),
        deletions: batch.filter((change) => change.deleted).map(({ productId, updatedAt }) => ({ productId, updatedAt })),
      });
      totals.fetched += batch.length;
      totals.unchanged += plan.resolved.length;
      totals.rejected += plan.rejected.length;
      if (crmTotal !== undefined) {
        const changes = plan.writes.filter((write) => write.action !== 'create').length;
        await controls.admitChanges({ crmTotal, changes, step: `batch ${totals.batches + 1}` });
      }
      await writeAndVerify(
        plan.writes,
        { integrationId: settings.integrationId, verifyAttempts: settings.verifyAttempts, activities },
        { verified: (write: PlannedWrite) => countVerified(write), failed: () => void (totals.failed += 1) },
      );
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

  function countVerified(write: PlannedWrite): void {
    if (write.action === 'archive') totals.archived += 1;
    else totals.written += 1;
  }
}
