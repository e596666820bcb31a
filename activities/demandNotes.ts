import type { DemandNote, DemandNotesTarget, ToolReference } from '../src/connectors/demandConnectors';
import type { MapDemandsResult, PreparedDemand } from '../src/shared/demandActivityTypes';
import { chunk } from '../src/shared/chunk';
import { sentStrings, withoutSentValues } from '../src/connectors/refusalReason';

type Lookup = Record<'entity' | 'company', Map<string, string[]>>;

/** The id a reference stands for, or why it stands for none. */
function idOf(reference: ToolReference, kind: 'entity' | 'company', lookup: Lookup, system: string): { id: string } | { problem: string } {
  if (typeof reference === 'string') return { id: reference };
  const ids = lookup[kind].get(reference.name) ?? [];
  if (ids.length === 1) return { id: ids[0]! };
  const what = kind === 'company' ? 'company' : 'feature';
  return {
    problem:
      ids.length === 0
        ? `${system} has no ${what} named '${reference.name}'`
        : `${system} has ${ids.length} ${what}s named '${reference.name}'; give its id instead`,
  };
}

function noteFor(demand: PreparedDemand, target: DemandNotesTarget, lookup: Lookup): DemandNote | { problem: string } {
  const entityIds: string[] = [];
  for (const productId of [demand.productId, ...demand.otherProductIds]) {
    const reference = target.entityByProduct[productId];
    if (reference === undefined) continue;
    const found = idOf(reference, 'entity', lookup, target.sink.system);
    if ('problem' in found) return found;
    entityIds.push(found.id);
  }
  const companyReference = target.companyByAccount[demand.account.id];
  const company = companyReference === undefined ? undefined : idOf(companyReference, 'company', lookup, target.sink.system);
  if (company && 'problem' in company) return company;
  return {
    demandId: demand.demandId,
    title: demand.title,
    description: demand.description,
    entityIds: [...new Set(entityIds)],
    ...(company ? { companyId: company.id } : {}),
  };
}

/** Looks up, once per batch, the names the batch's demands refer to. */
async function lookUpNames(target: DemandNotesTarget, demands: PreparedDemand[]): Promise<Lookup> {
  const namesOf = (references: Array<ToolReference | undefined>) => [
    ...new Set(references.flatMap((r) => (r !== undefined && typeof r !== 'string' ? [r.name] : []))),
  ];
  const entityNames = namesOf(demands.flatMap((d) => [d.productId, ...d.otherProductIds].map((id) => target.entityByProduct[id])));
  const companyNames = namesOf(demands.map((d) => target.companyByAccount[d.account.id]));
  return {
    entity: entityNames.length > 0 ? await target.sink.idsByName('entity', entityNames) : new Map<string, string[]>(),
    company: companyNames.length > 0 ? await target.sink.idsByName('company', companyNames) : new Map<string, string[]>(),
  };
}

/**
 * Writes a note for every demand just mapped. A demand whose note the tool refused moves from the
 * outcomes to the failures, so the watermark stays before it and the next run writes it again
 * (the note sink finds the note it already made, so nothing is duplicated).
 */
export async function recordDemandNotes(
  target: DemandNotesTarget,
  demands: PreparedDemand[],
  result: MapDemandsResult,
  heartbeat: () => void,
): Promise<void> {
  const mapped = new Set(result.outcomes.map((o) => o.demandId));
  const refused = new Map<string, string>();
  for (const part of chunk(
    demands.filter((d) => mapped.has(d.demandId)),
    target.sink.maxBatch,
  )) {
    const lookup = await lookUpNames(target, part);
    const notes: DemandNote[] = [];
    for (const demand of part) {
      const note = noteFor(demand, target, lookup);
      // A name nobody has (yet) fails only this demand; the next run looks it up again.
      if ('problem' in note) refused.set(demand.demandId, `${target.sink.system} cannot take its note: ${note.problem}`);
      else notes.push(note);
    }
    for (const outcome of await target.sink.recordDemandNotes(notes)) {
      if (outcome.error !== undefined) {
        const note = notes.find((n) => n.demandId === outcome.demandId);
        refused.set(outcome.demandId, `${target.sink.system} refused its note: ${withoutSentValues(outcome.error, sentStrings(note))}`);
      }
    }
    heartbeat();
  }
  if (refused.size === 0) return;
  result.outcomes = result.outcomes.filter((o) => !refused.has(o.demandId));
  for (const [demandId, reason] of refused) result.failed.push({ demandId, reason });
}
