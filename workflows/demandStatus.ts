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
import type { DemandStatusActivities } from '../activities/demandStatusActivities';
import { demandStatusInputSchema, type DemandStatusInput, type DemandStatusSummary } from '../src/shared/demandStatusContract';
import { syncActivityOptions } from './activityOptions';
import { DemandStatusRun } from './demandStatusRun';
import { timeToContinueAsNew } from './historyBudget';
import { installOperatorControls } from './operatorControls';
import { parseWorkflowInput } from './parseInput';
import { memoRequestKey, memoRequestSchema } from '../src/shared/operatorRequests';

/**
 * PMS -> CRM status: when a requirement changes (planned, released, declined ...), every CRM
 * demand linked to it gets that status. The PMS owns requirement status and the CRM owns demand
 * content: only the demand's link fields are ever written.
 */
export async function demandStatus(input: DemandStatusInput = {}): Promise<DemandStatusSummary> {
  const settings = parseWorkflowInput(demandStatusInputSchema, input, 'demandStatus');
  const { integrationId } = settings;
  // Inside a workflow, Date is Temporal's deterministic clock (the workflow task's time).
  const run = DemandStatusRun.begin(settings, workflowInfo().lastResult, new Date().toISOString());
  const activities = proxyActivities<DemandStatusActivities & DemandLinkActivities>(syncActivityOptions(settings));
  const controls = installOperatorControls({
    workflowType: 'demandStatus',
    integrationId,
    direction: 'PmsToCrm',
    attention: settings.attention,
    progress: (state) => run.progress(state),
    carried: settings.continuation?.operator,
    failures: () => run.failures(),
    retryFailed: (request) => run.requestRetry(request),
    skipFailed: (request) => run.skip(request, new Date().toISOString()),
  });
  run.acceptMemoRequest(memoRequestSchema.safeParse(workflowInfo().memo?.[memoRequestKey]).data, new Date().toISOString());

  try {
    // A retryFailed sends the feed back to its records (applyRetryRequest), even after its last page.
    for (;;) {
      run.applyRetryRequest();
      if (run.feed.done) break;
      await controls.waitWhilePaused();
      if (controls.cancelRequested) break;
      // The page in flight finishes even when the run is cancelled; a system that stays down
      // stops the run for an operator and the step goes again on resume.
      await CancellationScope.nonCancellable(async () => {
        const page = await controls.untilAvailable('Reading requirement changes from the PMS', () =>
          activities.fetchRequirementChanges({ integrationId, cursor: run.feed.cursor, limit: settings.pageSize }),
        );
        run.recordFetched(page);
        if (page.updates.length > 0) {
          const links = page.updates.map(({ id, pmsRequirementId, pmsStatus }) => ({ id, pmsRequirementId, pmsStatus }));
          const { written, verified } = await controls.untilAvailable('Writing requirement status to the CRM', async () => {
            const written = await activities.writeDemandLinks({ integrationId, links });
            const missing = new Set(written.missing);
            const stillThere = links.filter((link) => !missing.has(link.id));
            return { written, verified: await activities.verifyDemandLinks({ integrationId, links: stillThere }) };
          });
          run.recordWritten(written);
          for (const mismatch of verified.mismatched) {
            run.recordMismatch(mismatch.id, mismatch.reason, page.updates.find((u) => u.id === mismatch.id)!.position);
          }
        }
        run.finishPage(page.nextCursor, page.hasMore);
      });
      if (!run.feed.done && timeToContinueAsNew(run.pagesThisRun, settings.pagesPerRun)) {
        await condition(allHandlersFinished);
        return await continueAsNew<typeof demandStatus>({
          ...settings,
          continuation: { ...run.continuation(), operator: controls.carry() },
        });
      }
    }
  } catch (error) {
    if (!isCancellation(error)) throw controls.failure(error);
  }

  const summary = run.summary(new Date().toISOString(), controls.cancelRequested);
  controls.setState(summary.status);
  log.info('demandStatus finished', { integrationId, ...summary.counts });
  return summary;
}
