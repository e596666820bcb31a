/**
 * Terms of one ranking that stand for the same word although they are spelt differently: typos
 * and German compounds. Both are decided over the ranking's own vocabulary (the demand's terms and
 * every candidate's), so the result does not depend on the order of the candidates.
 *
 * - A typo is one of the two slips people make most: two neighbouring letters swapped ("reprot",
 *   "dashbaord") or a doubled letter written once or twice ("overcurent", "adresss"). Any other
 *   one-letter difference is a different word as often as a typo ("contact" / "contract"), so it
 *   stays a different term. Short terms (under five letters) and terms with digits are never typos.
 * - A German compound also counts as its parts when a part is itself a term of the ranking:
 *   "Tagesbericht" shares "bericht" with "Bericht", "Mindestbestand" "bestand" with "Lagerbestand".
 */

/** Shortest term read as a possible typo. */
const minTypoLength = 5;
/** Shortest compound split, and shortest part and remainder of one. */
const minCompoundLength = 8;
const minPartLength = 4;
const minRestLength = 3;

/** Whether two different terms are one typo apart (see the module comment). */
export function oneTypoApart(a: string, b: string): boolean {
  if (a === b || Math.min(a.length, b.length) < minTypoLength || /\d/u.test(a + b)) return false;
  if (a.length === b.length) {
    const differing = [...a].flatMap((letter, i) => (letter === b[i] ? [] : [i]));
    if (differing.length !== 2) return false;
    const [first, second] = differing as [number, number];
    return second === first + 1 && a[first] === b[second] && a[second] === b[first];
  }
  const [shorter, longer] = a.length < b.length ? [a, b] : [b, a];
  if (longer.length !== shorter.length + 1) return false;
  let i = 0;
  while (i < shorter.length && shorter[i] === longer[i]) i++;
  // The extra letter doubles its neighbour, and the rest is the same.
  const doubled = longer[i] === longer[i - 1] || longer[i] === longer[i + 1];
  return doubled && longer.slice(i + 1) === shorter.slice(i);
}

/**
 * For every term of the vocabulary, the term it is compared as: the alphabetically first of the
 * terms one typo apart from it, so "reprot" and "report" both become "report".
 */
export function typoCanonicals(vocabulary: Iterable<string>): Map<string, string> {
  const terms = [...new Set(vocabulary)].sort();
  const canonical = new Map<string, string>();
  const byLength = new Map<number, string[]>();
  for (const term of terms) byLength.set(term.length, [...(byLength.get(term.length) ?? []), term]);
  for (const term of terms) {
    if (canonical.has(term)) continue;
    canonical.set(term, term);
    for (const length of [term.length - 1, term.length, term.length + 1])
      for (const other of byLength.get(length) ?? []) if (!canonical.has(other) && oneTypoApart(term, other)) canonical.set(other, term);
  }
  return canonical;
}

/** The terms of the vocabulary a German compound term is made of (its first or last part), if any. */
export function compoundParts(term: string, vocabulary: ReadonlySet<string>): string[] {
  if (term.length < minCompoundLength) return [];
  const parts: string[] = [];
  for (let cut = minPartLength; cut <= term.length - minRestLength; cut++) {
    const head = term.slice(0, cut);
    if (vocabulary.has(head)) parts.push(head);
  }
  for (let cut = minRestLength; cut <= term.length - minPartLength; cut++) {
    const tail = term.slice(cut);
    if (vocabulary.has(tail)) parts.push(tail);
  }
  return parts;
}
