import { z } from 'zod';
import type { DemandPriority } from './crmDemand';

/**
 * How much weight a requirement carries with the product team, from the demands linked to it:
 * how many accounts ask, how much revenue stands behind them, and how urgent they said it was.
 */
export const scoringSchema = z.object({
  perAccount: z.number().min(0).default(10),
  /** Points per 1,000 of the asking accounts' annual value (each account counted once). */
  perThousandValue: z.number().min(0).default(0.1),
  priorityWeights: z
    .object({ low: z.number().min(0), medium: z.number().min(0), high: z.number().min(0), critical: z.number().min(0) })
    .default({ low: 1, medium: 2, high: 4, critical: 8 }),
});
export type ScoringConfig = z.infer<typeof scoringSchema>;

export interface ScoredLink {
  accountId: string;
  accountValue: number;
  priority: DemandPriority;
}

export function demandScore(links: readonly ScoredLink[], scoring: ScoringConfig): number {
  const valueByAccount = new Map<string, number>();
  let priorityPoints = 0;
  for (const link of links) {
    valueByAccount.set(link.accountId, Math.max(valueByAccount.get(link.accountId) ?? 0, link.accountValue));
    priorityPoints += scoring.priorityWeights[link.priority];
  }
  const value = [...valueByAccount.values()].reduce((sum, v) => sum + v, 0);
  const score = scoring.perAccount * valueByAccount.size + (scoring.perThousandValue * value) / 1000 + priorityPoints;
  return Math.round(score * 100) / 100;
}
