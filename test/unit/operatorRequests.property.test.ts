import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import type { z } from 'zod';
import './arbitraries/replay';
import { anyValue, extraFields, nonBlankText, prototypeKeys, textLongerThan, withExtraFields, withOwnKey } from './arbitraries/hostile';
import { describeRequestIssues, memoRequestSchema, retryFailedSchema, skipFailedSchema } from '../../src/shared/operatorRequests';

// Property tests: fast-check prints the seed of a failure; see ./arbitraries/replay.ts to replay it.

const schemas = { retryFailed: retryFailedSchema, skipFailed: skipFailedSchema, memoRequest: memoRequestSchema } as const;
const schemaName = fc.constantFrom(...(Object.keys(schemas) as Array<keyof typeof schemas>));

/** What an operator may legitimately type in the Temporal UI. */
const ids = fc.oneof(
  fc.array(nonBlankText(200), { minLength: 1, maxLength: 20 }),
  fc.constant(Array.from({ length: 1000 }, (_, i) => `SKU-${i}`)),
);
const reason = fc
  .tuple(fc.constantFrom('', ' ', '\n'), nonBlankText(200), fc.constantFrom('', ' ', '\t'))
  .map(([before, text, after]) => `${before}${text}${after}`)
  .filter((text) => [...text.trim()].length >= 3 && [...text.trim()].length <= 300);
const retryRequest = fc.record({ ids }, { requiredKeys: [] });
const skipRequest = fc.record({ ids, reason }, { requiredKeys: ['reason'] });

/** A list of ids the schemas must refuse, with the reason why. */
const badIds = fc.oneof(
  fc.constant([]),
  fc.constant(Array.from({ length: 1001 }, (_, i) => `SKU-${i}`)),
  fc
    .tuple(
      fc.array(fc.string({ minLength: 1 }), { maxLength: 3 }),
      fc.oneof(
        fc.constant(''),
        textLongerThan(200),
        anyValue.filter((v) => typeof v !== 'string'),
      ),
    )
    .map(([good, bad]) => [...good, bad]),
  anyValue.filter((value) => !Array.isArray(value) && value !== undefined),
);

function assertRefusedWithMessage(result: z.ZodSafeParseResult<unknown>): void {
  assert.ok(!result.success, 'refused');
  const message = describeRequestIssues(result.error);
  assert.ok(message.length > 0, 'says what was expected');
}

describe('operator signal payloads over hostile input (properties)', () => {
  test('any payload is accepted or refused with a message; parsing never throws', () => {
    fc.assert(
      fc.property(schemaName, anyValue, (name, payload) => {
        const result = schemas[name].safeParse(payload);
        if (!result.success) assert.ok(describeRequestIssues(result.error).length > 0);
      }),
      { numRuns: 500 },
    );
  });

  test('valid requests are accepted as typed, the reason trimmed', () => {
    fc.assert(
      fc.property(retryRequest, skipRequest, (retry, skip) => {
        // Spread: fast-check also makes null-prototype objects; what comes out is a plain object.
        assert.deepEqual(retryFailedSchema.parse(retry), { ...retry });
        assert.deepEqual(skipFailedSchema.parse(skip), { ...skip, reason: skip.reason.trim() });
        assert.deepEqual(memoRequestSchema.parse({ id: 'r-1', retryFailed: retry, skipFailed: skip }), {
          id: 'r-1',
          retryFailed: { ...retry },
          skipFailed: { ...skip, reason: skip.reason.trim() },
        });
      }),
      { numRuns: 200 },
    );
  });

  test('a signal with any key besides ids and reason, prototype keys included, is refused rather than half-understood', () => {
    const extraKey = fc
      .oneof(fc.constantFrom(...prototypeKeys, 'id', 'Ids', 'reasons'), fc.string({ minLength: 1, maxLength: 8 }))
      .filter((key) => key !== 'ids' && key !== 'reason');
    fc.assert(
      fc.property(fc.oneof(retryRequest, skipRequest), extraKey, anyValue, (request, key, value) => {
        const schema = 'reason' in request ? skipFailedSchema : retryFailedSchema;
        assertRefusedWithMessage(schema.safeParse(withOwnKey({ ...request }, key, value)));
      }),
      { numRuns: 200 },
    );
  });

  test('ids that are empty, too many, not text, empty text or longer than 200 are refused', () => {
    fc.assert(
      fc.property(badIds, reason, (bad, why) => {
        assertRefusedWithMessage(retryFailedSchema.safeParse({ ids: bad }));
        assertRefusedWithMessage(skipFailedSchema.safeParse({ ids: bad, reason: why }));
      }),
      { numRuns: 200 },
    );
  });

  test('a schedule memo request keeps what it knows and drops other fields without touching the prototype', () => {
    fc.assert(
      fc.property(retryRequest, extraFields, (retry, extras) => {
        const result = memoRequestSchema.safeParse(
          withExtraFields({ id: 'r-1', retryFailed: retry }, extras, Object.keys(memoRequestSchema.shape)),
        );
        assert.ok(result.success, result.success ? '' : describeRequestIssues(result.error));
        assert.deepEqual(result.data, { id: 'r-1', retryFailed: { ...retry } });
        assert.equal(Object.getPrototypeOf(result.data), Object.prototype);
      }),
      { numRuns: 200 },
    );
  });
});
