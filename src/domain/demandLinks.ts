import type { DemandLink, LinkState } from './requirement';
import type { PreparedDemand } from '../shared/demandActivityTypes';

/** How the matcher placed a demand on a requirement: its score, why, and whether a product manager is asked. */
export interface LinkDecision {
  matchReason: string | null;
  matchScore: number | null;
  linkState: LinkState;
}

/** The decision for the demand that creates a requirement: nothing matched, nothing to confirm. */
export const creatingDecision: LinkDecision = { matchReason: null, matchScore: null, linkState: 'linked' };

/** A demand's place on a requirement: who asked and what stands behind it; contact data only if configured. */
function linkFor(demand: PreparedDemand, decision: LinkDecision, linkedAt: string): DemandLink {
  return {
    demandId: demand.demandId,
    title: demand.title,
    kind: demand.kind,
    priority: demand.priority,
    accountId: demand.account.id,
    accountName: demand.account.name,
    segment: demand.account.segment,
    accountValue: demand.account.value,
    matchReason: decision.matchReason,
    matchScore: decision.matchScore,
    linkState: decision.linkState,
    linkedAt,
    ...(demand.contact ? { contact: demand.contact } : {}),
  };
}

/** The links of a requirement a demand creates: the demand alone. */
export function firstLink(demand: PreparedDemand, now: string): DemandLink[] {
  return [linkFor(demand, creatingDecision, now)];
}

/**
 * The link list with this demand's entry added or refreshed. How, when and in which state it was
 * linked stay: a product manager's 'confirmed' or 'rejected' is never overwritten, nor a suggestion
 * turned into a link behind their back.
 */
export function withLink(links: DemandLink[], demand: PreparedDemand, decision: LinkDecision, now: string): DemandLink[] {
  const existing = links.find((link) => link.demandId === demand.demandId);
  const kept: LinkDecision = existing
    ? { matchReason: existing.matchReason, matchScore: existing.matchScore, linkState: existing.linkState }
    : decision;
  const fresh = linkFor(demand, kept, existing?.linkedAt ?? now);
  return existing ? links.map((link) => (link.demandId === demand.demandId ? fresh : link)) : [...links, fresh];
}

/** The demands a requirement stands for: every link but those a product manager rejected. */
export function standingLinks(links: readonly DemandLink[]): DemandLink[] {
  return links.filter((link) => link.linkState !== 'rejected');
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
      link.matchScore,
      link.linkState,
      link.linkedAt,
      link.contact ?? null,
    ]);
  return a.length === b.length && a.every((link, index) => owned(link) === owned(b[index]!));
}
