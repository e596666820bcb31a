import path from 'node:path';
import type { DemandMatcher, MatcherConfig } from '../domain/demandMatcher';
import { createOfflineDemandMatcher } from '../domain/offlineDemandMatcher';
import { EmbeddingCache } from './embeddingCache';
import { EmbeddingsMatcher } from './embeddingsMatcher';
import { resolveSecret } from './secret';

export interface DemandMatcherDeps {
  env: NodeJS.ProcessEnv;
  /** The bridge's data directory (`dataDir`): the embeddings cache lives there. */
  dataDir: string;
}

/** The embeddings cache file of a data directory, shared by every demand sync of the worker. */
export const embeddingCacheFile = (dataDir: string): string => path.join(dataDir, 'embeddings-cache.sqlite');

/**
 * The matcher a demand sync's `matcher` configuration asks for. For 'embeddings' the API key is read
 * here, once, from the environment variable the configuration names; a missing variable stops the
 * worker at start with a message naming it, rather than every run later.
 */
export function createDemandMatcher(config: MatcherConfig, deps: DemandMatcherDeps): DemandMatcher {
  if (config.kind === 'offline') return createOfflineDemandMatcher({ synonyms: config.synonyms });
  const service = config.embeddings;
  if (!service) throw new Error("matcher.embeddings is required when matcher.kind is 'embeddings': give the service's url and model.");
  const apiKey = service.apiKeyEnv
    ? resolveSecret({ env: service.apiKeyEnv }, deps.env, 'The API key of the embeddings service (matcher.embeddings.apiKeyEnv)')
    : undefined;
  return new EmbeddingsMatcher({
    config: service,
    ...(apiKey ? { apiKey } : {}),
    cache: new EmbeddingCache({ file: embeddingCacheFile(deps.dataDir), maxEntries: service.cacheEntries }),
  });
}
