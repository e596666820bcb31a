import type { EvalDemand } from './demandEvalSet';

/** Pairwise agreement of a placement with the truth: each pair of demands is together or apart in both. */
export interface PairwiseScore {
  pairs: number;
  truePairs: number;
  precision: number;
  recall: number;
  f1: number;
}

/**
 * Over the pairs `include` accepts: precision is the share of pairs placed together that are one
 * need, recall the share of same-need pairs placed together. With no pair placed together precision
 * is 1 (nothing wrong was merged); with no true pair recall is 1.
 */
export function pairwiseScore(
  demands: readonly EvalDemand[],
  requirementOf: ReadonlyMap<string, string>,
  include: (a: EvalDemand, b: EvalDemand) => boolean,
): PairwiseScore {
  let together = 0;
  let truePairs = 0;
  let correct = 0;
  let pairs = 0;
  for (let i = 0; i < demands.length; i++) {
    for (let j = i + 1; j < demands.length; j++) {
      const a = demands[i]!;
      const b = demands[j]!;
      if (!include(a, b)) continue;
      pairs++;
      const same = a.need === b.need;
      const placed = requirementOf.get(a.id) === requirementOf.get(b.id);
      if (same) truePairs++;
      if (placed) together++;
      if (same && placed) correct++;
    }
  }
  const precision = together === 0 ? 1 : correct / together;
  const recall = truePairs === 0 ? 1 : correct / truePairs;
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { pairs, truePairs, precision, recall, f1 };
}

/** Needs with at least two demands whose demands ended on more than one requirement. */
export function splitNeeds(demands: readonly EvalDemand[], requirementOf: ReadonlyMap<string, string>): string[] {
  const placesOf = new Map<string, Set<string>>();
  for (const demand of demands) {
    const places = placesOf.get(demand.need) ?? new Set<string>();
    places.add(requirementOf.get(demand.id)!);
    placesOf.set(demand.need, places);
  }
  return [...placesOf].filter(([, places]) => places.size > 1).map(([need]) => need);
}
