import fc from 'fast-check';
import { lifecycleStatuses, productLimits } from '../../../src/domain/pmsProduct';
import { nonBlankText, prototypeKeys, wellFormedText } from './hostile';

export const knownCurrencies = Intl.supportedValuesOf('currency');

/** ISO 8601 with a Z or a numeric offset, as zod's `iso.datetime({ offset: true })` accepts. */
const isoTimestamp = fc
  .tuple(
    fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true }),
    fc.constantFrom('Z', '+02:00', '-05:30'),
  )
  .map(([date, offset]) => date.toISOString().replace('Z', offset));

/**
 * A product the PMS may legitimately send: every field within its limits, optional fields
 * sometimes absent, amounts from 0 (and -0) to the largest double.
 */
export const validRawProduct = fc.record(
  {
    id: fc.oneof(fc.string({ minLength: 1, maxLength: 64 }), fc.constantFrom(...prototypeKeys)),
    sku: nonBlankText(64),
    name: nonBlankText(productLimits.nameMaxLength),
    description: fc.oneof(wellFormedText({ maxLength: 200 }), fc.constant('d'.repeat(productLimits.descriptionMaxLength))),
    category: nonBlankText(100),
    price: fc.record({
      amount: fc.oneof(
        fc.double({ min: -0, max: Number.MAX_VALUE, noNaN: true }),
        fc.integer({ min: 0, max: 1_000_000 }).map((cents) => cents / 100),
      ),
      currency: fc.constantFrom(...knownCurrencies),
    }),
    stock: fc.oneof(fc.nat(), fc.constant(Number.MAX_SAFE_INTEGER)),
    features: fc.array(wellFormedText({ maxLength: 30 }), { maxLength: productLimits.featuresMaxCount }),
    lifecycle: fc.constantFrom(...lifecycleStatuses),
    updatedAt: isoTimestamp,
    deleted: fc.boolean(),
  },
  { requiredKeys: ['id', 'sku', 'name', 'category', 'price', 'stock', 'lifecycle', 'updatedAt'] },
);
export type ValidRawProduct = typeof validRawProduct extends fc.Arbitrary<infer T> ? T : never;
