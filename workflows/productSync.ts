import {
  ActivityFailure,
  ApplicationFailure,
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
import type { PagePlan, PlannedWrite } from '../src/shared/productSyncActivityTypes';
import { compareCursors, type ChangeCursor } from '../src/shared/changeCursor';
import { failureTypes } from '../src/shared/failureTypes';

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
    // Runs recorded before mapping versions replay without this step.
    if (run.needsMapping && patched('mapping-version')) {
      const mapping = await controls.untilAvailable('Reading the field mapping', () =>
        activities.mappingInUse({ integrationId: settings.integrationId }),
      );
      const change = run.adoptMapping(mapping);
      if (change) log.info(change, { integrationId: settings.integrationId });
    }
    // Runs started before read-ahead existed keep reading one page at a time.
    const readsAhead = patched(readAheadPatch);
    let ahead: ReadAhead | undefined;
    for (;;) {
      await controls.waitWhilePaused();
      if (controls.cancelRequested) break;
      // The batch in flight finishes even when the run is cancelled: nothing is left half-written.
      const { hasMore, next } = await CancellationScope.nonCancellable(async () => {
        // Retried records were written after the page ahead was read: its diff may be stale.
        if (await retryRequestedRecords(run, activities, settings, controls)) ahead = undefined;
        return syncNextPage(run, activities, settings, controls, readsAhead, ahead);
      });
      ahead = next;
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
    if (isMappingMismatch(error)) {
      // A deploy changed the mapping under the run: go on under the workers' mapping (a rewrite if it differs).
      log.warn('the workers map with another mapping than this run: reading it again', { integrationId: settings.integrationId });
      run.forgetMapping();
      await condition(allHandlersFinished);
      return await continueAsNew<typeof productSync>({ ...settings, continuation: { ...run.continuation(), operator: controls.carry() } });
    }
    if (!isCancellation(error)) throw controls.failure(error);
  }
  return finish(run, controls, settings, reconciled);
}

function isMappingMismatch(error: unknown): boolean {
  return (
    error instanceof ActivityFailure &&
    error.cause instanceof ApplicationFailure &&
    error.cause.type === failureTypes.mappingVersionMismatch
  );
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
    mappingInUse: reads.mappingInUse,
    fetchProductChanges: reads.fetchProductChanges,
    fetchProductsByIds: reads.fetchProductsByIds,
    verifyProducts: reads.verifyProducts,
    upsertProducts: writes.upsertProducts,
    findVanishedProducts: reads.findVanishedProducts,
  };
}

/** patched() id: the next page is read and diffed while this one is written. */
const readAheadPatch = 'read-ahead-one-page';

/** The next page, read and diffed while the page before it was written. */
interface ReadAhead {
  cursor: ChangeCursor;
  /** controls.holds when it was read: a pause or stop since makes it stale. */
  holds: number;
  page: Promise<PagePlan | undefined>;
}

/**
 * One page: fetch and diff, check the guard, write and verify. Returns whether more pages follow,
 * and the next page read ahead while this one was written (never beyond this run's last page). The
 * watermark moves only in finishPage, after every write of the page is verified or failed, so it
 * passes the finished prefix of pages only.
 */
async function syncNextPage(
  run: ProductSyncRun,
  activities: Activities,
  settings: ProductSyncSettings,
  controls: OperatorControls,
  readsAhead: boolean,
  ahead: ReadAhead | undefined,
): Promise<{ hasMore: boolean; next?: ReadAhead }> {
  const page =
    (await readAheadPage(run, controls, ahead)) ??
    (await controls.untilAvailable('Reading changed products', () => fetchPage(run, activities, settings, run.cursor, run.currentPage)));
  const writes = run.recordPage(page);
  const next =
    readsAhead && page.hasMore && page.nextCursor && run.pagesThisRun + 1 < settings.pagesPerRun
      ? readAhead(run, activities, settings, controls, page.nextCursor, writes)
      : undefined;
  if (settings.dryRun) run.recordPlan(writes);
  else {
    const changes = writes.filter((write) => write.action !== 'create').length;
    // After a mapping change, one go-ahead lets the whole rewrite through.
    const rewrite = run.rewrite;
    if (!rewrite?.approved) {
      const stopped = await controls.admitChanges({
        crmTotal: run.crmTotal ?? 0,
        changes,
        step: rewrite ? `page ${run.currentPage} of a rewrite (${rewrite.description})` : `page ${run.currentPage}`,
      });
      if (rewrite && stopped) run.approveRewrite();
    }
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
  return { hasMore: page.hasMore, ...(next ? { next } : {}) };
}

function fetchPage(
  run: ProductSyncRun,
  activities: Activities,
  settings: ProductSyncSettings,
  cursor: ChangeCursor | null,
  pageNumber: number,
  inFlight?: string[],
): Promise<PagePlan> {
  return activities.fetchProductChanges.executeWithOptions(
    { summary: `page ${pageNumber}: read up to ${settings.pageSize} changed products, diff with the CRM` },
    [
      {
        integrationId: settings.integrationId,
        mode: settings.mode,
        cursor,
        limit: settings.pageSize,
        maxBytes: settings.maxPageBytes,
        ...(run.crmTotal === 0 ? { crmStartedEmpty: true } : {}),
        ...(inFlight && inFlight.length > 0 ? { inFlight } : {}),
        ...mappingInput(run),
      },
    ],
  );
}

/**
 * Starts reading the page after `cursor` while the current page's `writes` are in flight. A read
 * that fails is simply not used (the page is read again in turn, where outages are handled).
 */
function readAhead(
  run: ProductSyncRun,
  activities: Activities,
  settings: ProductSyncSettings,
  controls: OperatorControls,
  cursor: ChangeCursor,
  writes: PlannedWrite[],
): ReadAhead {
  const inFlight = settings.dryRun ? [] : writes.map((write) => write.externalId);
  const page = fetchPage(run, activities, settings, cursor, run.currentPage + 1, inFlight).then(
    (plan) => plan,
    () => undefined,
  );
  return { cursor, holds: controls.holds, page };
}

/** The page read ahead, when it is still good: read from where the run is, with no pause since and no overlap with the writes it ran beside. */
async function readAheadPage(run: ProductSyncRun, controls: OperatorControls, ahead: ReadAhead | undefined): Promise<PagePlan | undefined> {
  if (!ahead || !run.cursor || compareCursors(ahead.cursor, run.cursor) !== 0) return undefined;
  const page = await ahead.page;
  if (!page || page.overlapsInFlight || ahead.holds !== controls.holds) return undefined;
  return page;
}

/** The mapping a step maps or hashes under, for its input (none in runs from before mapping versions). */
function mappingInput(run: ProductSyncRun) {
  const mapping = run.runMapping;
  return mapping ? { mapping } : {};
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

/**
 * Carries out an operator's `retryFailed`: the records as they are in the PMS now, written and
 * verified. Returns whether it wrote anything.
 */
async function retryRequestedRecords(
  run: ProductSyncRun,
  activities: Activities,
  settings: ProductSyncSettings,
  controls: OperatorControls,
): Promise<boolean> {
  const ids = run.takeRetryRequest();
  if (ids.length === 0 || settings.dryRun) return false;
  log.info('retrying failed records', { integrationId: settings.integrationId, records: ids.length });
  const plan = await controls.untilAvailable('Reading products to retry', () =>
    activities.fetchProductsByIds.executeWithOptions({ summary: `retryFailed: read ${ids.length} products from the PMS` }, [
      { integrationId: settings.integrationId, mode: settings.mode, ids, ...mappingInput(run) },
    ]),
  );
  for (const id of plan.resolved) run.resolveFailure({ externalId: id });
  for (const rejection of plan.rejected) run.retryFailedAgain(rejection.id, rejection.reason);
  await writeAndVerify(plan.writes, writeStep(run, activities, settings, controls), {
    verified: (write) => run.resolveFailure(write),
    failed: (write, reason) => run.retryFailedAgain(write.externalId, reason),
  });
  return true;
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
    ...mappingInput(run),
    activities,
    call: controls.untilAvailable,
    summaries: {
      write: (records, attempt) => `page ${run.currentPage}: write ${records} products (attempt ${attempt})`,
      verify: (records) => `page ${run.currentPage}: read back ${records} products`,
    },
  };
}
