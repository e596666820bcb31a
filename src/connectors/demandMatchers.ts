import type { DemandMatcher, MatcherConfig } from '../domain/demandMatcher';
import { createOfflineDemandMatcher } from '../domain/offlineDemandMatcher';

/** The matcher a demand sync's configuration names. */
export function createDemandMatcher(config: MatcherConfig): DemandMatcher {
  switch (config.kind) {
    case 'offline':
      return createOfflineDemandMatcher({ synonyms: config.synonyms });
  }
}
