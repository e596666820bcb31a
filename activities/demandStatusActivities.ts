import { positionOf } from '../src/shared/changeCursor';
import type { FeedPageInput, RequirementPage } from '../src/shared/demandActivityTypes';
import { withFailureMapping } from './activityFailure';
import { countedPage, demandIntegrationFor, type DemandDeps } from './demandActivityContext';

/** The PMS side of demandStatus: which requirements changed, and what their demands must show. */
export function createDemandStatusActivities(deps: DemandDeps) {
  return {
    /** One page of changed PMS requirements as the link and status every linked demand must show. */
    async fetchRequirementChanges(input: FeedPageInput): Promise<RequirementPage> {
      const { pms } = demandIntegrationFor(deps, input.integrationId);
      return withFailureMapping(async () => {
        const page = await pms.listChanges(input.cursor, input.limit);
        const updates = page.records.flatMap((requirement) =>
          requirement.demands.map((link) => ({
            id: link.demandId,
            pmsRequirementId: requirement.id,
            pmsStatus: requirement.status,
            position: positionOf(requirement),
          })),
        );
        return countedPage(deps, input.integrationId, 'demandStatus', {
          fetched: page.records.length,
          updates,
          nextCursor: page.nextCursor,
          hasMore: page.hasMore,
        });
      });
    },
  };
}

export type DemandStatusActivities = ReturnType<typeof createDemandStatusActivities>;
