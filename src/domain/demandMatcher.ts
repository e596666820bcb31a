import { z } from 'zod';
import { embeddingsServiceSchema } from './embeddingsServiceConfig';

/**
 * Decides whether a new customer demand says the same thing as an existing requirement.
 * Deterministic on purpose: the same texts always give the same answer, and the answer comes with
 * the words that made it, so a product manager can see why two were merged and undo it.
 */

export const matcherConfigSchema = z
  .object({
    /** Which matcher scores demands: 'offline' (no service needed) or 'embeddings' (a service, see `embeddings`). */
    kind: z.enum(['offline', 'embeddings'], { error: "must be 'offline' or 'embeddings'" }).default('offline'),
    /** Similarity (0..1) at or above which a demand is linked to an existing requirement. */
    threshold: z.number().min(0).max(1).default(0.45),
    /** Words that mean the same in this company's language, mapped to one canonical word. */
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
  });
export type MatcherConfig = z.infer<typeof matcherConfigSchema>;

/** General words that say nothing about what is asked for. */
const stopWords = new Set(
  (
    'a an and are as at be been but by can could do does for from had has have how i if in into is it its ' +
    'let lets like me more most my need needs of on or our please should so some such than that the their them ' +
    'then there these they this to us want wants was we were what when where which while who why will with would ' +
    'you your able allow allows support supports customer customers user users option ability would also via'
  ).split(' '),
);

/** Built-in synonyms for common product vocabulary; configuration adds or overrides. */
const builtInSynonyms: Record<string, string> = {
  xlsx: 'excel',
  xls: 'excel',
  spreadsheet: 'excel',
  csv: 'excel',
  download: 'export',
  extract: 'export',
  sso: 'singlesignon',
  saml: 'singlesignon',
  login: 'signin',
  logon: 'signin',
  signon: 'signin',
  mobile: 'phoneapp',
  smartphone: 'phoneapp',
  notify: 'alert',
  notification: 'alert',
  alarm: 'alert',
  warning: 'alert',
  faster: 'speed',
  slow: 'speed',
  slowness: 'speed',
  performance: 'speed',
  latency: 'speed',
};

/** Crude English stemming: enough to make "exports", "exporting" and "exported" one word. */
function stem(word: string): string {
  for (const suffix of ['ations', 'ation', 'ings', 'ing', 'ies', 'ed', 'es', 's']) {
    if (word.length > suffix.length + 3 && word.endsWith(suffix)) {
      return suffix === 'ies' ? `${word.slice(0, -3)}y` : word.slice(0, -suffix.length);
    }
  }
  return word;
}

/**
 * The canonical word for `word`, from the configured synonyms, then the built-in ones. Own entries
 * only: a customer writing "constructor" would otherwise get Object's constructor function as a
 * key term, and match every other demand that says "constructor" with a function as the reason.
 */
function synonymOf(word: string, synonyms: Record<string, string>): string | undefined {
  if (Object.hasOwn(synonyms, word)) return synonyms[word];
  return Object.hasOwn(builtInSynonyms, word) ? builtInSynonyms[word] : undefined;
}

export function keyTerms(text: string, synonyms: Record<string, string> = {}): Set<string> {
  const terms = new Set<string>();
  const words = text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .split(/[^a-z0-9]+/);
  for (const word of words) {
    if (word.length < 2 || stopWords.has(word)) continue;
    const stemmed = stem(synonymOf(word, synonyms) ?? word);
    terms.add(synonymOf(stemmed, synonyms) ?? stemmed);
  }
  return terms;
}

/** One text the offline matcher compares a demand with: a requirement's own, or a linked demand's. */
export interface MatchText {
  id: string;
  title: string;
  description: string;
}

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

export interface Match {
  id: string;
  score: number;
  /** Why: the similarity and the terms both texts share, for the product manager. */
  reason: string;
}

/**
 * Similarity of two texts: the Dice coefficient of their key terms, with the title counted on its
 * own too, since titles carry the gist and descriptions add noise.
 */
export function similarity(
  a: { title: string; description: string },
  b: { title: string; description: string },
  synonyms: Record<string, string> = {},
): { score: number; shared: string[] } {
  const dice = (x: Set<string>, y: Set<string>) => {
    if (x.size === 0 || y.size === 0) return { score: 0, shared: [] as string[] };
    const shared = [...x].filter((term) => y.has(term));
    return { score: (2 * shared.length) / (x.size + y.size), shared };
  };
  const titles = dice(keyTerms(a.title, synonyms), keyTerms(b.title, synonyms));
  const whole = dice(keyTerms(`${a.title} ${a.description}`, synonyms), keyTerms(`${b.title} ${b.description}`, synonyms));
  const score = Math.max(titles.score, 0.5 * titles.score + 0.5 * whole.score);
  const shared = [...new Set([...titles.shared, ...whole.shared])].sort();
  return { score: Math.round(score * 1000) / 1000, shared };
}

/** Orders candidates completely: by id, then text, so equal ids (one requirement, several texts) have one order too. */
function byIdThenText(x: MatchText, y: MatchText): number {
  for (const key of ['id', 'title', 'description'] as const) {
    if (x[key] !== y[key]) return x[key] < y[key] ? -1 : 1;
  }
  return 0;
}

/**
 * The best candidate at or above the threshold; ties go to the smaller id, so the answer is stable.
 * A requirement comes as several candidates with its id (its own text and each linked demand's):
 * sorting by id alone left their order, and so the text named in the reason, to the caller's order.
 */
export function findMatch(
  demand: { title: string; description: string },
  candidates: MatchText[],
  config: MatcherConfig,
): Match | undefined {
  let best: Match | undefined;
  for (const candidate of [...candidates].sort(byIdThenText)) {
    const { score, shared } = similarity(demand, candidate, config.synonyms);
    if (score < config.threshold || (best && score <= best.score)) continue;
    best = {
      id: candidate.id,
      score,
      reason: `similarity ${score.toFixed(2)} (threshold ${config.threshold}) with "${candidate.title}"; shared terms: ${shared.join(', ')}`,
    };
  }
  return best;
}
