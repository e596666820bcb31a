import type { MatchCandidate, ScoredCandidate } from './demandMatcher';

/**
 * Where a new demand goes, from the matcher's ranking: the confidence tiers. At or above
 * `autoLinkAt` the demand is linked; from `suggestAt` up to it the link is a suggestion a product
 * manager confirms or rejects in the tool; below `suggestAt` it gets a requirement of its own. A
 * requirement the demand was rejected from is never suggested again; a terminal requirement
 * (released, declined, done) takes no new demand unless configured: the demand gets a new
 * requirement that refers to the old one.
 */

export interface PlacementTiers {
  autoLinkAt: number;
  suggestAt: number;
  linkToTerminal: boolean;
}

export type Placement =
  | { action: 'link'; requirementId: string; linkState: 'linked' | 'suggested'; score: number; reason: string }
  | { action: 'create'; refersTo?: string; reason: string };

const two = (value: number) => value.toFixed(2);

export function decidePlacement(
  ranked: readonly ScoredCandidate[],
  candidates: readonly Pick<MatchCandidate, 'id' | 'title' | 'terminal'>[],
  tiers: PlacementTiers,
  /** Requirements a product manager rejected this demand from. */
  rejectedFrom: ReadonlySet<string> = new Set(),
): Placement {
  const best = ranked.find((scored) => !rejectedFrom.has(scored.id));
  if (!best) {
    const reason = ranked.length === 0 ? 'no requirement for this product yet' : 'a product manager rejected it from every match';
    return { action: 'create', reason };
  }
  if (best.score < tiers.suggestAt) {
    return { action: 'create', reason: `no requirement close enough: best ${best.reason} < suggest ${two(tiers.suggestAt)}` };
  }
  const candidate = candidates.find((c) => c.id === best.id);
  if (candidate?.terminal && !tiers.linkToTerminal) {
    return {
      action: 'create',
      refersTo: best.id,
      reason: `the same need as ${best.id} "${candidate.title}", which is closed (released, declined or done): ${best.reason}`,
    };
  }
  if (best.score >= tiers.autoLinkAt) {
    return {
      action: 'link',
      requirementId: best.id,
      linkState: 'linked',
      score: best.score,
      reason: `${best.reason} >= auto-link ${two(tiers.autoLinkAt)}`,
    };
  }
  return {
    action: 'link',
    requirementId: best.id,
    linkState: 'suggested',
    score: best.score,
    reason: `${best.reason}: between suggest ${two(tiers.suggestAt)} and auto-link ${two(tiers.autoLinkAt)}, so a product manager decides`,
  };
}
