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
import type { DemandActivities } from '../activities/demandMappingActivities';
import { syncActivityOptions } from './activityOptions';
import { timeToContinueAsNew } from './historyBudget';
import {
  demandStatusInputSchema,
  statusCounterNames,
  type DemandStatusContinuation,
  type DemandStatusInput,
  type DemandStatusSummary,
} from './demandTypes';
import { feedWatermark, noteFailure, startFeed } from './feedCursor';
import { previousSummary } from './lastResult';
import { runTiming } from './runSummary';
import { installOperatorControls } from './operatorControls';
import { parseWorkflowInput } from './parseInput';
import { pushCapped } from './recordIssues';

/**
 * PMS -> CRM status: when a requirement changes (planned, released, declined ...), every CRM
 * demand linked to it gets that status. The PMS owns requirement status and the CRM owns demand
 * content: only the demand's link fields are ever written.
 */
export async function demandStatus(input: DemandStatusInput = {}): Promise<DemandStatusSummary> {
  const settings = parseWorkflowInput(demandStatusInputSchema, input, 'demandStatus');
  const { integrationId } = settings;
  const previous = previousSummary<DemandStatusSummary>(workflowInfo().lastResult, 'counts')?.watermark ?? null;
  const state: DemandStatusContinuation = settings.continuation ?? {
    feed: { ...startFeed(settings.watermark !== undefined ? settings.watermark : previous, settings.overlapMs), done: false },
    counts: Object.fromEntries(statusCounterNames.map((name) => [name, 0])) as DemandStatusContinuation['counts'],
    failed: [],
    pages: 0,
    continuedAsNew: 0,
    // Inside a workflow, Date is Temporal's deterministic clock (the workflow task's time).
    startedAt: new Date().toISOString(),
  };
  const pagesBefore = state.pages;
  const activities = proxyActivities<DemandActivities>(syncActivityOptions(settings));
  const controls = installOperatorControls({
    workflowType: 'demandStatus',
    integrationId,
    direction: 'PmsToCrm',
    attention: settings.attention,
    progress: (syncState) => ({
      state: syncState,
      integrationId,
      pages: state.pages,
      counts: { ...state.counts },
      cursor: state.feed.cursor,
      watermark: feedWatermark(state.feed),
    }),
  });

  try {
    while (!state.feed.done) {
      await controls.waitWhilePaused();
      if (controls.cancelRequested) break;
      // The page in flight finishes even when the run is cancelled; a system that stays down
      // stops the run for an operator and the step goes again on resume.
      await CancellationScope.nonCancellable(async () => {
        const page = await controls.untilAvailable('Reading requirement changes from the PMS', () =>
          activities.fetchRequirementChanges({ integrationId, cursor: state.feed.cursor, limit: settings.pageSize }),
        );
        state.counts.fetched += page.fetched;
        if (page.updates.length > 0) {
          const links = page.updates.map(({ id, pmsRequirementId, pmsStatus }) => ({ id, pmsRequirementId, pmsStatus }));
          const { written, verified } = await controls.untilAvailable('Writing requirement status to the CRM', async () => {
            const written = await activities.writeDemandLinks({ integrationId, links });
            const missing = new Set(written.missing);
            return {
              written,
              verified: await activities.verifyDemandLinks({ integrationId, links: links.filter((link) => !missing.has(link.id)) }),
            };
          });
          state.counts.updated += written.changed.length;
          state.counts.unchanged += written.unchanged.length;
          state.counts.missing += written.missing.length;
          for (const mismatch of verified.mismatched) {
            state.counts.failed += 1;
            pushCapped(state.failed, { id: mismatch.id, reason: mismatch.reason });
            noteFailure(state.feed, page.updates.find((u) => u.id === mismatch.id)!.position);
          }
        }
        if (page.nextCursor) state.feed.cursor = page.nextCursor;
        state.feed.done = !page.hasMore;
        state.pages += 1;
      });
      if (!state.feed.done && timeToContinueAsNew(state.pages - pagesBefore, settings.pagesPerRun)) {
        await condition(allHandlersFinished);
        return await continueAsNew<typeof demandStatus>({
          ...settings,
          continuation: { ...state, continuedAsNew: state.continuedAsNew + 1 },
        });
      }
    }
  } catch (error) {
    if (!isCancellation(error)) throw controls.failure(error);
  }

  const finishedAt = new Date().toISOString();
  const summary: DemandStatusSummary = {
    integrationId,
    status: controls.cancelRequested ? 'Cancelled' : state.counts.failed > 0 ? 'CompletedWithFailures' : 'Completed',
    counts: state.counts,
    failed: state.failed,
    watermark: feedWatermark(state.feed),
    ...runTiming(state.startedAt, finishedAt),
    pages: state.pages,
    continuedAsNew: state.continuedAsNew,
  };
  controls.setState(summary.status);
  log.info('demandStatus finished', { integrationId, ...summary.counts });
  return summary;
}
