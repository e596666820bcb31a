import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { validatePmsProduct } from '../../src/domain/validation';

const valid = {
  id: 'P-1',
  sku: 'SKU-1',
  name: 'Sensor',
  description: '',
  category: 'sensors',
  price: { amount: 10, currency: 'USD' },
  stock: 1,
  features: [],
  lifecycle: 'active',
  updatedAt: '2026-11-24T10:00:00.000Z',
};

describe('PMS product validation', () => {
  test('a complete product is valid and keeps its values', () => {
    const result = validatePmsProduct(valid);
    assert.equal(result.ok, true);
  });

  const cases: Array<[string, Record<string, unknown>, RegExp]> = [
    ['missing name', { name: undefined }, /^name: /],
    ['blank name', { name: '   ' }, /name: name is missing or empty/],
    ['negative price', { price: { amount: -1, currency: 'USD' } }, /price\.amount: price must not be negative/],
    ['unknown currency', { price: { amount: 1, currency: 'XYZ' } }, /price\.currency: unknown currency code/],
    ['NaN price', { price: { amount: Number.NaN, currency: 'USD' } }, /price\.amount/],
    ['1 MB description', { description: 'x'.repeat(1024 * 1024) }, /description: Too big/i],
    ['stock as a string', { stock: '12' }, /stock: Invalid input: expected number, received string/],
    ['unknown lifecycle', { lifecycle: 'retired' }, /lifecycle: Invalid option/],
  ];
  for (const [name, change, reason] of cases) {
    test(`a product with ${name} is rejected with a reason naming the field`, () => {
      const result = validatePmsProduct({ ...valid, ...change });
      assert.equal(result.ok, false);
      if (!result.ok) assert.match(result.reason, reason);
    });
  }

  test('the reason never echoes the offending value (it may be huge or personal)', () => {
    const result = validatePmsProduct({ ...valid, description: 'secret'.repeat(10_000) });
    assert.equal(result.ok, false);
    if (!result.ok) {
      assert.doesNotMatch(result.reason, /secret/);
      assert.ok(result.reason.length < 300);
    }
  });
});
