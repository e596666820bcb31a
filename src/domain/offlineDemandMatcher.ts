import { bestFirst, type DemandMatcher, type MatchCandidate, type ScoredCandidate } from './demandMatcher';
import { intentOf, oppositeIntent } from './demandIntent';
import { compoundParts, typoCanonicals } from './demandTermVariants';
import { stemmedLanguageOf, termsOf, wordsOf, type StemmedLanguage } from './demandText';

/**
 * The default matcher: no service, deterministic, and every score comes with the words that made it.
 *
 * A text becomes a weighted bag of stemmed terms (demandText.ts), typos and German compounds
 * related over the ranking's vocabulary (demandTermVariants.ts); a term weighs more the fewer of
 * the product's requirements use it (in their own text or their linked demands), so words every
 * requirement of a product shares ("scanner", "contract") count little and the words that tell
 * needs apart count much, however many customers repeat them on one requirement. A title's words count twice: titles carry the gist. A demand is
 * compared with a requirement's own text and with the centre of the demands linked to it (the mean
 * of their vectors): the better of the two is the score. The centre, never the best single linked
 * demand: otherwise "Import contacts" could join "Delete contacts" through a linked "Export
 * contacts", one step at a time. Opposite intents (import / export, add / remove, "do not") score 0.
 */

/** How much a description word weighs against a title word: titles carry the gist, descriptions tell stories. */
const descriptionWeight = 0.5;
/** What a score built on one shared word counts. */
const singleWordFactor = 0.5;
/** What a part of a German compound counts, against the compound itself ("Tagesbericht" -> "bericht"). */
const compoundPartWeight = 0.5;
/** Shared words named in a reason, most telling first. */
const reasonWords = 4;

/**
 * Abbreviations and spellings of the product world that mean the same, whatever the language.
 * Translations are not here: those are the embeddings matcher's strength.
 */
const builtInSynonyms: Readonly<Record<string, string>> = {
  sso: 'single sign',
  xlsx: 'excel',
  xls: 'excel',
  email: 'mail',
  emails: 'mails',
};

type Vector = Map<string, number>;

interface Document {
  /** Term -> weighted count over title and description. */
  counts: Map<string, number>;
  /** Term -> count in the title alone. */
  title: Map<string, number>;
  /** Term -> the first word written for it, for reasons. */
  words: Map<string, string>;
  language: StemmedLanguage | undefined;
}

/** The terms of one text with their counts; configured synonyms first, then the built-in ones. */
function documentOf(text: { title: string; description: string }, synonyms: Readonly<Record<string, string>>): Document {
  const language = stemmedLanguageOf(`${text.title}. ${text.description}`);
  const counts = new Map<string, number>();
  const title = new Map<string, number>();
  const words = new Map<string, string>();
  const expand = (part: string) =>
    wordsOf(part)
      .map((word) =>
        Object.hasOwn(synonyms, word) ? synonyms[word]! : Object.hasOwn(builtInSynonyms, word) ? builtInSynonyms[word]! : word,
      )
      .join(' ');
  for (const [part, weight] of [
    [text.title, 1],
    [text.description, descriptionWeight],
  ] as const) {
    for (const { stem, word } of termsOf(expand(part), language)) {
      counts.set(stem, (counts.get(stem) ?? 0) + weight);
      if (part === text.title) title.set(stem, (title.get(stem) ?? 0) + 1);
      if (!words.has(stem)) words.set(stem, word);
    }
  }
  return { counts, title, words, language };
}

function normalised(vector: Vector): Vector {
  const length = Math.sqrt([...vector.values()].reduce((sum, value) => sum + value * value, 0));
  if (length === 0) return vector;
  return new Map([...vector].map(([term, value]) => [term, value / length]));
}

/** Term weights: dampened count times rarity, unit length. */
function vectorOf(counts: Map<string, number>, idf: (term: string) => number): Vector {
  return normalised(new Map([...counts].map(([term, count]) => [term, (count >= 1 ? 1 + Math.log(count) : count) * idf(term)])));
}

/** The centre of several unit vectors, itself of unit length. */
function centreOf(vectors: Vector[]): Vector {
  const sum: Vector = new Map();
  for (const vector of vectors) for (const [term, value] of vector) sum.set(term, (sum.get(term) ?? 0) + value);
  return normalised(sum);
}

/** Cosine of two unit vectors, with each shared term's share of it. */
function cosine(a: Vector, b: Vector): { score: number; shares: Map<string, number> } {
  const shares = new Map<string, number>();
  let score = 0;
  for (const [term, value] of a) {
    const other = b.get(term);
    if (other === undefined) continue;
    shares.set(term, value * other);
    score += value * other;
  }
  return { score: Math.min(1, score), shares };
}

/**
 * Typos and German compounds (demandTermVariants.ts), over the joint vocabulary of one ranking: a
 * term one typo from another is counted as that one, and a German compound also counts its parts
 * that are terms of the ranking, at `compoundPartWeight` of the compound's count.
 */
function relateVariants(documents: readonly Document[]): void {
  const vocabulary = new Set(documents.flatMap((document) => [...document.counts.keys()]));
  const canonical = typoCanonicals(vocabulary);
  const known = new Set([...vocabulary].map((term) => canonical.get(term) ?? term));
  const rewrite = (counts: Map<string, number>, german: boolean) => {
    const out = new Map<string, number>();
    for (const [term, count] of counts) {
      const key = canonical.get(term) ?? term;
      out.set(key, (out.get(key) ?? 0) + count);
      if (german) for (const part of compoundParts(key, known)) out.set(part, (out.get(part) ?? 0) + count * compoundPartWeight);
    }
    return out;
  };
  for (const document of documents) {
    const german = document.language === 'de';
    document.counts = rewrite(document.counts, german);
    document.title = rewrite(document.title, german);
    for (const [term, word] of [...document.words]) {
      const key = canonical.get(term) ?? term;
      if (!document.words.has(key)) document.words.set(key, word);
    }
  }
}

const rounded = (score: number) => Math.round(score * 1000) / 1000;

export function createOfflineDemandMatcher(options: { synonyms?: Readonly<Record<string, string>> } = {}): DemandMatcher {
  const synonyms = options.synonyms ?? {};
  return {
    kind: 'offline',
    rank: (demand, candidates) => Promise.resolve(rankOffline(demand, candidates, synonyms)),
  };
}

/** The scoring itself, synchronous: see the module comment. */
export function rankOffline(
  demand: { title: string; description: string },
  candidates: readonly MatchCandidate[],
  synonyms: Readonly<Record<string, string>> = {},
): ScoredCandidate[] {
  const own = documentOf(demand, synonyms);
  const sides = candidates.map((candidate) => ({
    candidate,
    text: documentOf(candidate, synonyms),
    demands: candidate.demands.map((linked) => documentOf(linked, synonyms)),
  }));
  relateVariants([own, ...sides.flatMap((side) => [side.text, ...side.demands])]);
  // Rarity among the product's requirements: in how many of them (own text or linked demands) a term
  // occurs, this demand counting as one more. A need asked ten times in the same word keeps that
  // word telling; a word many requirements share (often the product's own name) counts little.
  const requirementsWith = new Map<string, number>();
  for (const group of [[own], ...sides.map((side) => [side.text, ...side.demands])]) {
    for (const term of new Set(group.flatMap((document) => [...document.counts.keys()])))
      requirementsWith.set(term, (requirementsWith.get(term) ?? 0) + 1);
  }
  // log(n / df) with n one more than the demands and requirements: a word in every one weighs
  // little (log of (n / (n - 1))), a word of one requirement and this demand log(n / 2).
  const idf = (term: string) => Math.log((sides.length + 2) / (requirementsWith.get(term) ?? 1));
  const demandVector = vectorOf(own.counts, idf);
  const demandTitle = vectorOf(own.title, idf);
  const intent = intentOf(demand);

  const scored = sides.map(({ candidate, text, demands }): ScoredCandidate => {
    if (own.counts.size === 0)
      return { id: candidate.id, score: 0, reason: 'the demand has no words to compare (only symbols, emoji or control characters)' };
    const opposite = oppositeIntent(intent, intentOf(candidate));
    if (opposite) return { id: candidate.id, score: 0, reason: `not the same need: ${opposite}` };
    // The whole text with the requirement's whole text; the title with the centre of the titles on it.
    const withText = cosine(demandVector, vectorOf(text.counts, idf));
    const titles = [text.title, ...demands.map((d) => d.title)].map((counts) => vectorOf(counts, idf));
    const withCentre = cosine(demandTitle, centreOf(titles));
    const better = withCentre.score > withText.score ? withCentre : withText;
    // One word in common among others ("contract", "data") is weak evidence, whatever its weight: it
    // counts half. Two texts that are that one word are the same.
    const best = better.shares.size === 1 && better.score < 0.999 ? { ...better, score: better.score * singleWordFactor } : better;
    const against = best === withText ? 'the requirement' : `the titles of the requirement and its ${demands.length} demand(s)`;
    const score = rounded(best.score);
    if (best.shares.size === 0) return { id: candidate.id, score, reason: `shares no words with ${against}` };
    const telling = [...best.shares]
      .sort(([a, x], [b, y]) => y - x || (a < b ? -1 : 1))
      .slice(0, reasonWords)
      .map(([term]) => `'${own.words.get(term) ?? term}'`);
    return { id: candidate.id, score, reason: `shares ${telling.join(', ')} with ${against}; score ${score.toFixed(2)}` };
  });
  return scored.sort(bestFirst);
}
