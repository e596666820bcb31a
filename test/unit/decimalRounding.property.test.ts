import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import './arbitraries/replay';
import { roundHalfAwayFromZero } from '../../src/domain/decimalRounding';
// Property tests: fast-check prints the seed of a failure; see ./arbitraries/replay.ts to replay it.

describe('rounding half away from zero on the decimal value', () => {
  test('a decimal with one digit more than kept rounds as integer arithmetic on its digits says', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 15n), max: 10n ** 15n }), fc.integer({ min: 0, max: 6 }), (digits, decimals) => {
        // The amount is digits / 10^(decimals + 1), written exactly as a PMS would send it.
        const value = Number(`${digits}e-${decimals + 1}`);
        const magnitude = digits < 0n ? -digits : digits;
        const kept = magnitude / 10n + (magnitude % 10n >= 5n ? 1n : 0n);
        const expected = Number(`${digits < 0n ? -kept : kept}e-${decimals}`);
        assert.equal(roundHalfAwayFromZero(value, decimals), expected === 0 ? 0 : expected);
      }),
    );
  });

  test('any finite double: rounding is idempotent, symmetric, and moves the value by at most half a unit', () => {
    fc.assert(
      fc.property(
        fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e12, max: 1e12 }),
        fc.integer({ min: 0, max: 6 }),
        (value, decimals) => {
          const rounded = roundHalfAwayFromZero(value, decimals);
          assert.equal(roundHalfAwayFromZero(rounded, decimals), rounded);
          assert.equal(roundHalfAwayFromZero(-value, decimals), rounded === 0 ? 0 : -rounded);
          assert.ok(Math.abs(rounded - value) <= 0.5 * 10 ** -decimals * (1 + 1e-9) + Number.EPSILON * Math.abs(value));
        },
      ),
    );
  });
});
