import {
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  log,
  proxyActivities,
  workflowInfo,
} from '@temporalio/workflow';
import type { ProductSyncActivities } from '../activities/productSyncActivities';
import { syncActivityOptions } from './activityOptions';
import { timeToContinueAsNew } from './historyBudget';
import { installOperatorControls } from './operatorControls';
import { parseWorkflowInput } from './parseInput';
import { ProductSyncRun } from './productSyncRun';
import {
  productSyncInputSchema,
  type PagePlan,
  type PlannedWrite,
  type ProductSyncInput,
  type ProductSyncSettings,
  type ProductSyncSummary,
} from './productSyncTypes';

/**
 * PMS -> CRM product sync. Pages through the products changed since the watermark; for each page:
 * fetch, validate and map, diff against the CRM, upsert what changed, read it back to verify.
 * The watermark only moves past records that were verified or rejected.
 */
export async function productSync(input: ProductSyncInput = {}): Promise<ProductSyncSummary> {
  const settings = parseWorkflowInput(productSyncInputSchema, input, 'productSync');
  // Inside a workflow, Date is Temporal's deterministic clock (the workflow task's time).
  const run = ProductSyncRun.begin(settings, workflowInfo().lastResult, new Date().toISOString());
  const activities = activitiesFor(settings);
  const controls = installOperatorControls(settings.integrationId, 'PmsToCrm', (state) => run.progress(state));

  try {
    run.crmTotal ??= await activities.countCrmProducts({ integrationId: settings.integrationId });
    let consecutiveFailedPages = 0;
    for (;;) {
      await controls.waitWhilePaused();
      const page = await activities.fetchProductChanges({
        integrationId: settings.integrationId,
        mode: settings.mode,
        cursor: run.cursor,
        limit: settings.pageSize,
        maxBytes: settings.maxPageBytes,
      });
      run.recordPage(page);
      if (settings.dryRun) run.recordPlan(page.writes);
      else {
        checkChangeGuard(run, page, settings);
        const written = await writeAndVerify(page.writes, run, activities, settings);
        consecutiveFailedPages = written ? 0 : consecutiveFailedPages + 1;
        if (consecutiveFailedPages >= settings.maxConsecutiveFailedPages) {
          throw ApplicationFailure.nonRetryable(
            `The CRM failed ${consecutiveFailedPages} pages in a row (last: ${run.lastFailureReason}); the run stopped so it does not hammer a failing system. Nothing is lost: a scheduled run starts again from the last completed run's watermark.`,
            'TargetUnavailable',
          );
        }
      }
      run.finishPage(page.nextCursor);
      if (!page.hasMore) break;
      if (timeToContinueAsNew(run.pagesThisRun, settings.pagesPerRun)) {
        await condition(allHandlersFinished);
        return await continueAsNew<typeof productSync>({ ...settings, continuation: run.continuation() });
      }
    }
  } catch (error) {
    throw controls.failure(error);
  }

  const summary = run.summary(new Date().toISOString());
  controls.setState(summary.status);
  log.info('productSync finished', { integrationId: settings.integrationId, ...summary.counts });
  return summary;
}

function activitiesFor(settings: ProductSyncSettings) {
  return proxyActivities<ProductSyncActivities>(syncActivityOptions(settings));
}

/** A broken source must not wipe or rewrite the CRM: cap the share of records one run may change. */
function checkChangeGuard(run: ProductSyncRun, page: PagePlan, settings: ProductSyncSettings): void {
  const total = run.crmTotal ?? 0;
  if (total < settings.guard.minRecords) return;
  const pageChanges = page.writes.filter((write) => write.action !== 'create').length;
  const allowed = Math.floor(settings.guard.maxChangeShare * total);
  if (run.changesSoFar + pageChanges <= allowed) return;
  throw ApplicationFailure.nonRetryable(
    `Change guard: this run would update or archive more than ${Math.round(settings.guard.maxChangeShare * 100)}% of the CRM's ${total} products (${run.changesSoFar} done, ${pageChanges} more in the next page). ` +
      'Nothing more was written. If the PMS really changed this much, start the run with {"guard": {"maxChangeShare": 1}}; otherwise check the PMS.',
    'ChangeGuardTripped',
  );
}

/**
 * Upserts a page's changes and reads them back; a record whose read-back differs is written again,
 * up to verifyAttempts times. Returns false when the target failed the whole page.
 */
async function writeAndVerify(
  writes: PlannedWrite[],
  run: ProductSyncRun,
  activities: ReturnType<typeof activitiesFor>,
  settings: ProductSyncSettings,
): Promise<boolean> {
  let pending = writes;
  let mismatchReasons = new Map<string, string>();
  for (let attempt = 1; pending.length > 0 && attempt <= settings.verifyAttempts; attempt++) {
    const byId = new Map(pending.map((write) => [write.externalId, write]));
    let outcome;
    try {
      const records = pending.map(({ externalId, properties, archived }) => ({ externalId, properties, archived }));
      const upserted = await activities.upsertProducts({ integrationId: settings.integrationId, records });
      for (const failure of upserted.failed) {
        run.recordFailed(byId.get(failure.externalId)!, failure.reason);
        byId.delete(failure.externalId);
      }
      const expected = [...byId.values()].map(({ externalId, hash }) => ({ externalId, hash }));
      outcome = await activities.verifyProducts({ integrationId: settings.integrationId, expected });
    } catch (error) {
      const reason = failureReason(error);
      for (const write of byId.values()) run.recordFailed(write, reason);
      return false;
    }
    for (const id of outcome.verified) run.recordVerified(byId.get(id)!);
    mismatchReasons = new Map(outcome.mismatched.map((m) => [m.externalId, m.reason]));
    pending = [...mismatchReasons.keys()].map((id) => byId.get(id)!);
  }
  for (const write of pending) run.recordFailed(write, mismatchReasons.get(write.externalId) ?? 'not verified');
  return true;
}

/** The operator-facing reason of a failed activity; credentials problems end the run at once. */
function failureReason(error: unknown): string {
  if (!(error instanceof ActivityFailure)) throw error;
  const cause = error.cause;
  if (cause instanceof ApplicationFailure && cause.type === 'AuthenticationFailed') {
    throw ApplicationFailure.nonRetryable(cause.message, 'AuthenticationFailed');
  }
  return cause?.message ?? error.message;
}
