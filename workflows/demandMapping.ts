import {
  CancellationScope,
  allHandlersFinished,
  condition,
  continueAsNew,
  isCancellation,
  log,
  proxyActivities,
  workflowInfo,
} from '@temporalio/workflow';
import type { DemandLinkActivities } from '../activities/demandLinkActivities';
import type { DemandMappingActivities } from '../activities/demandMappingActivities';
import { syncActivityOptions } from './activityOptions';
import { timeToContinueAsNew } from './historyBudget';
import { DemandMappingRun } from './demandMappingRun';
import { demandMappingInputSchema, type DemandMappingInput, type DemandMappingSummary } from '../src/shared/demandMappingContract';
import { type PreparedDemand } from '../src/shared/demandActivityTypes';
import { installOperatorControls } from './operatorControls';
import { parseWorkflowInput } from './parseInput';
import { memoRequestKey, memoRequestSchema } from '../src/shared/operatorRequests';

/**
 * CRM -> PMS demand mapping. Pages through customer demands changed since the watermark: each is
 * validated, its products resolved, placed on a PMS requirement (existing or new, merged with the
 * same need from other customers), and the requirement id and status are written back to the CRM
 * demand and verified. Then orders become per-product monthly demand quantities in the PMS.
 */
export async function demandMapping(input: DemandMappingInput = {}): Promise<DemandMappingSummary> {
  const settings = parseWorkflowInput(demandMappingInputSchema, input, 'demandMapping');
  // Inside a workflow, Date is Temporal's deterministic clock (the workflow task's time).
  const run = DemandMappingRun.begin(settings, workflowInfo().lastResult, new Date().toISOString());
  const activities = proxyActivities<DemandMappingActivities & DemandLinkActivities>(syncActivityOptions(settings));
  const integrationId = settings.integrationId;
  const controls = installOperatorControls({
    workflowType: 'demandMapping',
    integrationId,
    direction: 'CrmToPms',
    attention: settings.attention,
    progress: (state) => run.progress(state),
    carried: settings.continuation?.operator,
    failures: () => run.failures(),
    retryFailed: (request) => run.requestRetry(request),
    skipFailed: (request) => run.skip(request, new Date().toISOString()),
  });
  run.acceptMemoRequest(memoRequestSchema.safeParse(workflowInfo().memo?.[memoRequestKey]).data, new Date().toISOString());
  // A system that stays down stops the run for an operator; the page goes again on resume.
  const call = controls.untilAvailable;
  // The page in flight finishes even when the run is cancelled.
  const wholePage = <T>(page: () => Promise<T>) => CancellationScope.nonCancellable(page);

  const shouldContinueAsNew = () => timeToContinueAsNew(run.pagesThisRun, settings.pagesPerRun);
  try {
    // Demands first, so a requirement exists before anything refers to it. A retryFailed sends a
    // feed back to its records (applyRetryRequest), so each pass looks at both feeds again.
    for (;;) {
      run.applyRetryRequest();
      if (!run.demandFeed.done) {
        await controls.waitWhilePaused();
        if (controls.cancelRequested) break;
        await wholePage(demandPage);
        if (!run.demandFeed.done && shouldContinueAsNew()) return await continueRun();
      } else if (!run.orderFeed.done) {
        await controls.waitWhilePaused();
        if (controls.cancelRequested) break;
        await wholePage(orderPage);
        if (!run.orderFeed.done && shouldContinueAsNew()) return await continueRun();
      } else break;
    }
  } catch (error) {
    if (!isCancellation(error)) throw controls.failure(error);
  }

  const summary = run.summary(new Date().toISOString(), controls.cancelRequested);
  controls.setState(summary.status);
  log.info('demandMapping finished', { integrationId, demands: summary.demands, orders: summary.orders });
  return summary;

  async function demandPage(): Promise<void> {
    const page = await call('Reading customer demands from the CRM', () =>
      activities.fetchDemandPage({
        integrationId,
        cursor: run.demandFeed.cursor,
        limit: settings.pageSize,
        maxBytes: settings.maxPageBytes,
      }),
    );
    run.count('demands', 'fetched', page.fetched);
    run.reject('demands', page.rejected);
    for (const issue of page.failed) run.fail('demands', issue.id, issue.reason, issue.position);
    if (page.demands.length > 0) await mapAndLink(page.demands);
    run.finishPage('demands', page.nextCursor, page.hasMore);
  }

  async function orderPage(): Promise<void> {
    const page = await call('Reading orders from the CRM', () =>
      activities.fetchOrderPage({ integrationId, cursor: run.orderFeed.cursor, limit: settings.pageSize }),
    );
    run.count('orders', 'fetched', page.fetched);
    run.reject('orders', page.rejected);
    for (const issue of page.failed) run.fail('orders', issue.id, issue.reason, issue.position);
    if (page.signals.length > 0) {
      run.count(
        'orders',
        'signals',
        await call('Writing demand signals to the PMS', () => activities.upsertDemandSignals({ integrationId, signals: page.signals })),
      );
      run.resolved([...new Set(page.signals.map((signal) => signal.orderId))]);
    }
    run.finishPage('orders', page.nextCursor, page.hasMore);
  }

  async function mapAndLink(demands: PreparedDemand[]): Promise<void> {
    const byId = new Map(demands.map((demand) => [demand.demandId, demand]));
    const mapped = await call('Placing demands on PMS requirements', () => activities.mapDemands({ integrationId, demands }));
    for (const failure of mapped.failed) run.fail('demands', failure.demandId, failure.reason, byId.get(failure.demandId)!.position);
    for (const outcome of mapped.outcomes) run.count('demands', outcome.action);
    run.resolved(mapped.outcomes.map((outcome) => outcome.demandId));
    const links = mapped.outcomes
      .filter(
        (o) =>
          byId.get(o.demandId)!.current.requirementId !== o.requirementId || byId.get(o.demandId)!.current.status !== o.requirementStatus,
      )
      .map((o) => ({ id: o.demandId, pmsRequirementId: o.requirementId, pmsStatus: o.requirementStatus }));
    if (links.length === 0) return;
    const verified = await call('Writing requirement links to the CRM', async () => {
      await activities.writeDemandLinks({ integrationId, links });
      return activities.verifyDemandLinks({ integrationId, links });
    });
    for (const mismatch of verified.mismatched) run.fail('demands', mismatch.id, mismatch.reason, byId.get(mismatch.id)!.position);
  }

  async function continueRun(): Promise<DemandMappingSummary> {
    await condition(allHandlersFinished);
    return continueAsNew<typeof demandMapping>({ ...settings, continuation: { ...run.continuation(), operator: controls.carry() } });
  }
}
