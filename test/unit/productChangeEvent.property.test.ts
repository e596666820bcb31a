import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import './arbitraries/replay';
import { anyText, anyValue, extraFields, nonBlankText, textLongerThan, withExtraFields, withValueAt } from './arbitraries/hostile';
import { describeIssues } from '../../src/domain/validation';
import { productChangeEventSchema } from '../../src/webhooks/productChangeEvent';

// Property tests: fast-check prints the seed of a failure; see ./arbitraries/replay.ts to replay it.

/** A delivery the PMS may send: any non-empty text within the limits (ids are opaque to the bridge). */
const validEvent = fc.record({
  type: fc.constant('product.changed' as const),
  eventId: nonBlankText(100),
  product: fc.record({
    id: nonBlankText(64),
    updatedAt: fc.oneof(
      fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
      nonBlankText(64),
    ),
    deleted: fc.boolean(),
  }),
});

/** The event as the receiver gets it: JSON text, parsed, so `__proto__` arrives as an own key. */
const overTheWire = (body: unknown): unknown => JSON.parse(JSON.stringify(body));

const wrongValues: Record<string, fc.Arbitrary<unknown>> = {
  type: fc.oneof(
    anyText().filter((t) => t !== 'product.changed'),
    fc.constantFrom('product.deleted', 'PRODUCT.CHANGED', 'product.changed '),
  ),
  eventId: fc.oneof(
    fc.constant(''),
    textLongerThan(100),
    anyValue.filter((v) => typeof v !== 'string'),
  ),
  product: anyValue.filter((v) => v === null || typeof v !== 'object' || Array.isArray(v)),
  'product.id': fc.oneof(
    fc.constant(''),
    textLongerThan(64),
    anyValue.filter((v) => typeof v !== 'string'),
  ),
  'product.updatedAt': fc.oneof(
    fc.constant(''),
    textLongerThan(64),
    anyValue.filter((v) => typeof v !== 'string'),
  ),
  'product.deleted': anyValue.filter((v) => typeof v !== 'boolean'),
};

describe('product-change webhook body over hostile input (properties)', () => {
  test('any body, JSON or not, is a product change event or a refusal with a reason; parsing never throws', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          anyValue,
          fc.json().map((text) => JSON.parse(text) as unknown),
          validEvent.chain((event) =>
            fc.tuple(fc.constantFrom(...Object.keys(wrongValues)), anyValue).map(([path, value]) => withValueAt(event, path, value)),
          ),
        ),
        (body) => {
          const result = productChangeEventSchema.safeParse(body);
          if (!result.success) assert.ok(describeIssues(result.error).length > 0);
        },
      ),
      { numRuns: 500 },
    );
  });

  test('a valid event is accepted as sent; extra fields, prototype keys too, are dropped at both levels', () => {
    fc.assert(
      fc.property(validEvent, extraFields, extraFields, (event, topExtras, productExtras) => {
        const body = withExtraFields(
          { ...event, product: withExtraFields(event.product, productExtras, ['id', 'updatedAt', 'deleted']) },
          topExtras,
          ['type', 'eventId', 'product'],
        );
        for (const received of [body, overTheWire(body)]) {
          const result = productChangeEventSchema.safeParse(received);
          assert.ok(result.success, result.success ? '' : describeIssues(result.error));
          assert.deepEqual(result.data, { ...event, product: { ...event.product } });
          assert.equal(Object.getPrototypeOf(result.data.product), Object.prototype);
        }
      }),
      { numRuns: 300 },
    );
  });

  test('a missing field, a wrong type or an oversized text is refused with a reason naming the field', () => {
    const wrongField = fc
      .constantFrom(...Object.keys(wrongValues))
      .chain((path) => fc.tuple(fc.constant(path), fc.oneof(fc.constant(undefined), wrongValues[path]!)));
    fc.assert(
      fc.property(validEvent, wrongField, (event, [path, value]) => {
        const result = productChangeEventSchema.safeParse(withValueAt(event, path, value));
        assert.ok(!result.success, `accepted ${path} = ${fc.stringify(value).slice(0, 80)}`);
        assert.match(describeIssues(result.error), new RegExp(`(^|; )${path.replace('.', '\\.')}: `));
      }),
      { numRuns: 300 },
    );
  });
});
