import { z } from 'zod';
import { embeddingsServiceSchema } from './embeddingsServiceConfig';

/**
 * Deciding whether a new customer demand says the same thing as an existing requirement: the
 * shapes every matcher shares and their configuration. The offline matcher (offlineDemandMatcher.ts)
 * is the default; an embeddings matcher, which calls a service, is built in src/connectors.
 */

/** Defaults measured on the tuning half of test/fixtures/demand-eval (see MATCHER_EVAL.md). */
const defaultAutoLinkAt = 0.45;
const defaultSuggestAt = 0.15;

export const matcherConfigSchema = z
  .object({
    /** Which matcher scores demands: 'offline' (no service needed) or 'embeddings' (a service, see `embeddings`). */
    kind: z.enum(['offline', 'embeddings'], { error: "must be 'offline' or 'embeddings'" }).default('offline'),
    /** Score (0..1) at or above which a demand is linked without asking anyone. */
    autoLinkAt: z.number().min(0).max(1).optional(),
    /** Score at or above which (and below autoLinkAt) the link is written as a suggestion for a product manager. */
    suggestAt: z.number().min(0).max(1).optional(),
    /** Whether a demand may still join a requirement the tool calls released, declined or done. */
    linkToTerminal: z.boolean().default(false),
    /** Legacy: the single threshold of earlier versions; read as autoLinkAt. */
    threshold: z.number().min(0).max(1).optional(),
    /** Words that mean the same in this company's language, mapped to one canonical word (or words). */
    synonyms: z.record(z.string(), z.string()).default({}),
    /** The embeddings service the semantic matcher asks (kind 'embeddings'). */
    embeddings: embeddingsServiceSchema.optional(),
  })
  .superRefine((config, context) => {
    if (config.kind === 'embeddings' && !config.embeddings)
      context.addIssue({
        code: 'custom',
        path: ['embeddings'],
        message: "is required when kind is 'embeddings': give the service's url and model",
      });
  })
  .transform(({ threshold, autoLinkAt, suggestAt, ...rest }) => {
    const autoLink = autoLinkAt ?? threshold ?? defaultAutoLinkAt;
    return {
      ...rest,
      autoLinkAt: autoLink,
      suggestAt: suggestAt ?? Math.min(defaultSuggestAt, autoLink),
      /** Set when the configuration used the legacy `threshold`, so the host can say how it was read. */
      legacyThreshold: threshold !== undefined && autoLinkAt === undefined,
    };
  })
  .refine((config) => config.suggestAt <= config.autoLinkAt, {
    message: 'suggestAt must not be above autoLinkAt (a suggestion is a link the matcher is less sure of)',
    path: ['suggestAt'],
  });
export type MatcherConfig = z.infer<typeof matcherConfigSchema>;

/** A requirement as a matcher sees it. */
export interface MatchCandidate {
  id: string;
  title: string;
  description: string;
  terminal: boolean;
  /** Linked demands' texts: the matcher uses their centre, never the best single one (no chaining). */
  demands: Array<{ title: string; description: string }>;
}

export interface ScoredCandidate {
  id: string;
  score: number;
  /** Words a product manager understands. */
  reason: string;
}

export interface DemandMatcher {
  readonly kind: string;
  /** Candidates scored, best first (ties by id). May call a service (embeddings): then it throws typed SystemErrors. */
  rank(demand: { title: string; description: string }, candidates: MatchCandidate[]): Promise<ScoredCandidate[]>;
}

/** Best first; equal scores by id, so the same candidates always come in the same order. */
export function bestFirst(a: ScoredCandidate, b: ScoredCandidate): number {
  if (a.score !== b.score) return b.score - a.score;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
