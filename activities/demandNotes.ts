import type { DemandNote, DemandNoteSink } from '../src/connectors/demandConnectors';
import type { MapDemandsResult, PreparedDemand } from '../workflows/demandTypes';
import { chunk } from '../src/chunk';

/** Where a demand integration also writes each demand as a note (e.g. Productboard), from configuration. */
export interface DemandNotesTarget {
  sink: DemandNoteSink;
  /** The tool's feature (or component) for a PMS product id; a product not named gets a note without link. */
  entityByProduct: Record<string, string>;
  /** The tool's company for a CRM account id. */
  companyByAccount: Record<string, string>;
}

function noteFor(demand: PreparedDemand, target: DemandNotesTarget): DemandNote {
  const entityIds = [demand.productId, ...demand.otherProductIds].flatMap((id) => (target.entityByProduct[id] ? [target.entityByProduct[id]] : []));
  const companyId = target.companyByAccount[demand.account.id];
  return {
    demandId: demand.demandId,
    title: demand.title,
    description: demand.description,
    entityIds: [...new Set(entityIds)],
    ...(companyId ? { companyId } : {}),
  };
}

/**
 * Writes a note for every demand just mapped. A demand whose note the tool refused moves from the
 * outcomes to the failures, so the watermark stays before it and the next run writes it again
 * (the note sink finds the note it already made, so nothing is duplicated).
 */
export async function recordDemandNotes(target: DemandNotesTarget, demands: PreparedDemand[], result: MapDemandsResult, heartbeat: () => void): Promise<void> {
  const mapped = new Set(result.outcomes.map((o) => o.demandId));
  const refused = new Map<string, string>();
  for (const part of chunk(demands.filter((d) => mapped.has(d.demandId)), target.sink.maxBatch)) {
    for (const outcome of await target.sink.recordDemandNotes(part.map((d) => noteFor(d, target)))) {
      if (outcome.error !== undefined) refused.set(outcome.demandId, `${target.sink.system} refused its note: ${outcome.error}`);
    }
    heartbeat();
  }
  if (refused.size === 0) return;
  result.outcomes = result.outcomes.filter((o) => !refused.has(o.demandId));
  for (const [demandId, reason] of refused) result.failed.push({ demandId, reason });
}
