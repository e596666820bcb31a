import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import './arbitraries/replay';
import { anyText, prototypeKeys, withOwnKey } from './arbitraries/hostile';
import { validRawProduct } from './arbitraries/pmsProduct';
import { contentHash } from '../../src/domain/contentHash';
import { defaultFieldMapping, fieldMappingSchema, mapProduct, type CrmProperties, type CrmValue } from '../../src/domain/fieldMapping';
import { validatePmsProduct } from '../../src/domain/validation';

// Property tests: fast-check prints the seed of a failure; see ./arbitraries/replay.ts to replay it.

/** What a mapping can produce: text of any kind, finite numbers, booleans, null. */
const crmValue: fc.Arbitrary<CrmValue> = fc.oneof(
  anyText({ maxLength: 20 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
);
const fieldName = fc.oneof(fc.string({ minLength: 1, maxLength: 10 }), fc.constantFrom(...prototypeKeys));
const properties = fc.array(fc.tuple(fieldName, crmValue), { minLength: 1, maxLength: 8 }).map((entries) => {
  const record: CrmProperties = {};
  for (const [field, value] of entries) withOwnKey(record, field, value);
  return record;
});

/** The same properties with their keys in another order. */
function reordered(record: CrmProperties, order: number[]): CrmProperties {
  const keys = Object.keys(record);
  const shuffled = keys
    .map((key, index) => ({ key, rank: order[index % order.length]! * keys.length + index }))
    .sort((a, b) => a.rank - b.rank);
  const copy: CrmProperties = {};
  for (const { key } of shuffled) withOwnKey(copy, key, record[key]);
  return copy;
}

/** The hash treats absent as null and -0 as 0; any other difference is a difference. */
const sameForTheCrm = (a: CrmValue | undefined, b: CrmValue | undefined) => Object.is(a ?? null, b ?? null) || (a === 0 && b === 0);

const defaultMapping = fieldMappingSchema.parse(defaultFieldMapping);
const ownedFields = Object.keys(defaultMapping);
const mappedProduct = validRawProduct.map((raw) => {
  const result = validatePmsProduct(raw);
  if (!result.ok) throw new Error(result.reason);
  return result.product;
});

describe('content hash (properties)', () => {
  test('does not depend on the order of the properties or of the owned field list', () => {
    fc.assert(
      fc.property(properties, fc.array(fc.nat(), { minLength: 1, maxLength: 8 }), fc.boolean(), (record, order, archived) => {
        const owned = Object.keys(record);
        assert.equal(contentHash(reordered(record, order), archived, [...owned].reverse()), contentHash(record, archived, owned));
      }),
      { numRuns: 300 },
    );
  });

  test('changes when one owned value changes, and only then', () => {
    fc.assert(
      fc.property(properties, fc.nat(), crmValue, fc.boolean(), (record, pick, replacement, archived) => {
        const owned = Object.keys(record);
        const field = owned[pick % owned.length]!;
        const changed = withOwnKey({ ...record }, field, replacement);
        const before = contentHash(record, archived, owned);
        const after = contentHash(changed, archived, owned);
        if (sameForTheCrm(record[field], replacement)) assert.equal(after, before);
        else assert.notEqual(after, before, `${field}: ${fc.stringify(record[field])} -> ${fc.stringify(replacement)}`);
      }),
      { numRuns: 500 },
    );
  });

  test('changes with the archived flag and ignores fields the bridge does not own', () => {
    fc.assert(
      fc.property(properties, fieldName, crmValue, (record, crmOnly, value) => {
        const owned = Object.keys(record).filter((field) => field !== crmOnly);
        const hash = contentHash(record, false, owned);
        assert.notEqual(contentHash(record, true, owned), hash);
        assert.equal(contentHash(withOwnKey({ ...record }, crmOnly, value), false, owned), hash);
      }),
      { numRuns: 200 },
    );
  });

  test('two valid products hash alike under the default mapping exactly when they map alike', () => {
    // The second product takes one field (name, price, features ...) from an unrelated product.
    const pair = fc.tuple(
      mappedProduct,
      mappedProduct,
      fc.constantFrom('name', 'sku', 'description', 'category', 'price', 'stock', 'features', 'lifecycle'),
    );
    fc.assert(
      fc.property(pair, ([product, other, field]) => {
        const changed = { ...product, [field]: other[field] };
        const a = mapProduct(product, defaultMapping);
        const b = mapProduct(changed, defaultMapping);
        const mapsAlike = ownedFields.every((owned) => sameForTheCrm(a[owned], b[owned]));
        assert.equal(contentHash(a, false, ownedFields) === contentHash(b, false, ownedFields), mapsAlike, `${field} changed`);
      }),
      { numRuns: 300 },
    );
  });
});
