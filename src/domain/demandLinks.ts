import type { DemandLink } from './requirement';
import type { PreparedDemand } from '../shared/demandActivityTypes';

/** A demand's place on a requirement: who asked and what stands behind it; contact data only if configured. */
function linkFor(demand: PreparedDemand, matchReason: string | null, linkedAt: string): DemandLink {
  return {
    demandId: demand.demandId,
    title: demand.title,
    kind: demand.kind,
    priority: demand.priority,
    accountId: demand.account.id,
    accountName: demand.account.name,
    segment: demand.account.segment,
    accountValue: demand.account.value,
    matchReason,
    linkedAt,
    ...(demand.contact ? { contact: demand.contact } : {}),
    matchScore: null,
    linkState: 'linked',
  };
}

/** The links of a requirement a demand creates: the demand alone. */
export function firstLink(demand: PreparedDemand, now: string): DemandLink[] {
  return [linkFor(demand, null, now)];
}

/** The link list with this demand's entry added or refreshed; how and when it was linked stay. */
export function withLink(links: DemandLink[], demand: PreparedDemand, matchReason: string | null, now: string): DemandLink[] {
  const existing = links.find((link) => link.demandId === demand.demandId);
  const fresh = linkFor(demand, existing?.matchReason ?? matchReason, existing?.linkedAt ?? now);
  return existing ? links.map((link) => (link.demandId === demand.demandId ? fresh : link)) : [...links, fresh];
}

/** Compares what the bridge writes on a link, whatever key order or extra fields the PMS returns. */
export function sameLinks(a: DemandLink[], b: DemandLink[]): boolean {
  const owned = (link: DemandLink) =>
    JSON.stringify([
      link.demandId,
      link.title,
      link.kind,
      link.priority,
      link.accountId,
      link.accountName,
      link.segment,
      link.accountValue,
      link.matchReason,
      link.linkedAt,
      link.contact ?? null,
    ]);
  return a.length === b.length && a.every((link, index) => owned(link) === owned(b[index]!));
}
