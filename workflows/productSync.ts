import {
  ActivityFailure,
  ApplicationFailure,
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
import { pauseSignal, progressQuery, resumeSignal } from './messages';
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
import { integrationIdKey, syncDirectionKey, syncStatusKey } from './searchAttributes';
import type { SyncState } from './syncProgress';

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
  let state: SyncState = 'Running';

  const setState = (next: SyncState): void => {
    state = next;
    upsertSearchAttributes([{ key: syncStatusKey, value: next }]);
  };
  setHandler(pauseSignal, () => setState('Paused'), { description: 'Finish the page in flight, then wait for resume.' });
  setHandler(resumeSignal, () => (state === 'Paused' ? setState('Running') : undefined), {
    description: 'Go on from where the run paused.',
  });
  setHandler(progressQuery, () => run.progress(state), {
    description: 'Counts so far, the current cursor, the watermark and the state.',
  });
  upsertSearchAttributes([
    { key: integrationIdKey, value: settings.integrationId },
    { key: syncDirectionKey, value: 'PmsToCrm' },
    { key: syncStatusKey, value: 'Running' },
  ]);

  try {
    run.crmTotal ??= await activities.countCrmProducts({ integrationId: settings.integrationId });
    let consecutiveFailedPages = 0;
    for (;;) {
      await condition(() => state !== 'Paused');
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
            `The CRM refused or failed ${consecutiveFailedPages} pages in a row; the run stopped so it does not hammer a failing system. The watermark did not pass the failed records, so the next run retries them. Reasons are in the failed list.`,
            'TargetUnavailable',
          );
        }
      }
      run.finishPage(page.nextCursor);
      if (!page.hasMore) break;
      if (run.pagesThisRun >= settings.pagesPerRun || workflowInfo().continueAsNewSuggested) {
        await condition(allHandlersFinished);
        return await continueAsNew<typeof productSync>({ ...settings, continuation: run.continuation() });
      }
    }
  } catch (error) {
    setState('Failed');
    throw asRunFailure(error);
  }

  const summary = run.summary(new Date().toISOString());
  setState(summary.status);
  log.info('productSync finished', { integrationId: settings.integrationId, ...summary.counts });
  return summary;
}

function activitiesFor(settings: ProductSyncSettings) {
  return proxyActivities<ProductSyncActivities>({
    startToCloseTimeout: '5 minutes',
    heartbeatTimeout: settings.heartbeatTimeoutMs,
    retry: {
      initialInterval: settings.retry.initialIntervalMs,
      maximumInterval: settings.retry.maximumIntervalMs,
      backoffCoefficient: 2,
      maximumAttempts: settings.retry.maximumAttempts,
      nonRetryableErrorTypes: ['AuthenticationFailed', 'RequestRejected', 'UnknownIntegration'],
    },
  });
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

/**
 * An activity that failed for good ends the run with the activity's own reason ("CRM rejected the
 * bridge's credentials ..."), not the SDK's generic "Activity task failed".
 */
function asRunFailure(error: unknown): unknown {
  if (error instanceof ActivityFailure && error.cause instanceof ApplicationFailure) {
    return ApplicationFailure.create({ message: error.cause.message, type: error.cause.type ?? undefined, nonRetryable: true, cause: error });
  }
  return error;
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
