import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import './arbitraries/replay';
import { anyText, anyValue, extraFields, hostileNumber, textLongerThan, withExtraFields, withValueAt } from './arbitraries/hostile';
import { knownCurrencies, validRawProduct, type ValidRawProduct } from './arbitraries/pmsProduct';
import { lifecycleStatuses, pmsProductSchema, productLimits } from '../../src/domain/pmsProduct';
import { validatePmsProduct, type ValidationResult } from '../../src/domain/validation';

// Property tests: fast-check prints the seed of a failure; see ./arbitraries/replay.ts to replay it.

/** The documented outcome: the product, or a non-empty reason. Anything else (a throw) fails the property. */
function assertDocumentedResult(result: ValidationResult): void {
  if (result.ok) assert.equal(typeof result.product, 'object');
  else assert.ok(typeof result.reason === 'string' && result.reason.length > 0, 'a rejection says why');
}

/** What validation must return for a valid product: defaults filled in, the name trimmed, nothing else changed. */
function expectedProduct(raw: ValidRawProduct) {
  return {
    id: raw.id,
    sku: raw.sku,
    name: raw.name.trim(),
    description: raw.description ?? '',
    category: raw.category,
    price: { amount: raw.price.amount, currency: raw.price.currency },
    stock: raw.stock,
    features: raw.features ?? [],
    lifecycle: raw.lifecycle,
    updatedAt: raw.updatedAt,
    deleted: raw.deleted ?? false,
  };
}

const requiredFields = [
  'id',
  'sku',
  'name',
  'category',
  'price',
  'price.amount',
  'price.currency',
  'stock',
  'lifecycle',
  'updatedAt',
] as const;

const notString = anyValue.filter((value) => typeof value !== 'string');
const notBoolean = anyValue.filter((value) => typeof value !== 'boolean' && value !== undefined);
/** A wrong value for each field, and the path the reason must name. */
const wrongValues: Record<string, fc.Arbitrary<unknown>> = {
  id: fc.oneof(notString, fc.constant(''), textLongerThan(64)),
  sku: fc.oneof(notString, fc.constant(''), textLongerThan(64)),
  name: fc.oneof(notString, fc.constantFrom('', '   ', '\t\n'), textLongerThan(productLimits.nameMaxLength)),
  description: fc.oneof(
    notString.filter((value) => value !== undefined),
    textLongerThan(productLimits.descriptionMaxLength),
  ),
  category: fc.oneof(notString, fc.constant(''), textLongerThan(100)),
  'price.amount': fc.oneof(
    hostileNumber.filter((n) => !Number.isFinite(n) || n < 0),
    fc.double({ max: -Number.MIN_VALUE, noNaN: true }),
    anyValue.filter((value) => typeof value !== 'number'),
  ),
  'price.currency': fc.oneof(
    notString,
    anyText().filter((code) => !knownCurrencies.includes(code)),
    fc.constantFrom('XXY', 'eur', 'EURO', 'BTC', 'ABC'),
  ),
  stock: fc.oneof(
    hostileNumber.filter((n) => !Number.isSafeInteger(n) || n < 0),
    fc.double({ min: 0.01, max: 1e6, noNaN: true }).filter((n) => !Number.isInteger(n)),
    anyValue.filter((v) => typeof v !== 'number'),
  ),
  features: fc.oneof(
    anyValue.filter((value) => !Array.isArray(value) && value !== undefined),
    fc.array(fc.string(), { minLength: productLimits.featuresMaxCount + 1, maxLength: productLimits.featuresMaxCount + 3 }),
    fc.tuple(fc.array(fc.string(), { maxLength: 3 }), notString).map(([strings, odd]) => [...strings, odd]),
  ),
  lifecycle: fc.oneof(
    notString,
    anyText().filter((status) => !(lifecycleStatuses as readonly string[]).includes(status)),
  ),
  updatedAt: fc.oneof(notString, anyText(), fc.constantFrom('2026-13-01T00:00:00Z', '2026-11-24', 'yesterday', '2026-11-24T10:00:00')),
  deleted: notBoolean,
};

describe('PMS product validation over hostile inputs (properties)', () => {
  test('any value at all yields the product or a reason, and never throws', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          anyValue,
          fc
            .tuple(validRawProduct, fc.constantFrom(...Object.keys(wrongValues)), anyValue)
            .map(([raw, path, value]) => withValueAt(raw, path, value)),
        ),
        (input) => {
          assertDocumentedResult(validatePmsProduct(input));
        },
      ),
      { numRuns: 400 },
    );
  });

  test('every valid product is accepted as given, defaults filled in, extra fields (prototype keys too) dropped', () => {
    fc.assert(
      fc.property(validRawProduct, extraFields, (raw, extras) => {
        const result = validatePmsProduct(withExtraFields(raw, extras, Object.keys(pmsProductSchema.shape)));
        assert.ok(result.ok, result.ok ? '' : result.reason);
        assert.deepEqual(result.product, expectedProduct(raw));
        assert.equal(Object.getPrototypeOf(result.product), Object.prototype, 'no key reached the prototype');
        assert.deepEqual(Object.keys(result.product).sort(), Object.keys(expectedProduct(raw)).sort());
      }),
      { numRuns: 300 },
    );
  });

  test('a product missing a required field is rejected with a reason naming that field', () => {
    fc.assert(
      fc.property(validRawProduct, fc.constantFrom(...requiredFields), (raw, path) => {
        const result = validatePmsProduct(withValueAt(raw, path, undefined));
        assert.ok(!result.ok, `accepted without ${path}`);
        assert.match(result.reason, new RegExp(`(^|; )${path.replace('.', '\\.')}: `));
      }),
      { numRuns: 150 },
    );
  });

  test('a wrong type, NaN, Infinity, a negative price, an unknown currency or status, an oversized text: rejected naming the field', () => {
    const wrongField = fc.constantFrom(...Object.keys(wrongValues)).chain((path) => fc.tuple(fc.constant(path), wrongValues[path]!));
    fc.assert(
      fc.property(validRawProduct, wrongField, (raw, [path, value]) => {
        const result = validatePmsProduct(withValueAt(raw, path, value));
        assert.ok(!result.ok, `accepted ${path} = ${fc.stringify(value).slice(0, 80)}`);
        // A wrong list item is named by its index: features.3
        assert.match(result.reason, new RegExp(`(^|; )${path.replace('.', '\\.')}(\\.\\d+)?: `));
      }),
      { numRuns: 400 },
    );
  });
});
