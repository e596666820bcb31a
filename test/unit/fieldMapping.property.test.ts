import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import './arbitraries/replay';
import { anyText, anyValue, prototypeKeys, withOwnKey } from './arbitraries/hostile';
import { validRawProduct } from './arbitraries/pmsProduct';
import { lifecycleStatuses, type PmsProduct } from '../../src/domain/pmsProduct';
import { defaultFieldMapping, fieldMappingSchema, mapProduct, MappingError, type CrmProperties } from '../../src/domain/fieldMapping';
import { validatePmsProduct } from '../../src/domain/validation';
// Property tests: fast-check prints the seed of a failure; see ./arbitraries/replay.ts to replay it.

const defaultMapping = fieldMappingSchema.parse(defaultFieldMapping);

/** A product through validation, as the fetch activity hands it to the mapping. */
const validProduct = validRawProduct.map((raw) => {
  const result = validatePmsProduct(raw);
  if (!result.ok) throw new Error(`the generator made an invalid product: ${result.reason}`);
  return result.product;
});

/** A value the CRM can store and a JSON body can carry unchanged: no function, object, NaN or Infinity. */
function assertCrmScalars(properties: CrmProperties): void {
  for (const [field, value] of Object.entries(properties)) {
    const kind = value === null ? 'null' : typeof value;
    assert.ok(['string', 'number', 'boolean', 'null'].includes(kind), `${field} is a ${kind}`);
    if (typeof value === 'number') assert.ok(Number.isFinite(value), `${field} is ${value}, which JSON sends as null`);
  }
  const json = JSON.stringify(properties);
  assert.equal(JSON.stringify(JSON.parse(json)), json, 'survives a JSON round trip (-0 goes as 0, as the content hash counts it)');
}

const sourcePath = fc.oneof(
  fc.constantFrom(
    'name',
    'sku',
    'description',
    'category',
    'price',
    'price.amount',
    'price.currency',
    'stock',
    'features',
    'lifecycle',
    'updatedAt',
    'deleted',
    'id',
  ),
  fc.constantFrom(...prototypeKeys, 'price.__proto__', 'name.length', 'constructor.name', 'missing', 'a.b.c', ''),
  anyText({ maxLength: 12 }),
);

/** Every transform the schema knows, with parameters in and out of range, and some it does not know. */
const transform = fc.oneof(
  fc.constant({ type: 'copy' }),
  fc.record({
    type: fc.constant('enum'),
    values: fc.dictionary(fc.oneof(fc.constantFrom(...lifecycleStatuses, ...prototypeKeys), fc.string()), fc.oneof(fc.string(), anyValue), {
      maxKeys: 5,
    }),
  }),
  fc.record({ type: fc.constant('join'), separator: anyText({ maxLength: 12 }) }, { requiredKeys: ['type'] }),
  fc.record({ type: fc.constant('round'), decimals: fc.oneof(fc.integer({ min: -1, max: 8 }), anyValue) }),
  fc.record(
    {
      type: fc.constant('currency'),
      currencyFrom: sourcePath,
      locale: fc.oneof(
        fc.constantFrom('en-US', 'de-DE', 'ar-EG', 'ja-JP', 'hi-IN-u-nu-deva', 'xx', 'en_US', '', '!!', '__proto__'),
        anyText({ maxLength: 8 }),
      ),
    },
    { requiredKeys: ['type', 'currencyFrom'] },
  ),
  fc.record({ type: fc.constant('truncate'), maxLength: fc.oneof(fc.integer({ min: -1, max: 300 }), anyValue) }),
  fc.constantFrom({ type: 'uppercase' }, { type: 'lowercase' }, { type: 'regex' }, { type: '__proto__' }),
  anyValue,
);

/** The one shape where the currency transform reaches Intl with a number and a real code, so the locale matters. */
const priceWithLocale = fc
  .oneof(fc.constantFrom('en-US', 'de-CH', 'xx', 'en_US', '', '!!', '__proto__'), anyText({ maxLength: 8 }))
  .map((locale) => ({ from: 'price.amount', transform: { type: 'currency', currencyFrom: 'price.currency', locale } }));

const rule = fc.oneof(
  sourcePath,
  priceWithLocale,
  fc.record(
    { from: sourcePath, transform, default: fc.oneof(fc.string(), fc.double(), fc.boolean(), fc.constant(null), anyValue) },
    { requiredKeys: ['from'] },
  ),
  anyValue,
);

/** A mapping as an operator may write it in bridge.yaml: CRM property names, valid or not, prototype keys included. */
const hostileMapping = fc
  .array(
    fc.tuple(
      fc.oneof(
        fc.constantFrom('name', 'price', 'status', 'constructor', 'toString', '__proto__', '1st', 'a-b'),
        fc.string({ maxLength: 8 }),
      ),
      rule,
    ),
    { maxLength: 5 },
  )
  .map((entries) => entries.reduce((mapping, [field, value]) => withOwnKey(mapping, field, value), {} as Record<string, unknown>));

/** Products whose free text is a prototype key, to reach enum lookups and paths with it. */
const productWithPrototypeText = fc
  .tuple(validProduct, fc.constantFrom(...prototypeKeys))
  .map(([product, key]): PmsProduct => ({ ...product, name: key, category: key }));

describe('field mapping over hostile products and mappings (properties)', () => {
  test('every valid product maps with the default mapping to CRM scalars, the same every time', () => {
    fc.assert(
      fc.property(validProduct, (product) => {
        const first = mapProduct(product, defaultMapping);
        assertCrmScalars(first);
        assert.deepEqual(mapProduct(structuredClone(product), defaultMapping), first);
        assert.deepEqual(Object.keys(first), Object.keys(defaultMapping));
      }),
      { numRuns: 300 },
    );
  });

  test('a mapping the schema accepts maps a valid product to CRM scalars or refuses it with a MappingError, nothing else', () => {
    fc.assert(
      fc.property(hostileMapping, fc.oneof(validProduct, productWithPrototypeText), (input, product) => {
        const parsed = fieldMappingSchema.safeParse(input);
        if (!parsed.success) {
          assert.ok(parsed.error.issues.length > 0);
          return;
        }
        let properties: CrmProperties;
        try {
          properties = mapProduct(product, parsed.data);
        } catch (error) {
          assert.ok(error instanceof MappingError, `threw ${String(error)}`);
          return;
        }
        assertCrmScalars(properties);
        assert.deepEqual(Object.keys(properties).sort(), Object.keys(parsed.data).sort());
      }),
      { numRuns: 1000 },
    );
  });
});
