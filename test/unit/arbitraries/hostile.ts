import fc from 'fast-check';

/**
 * Inputs the bridge must survive: text the PMS, the CRM, a webhook sender or an operator in the
 * Temporal UI can send, chosen to break code that assumes tidy data.
 */

/** Keys that reach Object.prototype when code reads or writes them on a plain object. */
export const prototypeKeys = ['__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty'] as const;

/** Characters that change how text is stored, compared, cut or displayed. */
export const unusualCharacters = [
  '\u200F', // right-to-left mark
  '\u202E', // right-to-left override
  '\u200D', // zero-width joiner
  '\u200B', // zero-width space
  '\uFEFF', // byte order mark
  '\u0301', // combining acute accent (alone)
  'e\u0301', // é as e + combining mark
  '\u00E9', // é precomposed
  '\uFB01', // "fi" ligature: NFKD turns it into two letters
  '\u0130', // İ: lower-casing makes it longer
  '\u00DF', // ß: upper-casing makes it longer
  '\u0000',
  '\u0645\u0631\u062D\u0628\u0627', // Arabic
  '\u6F22\u5B57', // CJK
  '\u{1F600}', // emoji: a surrogate pair
  '\u{1F469}\u200D\u{1F469}\u200D\u{1F467}', // family: pairs joined by ZWJs
  '\u{1F1E9}\u{1F1EA}', // flag: two regional indicators
] as const;

/** Half of a surrogate pair on its own: valid in a JS string and in JSON escapes, not in UTF-8. */
export const loneSurrogates = ['\uD800', '\uDBFF', '\uDC00', '\uDFFF'] as const;

const wellFormedUnit = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }) },
  { weight: 2, arbitrary: fc.constantFrom(...unusualCharacters) },
  { weight: 1, arbitrary: fc.constantFrom(' ', '\t', '\n', '.', '-', '_') },
);

/** Text as it really comes, unusual Unicode included, but well-formed (every surrogate paired). */
export function wellFormedText(constraints: { minLength?: number; maxLength?: number } = {}): fc.Arbitrary<string> {
  return fc.string({ unit: wellFormedUnit, ...constraints });
}

/** Well-formed text of 1..max code points (zod's measure of length), not blank once trimmed; sometimes a prototype key. */
export function nonBlankText(maxCodePoints: number): fc.Arbitrary<string> {
  return fc.oneof(
    {
      weight: 5,
      arbitrary: wellFormedText({ minLength: 1, maxLength: Math.min(maxCodePoints, 40) }).filter(
        (text) => text.trim().length > 0 && [...text].length <= maxCodePoints,
      ),
    },
    { weight: 1, arbitrary: fc.constantFrom(...prototypeKeys) },
  );
}

/** Any text at all: lone surrogates, control characters, prototype keys and all. */
export function anyText(constraints: { minLength?: number; maxLength?: number } = {}): fc.Arbitrary<string> {
  return fc.oneof(
    wellFormedText(constraints),
    fc.string({ unit: fc.oneof(wellFormedUnit, fc.constantFrom(...loneSurrogates)), ...constraints }),
    fc.string({ unit: 'binary', ...constraints }),
    fc.constantFrom(...prototypeKeys),
  );
}

/** A string of more than `length` code points (zod's measure of a string's length), made of repeated, possibly unusual text. */
export function textLongerThan(length: number): fc.Arbitrary<string> {
  return fc
    .tuple(fc.oneof(fc.constantFrom(...unusualCharacters), fc.string({ minLength: 1, maxLength: 5 })), fc.integer({ min: 1, max: 2000 }))
    .map(([piece, extra]) => piece.repeat(Math.ceil((length + extra) / [...piece].length)));
}

/** Numbers that break arithmetic or are out of range for any amount or count. */
export const hostileNumber = fc.oneof(
  fc.constantFrom(
    Number.NaN,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    -0,
    -1,
    -Number.MIN_VALUE,
    Number.MAX_VALUE,
    -Number.MAX_VALUE,
  ),
  fc.double(),
);

/** Sets `key` as an own enumerable property, even `__proto__`, as JSON.parse does. */
export function withOwnKey<T extends object>(target: T, key: string, value: unknown): T {
  Object.defineProperty(target, key, { value, enumerable: true, configurable: true, writable: true });
  return target;
}

/**
 * A copy of `record` with the value at `path` (a field, or `object.field` one level down) replaced
 * as an own key, or removed when `value` is undefined. The nested object is copied too.
 */
export function withValueAt(record: object, path: string, value: unknown): Record<string, unknown> {
  const [head, leaf] = path.split('.') as [string, string | undefined];
  const copy: Record<string, unknown> = { ...record };
  if (leaf !== undefined) copy[head] = { ...(copy[head] as object) };
  const target = leaf !== undefined ? (copy[head] as Record<string, unknown>) : copy;
  const key = leaf ?? head;
  if (value === undefined) delete target[key];
  else withOwnKey(target, key, value);
  return copy;
}

/** Anything a JSON body, a YAML file or the Temporal UI can carry, with prototype keys among the object keys. */
export const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.anything({
    key: fc.oneof(fc.string(), fc.constantFrom(...prototypeKeys)),
    withNullPrototype: true,
    withBoxedValues: true,
    withSparseArray: true,
  }),
  hostileNumber,
  anyText(),
  fc.jsonValue().map((json) => JSON.parse(JSON.stringify(json)) as unknown),
);

/** Extra fields to add to an otherwise valid object: unknown names and prototype keys. */
export const extraFields = fc.array(
  fc.tuple(fc.oneof(fc.constantFrom(...prototypeKeys), fc.string({ minLength: 1, maxLength: 12 })), anyValue),
  { maxLength: 4 },
);

/** A copy of `record` with the extra fields set as own properties, except those named in `known` (the schema's own). */
export function withExtraFields<T extends object>(record: T, extras: Array<[string, unknown]>, known: readonly string[]): T {
  const copy = { ...record };
  for (const [key, value] of extras) if (!known.includes(key)) withOwnKey(copy, key, value);
  return copy;
}
