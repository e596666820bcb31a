import { stemmer as englishStemmer } from '@orama/stemmers/english';
import { stemmer as frenchStemmer } from '@orama/stemmers/french';
import { stemmer as germanStemmer } from '@orama/stemmers/german';
import { stemmer as spanishStemmer } from '@orama/stemmers/spanish';
import { stopwords as englishStopWords } from '@orama/stopwords/english';
import { stopwords as frenchStopWords } from '@orama/stopwords/french';
import { stopwords as germanStopWords } from '@orama/stopwords/german';
import { stopwords as spanishStopWords } from '@orama/stopwords/spanish';
import { detect } from 'tinyld';

/**
 * A customer's text as the matcher's terms: words found by Unicode word segmentation (so Cyrillic,
 * Japanese or Greek words stay words), lower-cased, stop words of the text's language dropped, and
 * stemmed with that language's Snowball stemmer (English, German, French, Spanish). A text in any
 * other language keeps its words unstemmed: it still matches its own words, never by accident.
 */

/** The languages with a stemmer and stop words; every other text is compared word for word. */
export type StemmedLanguage = 'en' | 'de' | 'fr' | 'es';

/** The matcher reads this much of a text: enough for any demand, and a 100,000-character paste costs no more. */
const maxMatchedCharacters = 4000;

const stemmers: Record<StemmedLanguage, (word: string) => string> = {
  en: englishStemmer,
  de: germanStemmer,
  fr: frenchStemmer,
  es: spanishStemmer,
};

/**
 * Words that say nothing about what is asked for, in every language at once: a German demand
 * quoting an English product name keeps both languages' little words out. The libraries' lists,
 * plus the request phrasing customers use everywhere ("please", "need", "would like").
 */
const stopWords = new Set(
  [
    ...englishStopWords,
    ...germanStopWords,
    ...frenchStopWords,
    ...spanishStopWords,
    ...'please pls want wants need needs needed would like able allow allows us we our option ability also via today currently'.split(' '),
    ...'beim bitte möchten brauchen benötigen wir unser unsere sollte sollen soll gerne'.split(' '),
    ...'merci veuillez voulons avons besoin devrait nos notre'.split(' '),
    ...'favor queremos necesitamos nuestro nuestra nuestros debería'.split(' '),
  ].map((word) => fold(word.toLowerCase())),
);

/**
 * Negation and direction words must stay terms: "Do not send e-mails" is not "Send e-mails". The
 * stop word lists hold some of them; these are taken back out of it.
 */
const keptFromStopWords = new Set(['not', 'no', 'nicht', 'kein', 'keine', 'pas', 'sans', 'ohne', 'sin', 'without', 'off', 'aus']);

/** Letters without their accents, so "exportación" and "exportacion" are one word. */
function fold(word: string): string {
  return word.normalize('NFKD').replace(/\p{M}/gu, '');
}

const segmenter = new Intl.Segmenter('und', { granularity: 'word' });

/** Words of a text in order, lower-case, as written (accents kept): no control characters, punctuation or emoji. */
export function wordsOf(text: string): string[] {
  const words: string[] = [];
  const readable = text.slice(0, maxMatchedCharacters).normalize('NFKC').toLowerCase();
  for (const { segment, isWordLike } of segmenter.segment(readable)) {
    if (isWordLike && /[\p{L}\p{N}]/u.test(segment)) words.push(segment);
  }
  return words;
}

/** The language of a text when it is one with a stemmer, else undefined (other scripts, too little text). */
export function stemmedLanguageOf(text: string): StemmedLanguage | undefined {
  const sample = text.slice(0, maxMatchedCharacters);
  const letters = sample.match(/\p{L}/gu) ?? [];
  const latin = sample.match(/\p{Script=Latin}/gu) ?? [];
  // Only Latin-script text can be one of the four; tinyld would otherwise call Russian "French".
  if (letters.length === 0 || latin.length < letters.length * 0.8) return undefined;
  const language = detect(sample, { only: ['en', 'de', 'fr', 'es'] });
  return language === 'en' || language === 'de' || language === 'fr' || language === 'es' ? language : undefined;
}

/** One term of a text: the stem compared, and the word the customer wrote, for reasons. */
export interface Term {
  stem: string;
  word: string;
}

/** The terms of a text in its language (see the module comment). */
export function termsOf(text: string, language: StemmedLanguage | undefined): Term[] {
  const terms: Term[] = [];
  for (const word of wordsOf(text)) {
    const folded = fold(word);
    if (stopWords.has(folded) && !keptFromStopWords.has(folded)) continue;
    if (folded.length < 2 && !/\p{N}/u.test(folded) && /\p{Script=Latin}/u.test(folded)) continue;
    const stem = language ? fold(stemmers[language](word)) : folded;
    terms.push({ stem, word });
  }
  return terms;
}
