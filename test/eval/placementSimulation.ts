import type { DemandMatcher, MatchCandidate } from '../../src/domain/demandMatcher';
import { decidePlacement, type PlacementTiers } from '../../src/domain/demandPlacement';
import type { EvalDemand } from './demandEvalSet';

interface SimulatedRequirement extends MatchCandidate {
  /** Every demand on it, suggested or linked: what the tool shows until a product manager acts. */
  members: string[];
}

export interface SimulatedPlacement {
  /** Demand id -> requirement id. */
  requirementOf: Map<string, string>;
  requirements: number;
  suggested: number;
}

/**
 * Places demands one by one as the demandMapping activity does: each is ranked against the
 * requirements created so far for its area, and the tiers decide link, suggestion or a new
 * requirement. Like the activity, a requirement shows the matcher its own text (the first
 * demand's) and the titles of its linked (not merely suggested) demands.
 */
export async function simulatePlacement(
  demands: readonly EvalDemand[],
  matcher: DemandMatcher,
  tiers: PlacementTiers,
): Promise<SimulatedPlacement> {
  const byArea = new Map<string, SimulatedRequirement[]>();
  const requirementOf = new Map<string, string>();
  let created = 0;
  let suggested = 0;
  for (const demand of demands) {
    const requirements = byArea.get(demand.area) ?? [];
    byArea.set(demand.area, requirements);
    const ranked = await matcher.rank(demand, requirements);
    const placement = decidePlacement(ranked, requirements, tiers);
    if (placement.action === 'create') {
      const requirement: SimulatedRequirement = {
        id: `R-${++created}`,
        title: demand.title,
        description: demand.description,
        terminal: false,
        demands: [{ title: demand.title, description: '' }],
        members: [demand.id],
      };
      requirements.push(requirement);
      requirementOf.set(demand.id, requirement.id);
      continue;
    }
    const requirement = requirements.find((r) => r.id === placement.requirementId)!;
    requirement.members.push(demand.id);
    if (placement.linkState === 'linked') requirement.demands.push({ title: demand.title, description: '' });
    else suggested++;
    requirementOf.set(demand.id, requirement.id);
  }
  return { requirementOf, requirements: created, suggested };
}
