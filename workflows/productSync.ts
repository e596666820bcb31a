import {
  CancellationScope,
  allHandlersFinished,
  condition,
  continueAsNew,
  isCancellation,
  log,
  patched,
  proxyActivities,
  workflowInfo,
} from '@temporalio/workflow';
import type { ProductSyncActivities } from '../activities/productSyncActivities';
import { syncActivityOptions } from './activityOptions';
import { timeToContinueAsNew } from './historyBudget';
import { installOperatorControls, type OperatorControls } from './operatorControls';
import { memoRequestKey, memoRequestSchema } from '../src/shared/operatorRequests';
import { parseWorkflowInput } from './parseInput';
import { ProductSyncRun } from './productSyncRun';
import { previousSummary } from './lastResult';
import { reconcileDue, reconcileMirror } from './mirrorReconcile';
import { writeAndVerify, type WriteAndVerifyStep } from './writeAndVerify';
import {
  productSyncInputSchema,
  type ProductSyncInput,
  type ProductSyncSettings,
  type ProductSyncSummary,
  type ReconcileFacts,
} from '../src/shared/productSyncContract';

type Activities = ReturnType<typeof activitiesFor>;

/**
 * PMS -> CRM product sync. Pages through the products changed since the watermark; for each page:
 * fetch, validate and map, diff against the CRM, upsert what changed, read it back to verify.
 * The watermark only moves past records that were verified, rejected or skipped by an operator.
 * A system that stays down, or too many failing records, stop the run for an operator
 * (NeedsAttention) instead of failing it.
 */
export async function productSync(input: ProductSyncInput = {}): Promise<ProductSyncSummary> {
  const settings = parseWorkflowInput(productSyncInputSchema, input, 'productSync');
  // Inside a workflow, Date is Temporal's deterministic clock (the workflow task's time).
  const run = ProductSyncRun.begin(settings, workflowInfo().lastResult, new Date().toISOString());
  const activities = activitiesFor(settings);
  const controls = installOperatorControls({
    workflowType: 'productSync',
    integrationId: settings.integrationId,
    direction: 'PmsToCrm',
    attention: settings.attention,
    progress: (state) => run.progress(state, new Date().toISOString()),
    failures: () => run.failures(),
    retryFailed: (request) => run.requestRetry(request),
    skipFailed: (request) => run.skip(request, new Date().toISOString()),
    carried: settings.continuation?.operator,
    guard: settings.guard,
  });
  const memoRefusal = run.acceptMemoRequest(
    memoRequestSchema.safeParse(workflowInfo().memo?.[memoRequestKey]).data,
    new Date().toISOString(),
  );
  if (memoRefusal) controls.refuse(memoRefusal);
  const lastReconciledAt =
    settings.reconcile.lastAt !== undefined
      ? settings.reconcile.lastAt
      : (previousSummary<ProductSyncSummary>(workflowInfo().lastResult, 'counts')?.reconcile?.lastAt ?? null);
  let reconciled: ReconcileFacts | undefined;

  try {
    run.crmTotal ??= await controls.untilAvailable('Counting CRM products', () =>
      activities.countCrmProducts({ integrationId: settings.integrationId }),
    );
    for (;;) {
      await controls.waitWhilePaused();
      if (controls.cancelRequested) break;
      // The batch in flight finishes even when the run is cancelled: nothing is left half-written.
      const hasMore = await CancellationScope.nonCancellable(async () => {
        await retryRequestedRecords(run, activities, settings, controls);
        return syncNextPage(run, activities, settings, controls);
      });
      if (!hasMore) break;
      if (timeToContinueAsNew(run.pagesThisRun, settings.pagesPerRun)) {
        await condition(allHandlersFinished);
        return await continueAsNew<typeof productSync>({
          ...settings,
          reconcile: { ...settings.reconcile, lastAt: lastReconciledAt },
          continuation: { ...run.continuation(), operator: controls.carry() },
        });
      }
    }
    // A retryFailed that came during the last page is honoured before the run ends.
    await CancellationScope.nonCancellable(() => retryRequestedRecords(run, activities, settings, controls));
    reconciled = await reconcileIfDue(run, activities, settings, controls, lastReconciledAt);
  } catch (error) {
    if (!isCancellation(error)) throw controls.failure(error);
  }
  return finish(run, controls, settings, reconciled);
}

function finish(
  run: ProductSyncRun,
  controls: OperatorControls,
  settings: ProductSyncSettings,
  reconciled: ReconcileFacts | undefined,
): ProductSyncSummary {
  const summary = { ...run.summary(new Date().toISOString(), controls.cancelRequested), ...(reconciled ? { reconcile: reconciled } : {}) };
  controls.setState(summary.status);
  log.info('productSync finished', { integrationId: settings.integrationId, status: summary.status, ...summary.counts });
  return summary;
}

function activitiesFor(settings: ProductSyncSettings) {
  const reads = proxyActivities<ProductSyncActivities>(syncActivityOptions(settings));
  const writes = proxyActivities<ProductSyncActivities>(syncActivityOptions({ ...settings, retry: settings.writeRetry ?? settings.retry }));
  // Activity proxies are not plain objects: pick each one by name.
  return {
    countCrmProducts: reads.countCrmProducts,
    fetchProductChanges: reads.fetchProductChanges,
    fetchProductsByIds: reads.fetchProductsByIds,
    verifyProducts: reads.verifyProducts,
    upsertProducts: writes.upsertProducts,
    findVanishedProducts: reads.findVanishedProducts,
  };
}

/** One page: fetch and diff, check the guard, write and verify. Returns whether more pages follow. */
async function syncNextPage(
  run: ProductSyncRun,
  activities: Activities,
  settings: ProductSyncSettings,
  controls: OperatorControls,
): Promise<boolean> {
  const page = await controls.untilAvailable('Reading changed products', () =>
    activities.fetchProductChanges.executeWithOptions(
      { summary: `page ${run.currentPage}: read up to ${settings.pageSize} changed products, diff with the CRM` },
      [
        {
          integrationId: settings.integrationId,
          mode: settings.mode,
          cursor: run.cursor,
          limit: settings.pageSize,
          maxBytes: settings.maxPageBytes,
        },
      ],
    ),
  );
  const writes = run.recordPage(page);
  if (settings.dryRun) run.recordPlan(writes);
  else {
    await controls.admitChanges({
      crmTotal: run.crmTotal ?? 0,
      changes: writes.filter((write) => write.action !== 'create').length,
      step: `page ${run.currentPage}`,
    });
    // Records that failed in earlier runs and fail again are known, not an outage: the error-rate
    // window judges only the others (they are parked after parkAfterAttempts runs instead).
    const known = new Set(writes.filter((write) => run.isKnownFailure(write.externalId)).map((write) => write.externalId));
    let newFailures = 0;
    let lastFailureReason: string | undefined;
    await writeAndVerify(writes, writeStep(run, activities, settings, controls), {
      verified: (write) => run.recordVerified(write),
      failed: (write, reason) => {
        run.recordFailed(write, reason);
        lastFailureReason = reason;
        if (!known.has(write.externalId)) newFailures += 1;
      },
    });
    await controls.recordWrites({ attempted: writes.length - known.size, failed: newFailures, lastFailureReason });
  }
  run.finishPage(page.nextCursor);
  return page.hasMore;
}

/** Mirror mode: archives CRM records whose product is gone from the PMS, on the configured cadence. */
async function reconcileIfDue(
  run: ProductSyncRun,
  activities: Activities,
  settings: ProductSyncSettings,
  controls: OperatorControls,
  lastAt: string | null,
): Promise<ReconcileFacts | undefined> {
  if (settings.mode !== 'mirror') return undefined;
  const now = new Date().toISOString();
  const notDue = { lastAt, checked: 0, archived: 0, failed: [] };
  if (controls.cancelRequested || !reconcileDue(settings.reconcile.everyMs, lastAt, now)) return notDue;
  // Runs started before the reconcile existed end as they did.
  if (!patched('mirror-reconcile')) return notDue;
  const facts = await reconcileMirror(
    {
      integrationId: settings.integrationId,
      dryRun: settings.dryRun,
      pageSize: settings.pageSize,
      crmTotal: run.crmTotal ?? 0,
      activities,
      controls,
      write: { ...writeStep(run, activities, settings, controls), summaries: undefined },
      verified: (write) => run.recordVerified(write),
      planned: (writes) => run.recordPlan(writes),
    },
    now,
  );
  // A dry run moves nothing, the reconcile's cadence included.
  return settings.dryRun ? { ...facts, lastAt } : facts;
}

/** Carries out an operator's `retryFailed`: the records as they are in the PMS now, written and verified. */
async function retryRequestedRecords(
  run: ProductSyncRun,
  activities: Activities,
  settings: ProductSyncSettings,
  controls: OperatorControls,
): Promise<void> {
  const ids = run.takeRetryRequest();
  if (ids.length === 0 || settings.dryRun) return;
  log.info('retrying failed records', { integrationId: settings.integrationId, records: ids.length });
  const plan = await controls.untilAvailable('Reading products to retry', () =>
    activities.fetchProductsByIds.executeWithOptions({ summary: `retryFailed: read ${ids.length} products from the PMS` }, [
      { integrationId: settings.integrationId, mode: settings.mode, ids },
    ]),
  );
  for (const id of plan.resolved) run.resolveFailure({ externalId: id });
  for (const rejection of plan.rejected) run.retryFailedAgain(rejection.id, rejection.reason);
  await writeAndVerify(plan.writes, writeStep(run, activities, settings, controls), {
    verified: (write) => run.resolveFailure(write),
    failed: (write, reason) => run.retryFailedAgain(write.externalId, reason),
  });
}

/** How productSync writes: through the operator controls, with the page in each activity's summary. */
function writeStep(
  run: ProductSyncRun,
  activities: Activities,
  settings: ProductSyncSettings,
  controls: OperatorControls,
): WriteAndVerifyStep {
  return {
    integrationId: settings.integrationId,
    verifyAttempts: settings.verifyAttempts,
    activities,
    call: controls.untilAvailable,
    summaries: {
      write: (records, attempt) => `page ${run.currentPage}: write ${records} products (attempt ${attempt})`,
      verify: (records) => `page ${run.currentPage}: read back ${records} products`,
    },
  };
}
