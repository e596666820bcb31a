import { chunk } from '../src/shared/chunk';
import type { LinkUpdate, VerifyLinksResult, WriteLinksResult } from '../src/shared/demandActivityTypes';
import { withFailureMapping } from './activityFailure';
import { demandIntegrationFor, demandMetrics, type DemandDeps } from './demandActivityContext';

const linkWriteBatch = 100;

/** The requirement link and status on CRM demands: written by demandMapping and demandStatus alike. */
export function createDemandLinkActivities(deps: DemandDeps) {
  return {
    /** Writes the requirement id and status onto CRM demands (only those fields; only when different). */
    async writeDemandLinks(input: { integrationId: string; links: LinkUpdate[] }): Promise<WriteLinksResult> {
      const { crm } = demandIntegrationFor(deps, input.integrationId);
      return withFailureMapping(async (heartbeat) => {
        const result: WriteLinksResult = { changed: [], unchanged: [], missing: [] };
        for (const part of chunk(input.links, Math.min(linkWriteBatch, crm.maxLinkBatch))) {
          for (const outcome of await crm.updateDemandLinks(part)) {
            (outcome.found ? (outcome.changed ? result.changed : result.unchanged) : result.missing).push(outcome.id);
          }
          heartbeat.alive();
        }
        const counters = demandMetrics(deps, input.integrationId, 'demandLinks');
        counters.recordsWritten(result.changed.length);
        counters.recordsUnchanged(result.unchanged.length);
        return result;
      });
    },

    /** Reads the demands back and checks that they show the link that was written. */
    async verifyDemandLinks(input: { integrationId: string; links: LinkUpdate[] }): Promise<VerifyLinksResult> {
      const { crm } = demandIntegrationFor(deps, input.integrationId);
      return withFailureMapping(async () => {
        const current = new Map<string, Record<string, unknown>>();
        for (const part of chunk(
          input.links.map((l) => l.id),
          1000,
        ))
          for (const demand of await crm.readDemands(part)) current.set(demand.id, demand);
        const result: VerifyLinksResult = { verified: [], mismatched: [] };
        for (const link of input.links) {
          const demand = current.get(link.id);
          if (demand?.pmsRequirementId === link.pmsRequirementId && demand.pmsStatus === link.pmsStatus) result.verified.push(link.id);
          else
            result.mismatched.push({
              id: link.id,
              reason: demand ? 'the CRM demand shows a different link than was written' : 'the demand is no longer in the CRM',
            });
        }
        demandMetrics(deps, input.integrationId, 'demandLinks').recordsMismatched(result.mismatched.length);
        return result;
      });
    },
  };
}

export type DemandLinkActivities = ReturnType<typeof createDemandLinkActivities>;
