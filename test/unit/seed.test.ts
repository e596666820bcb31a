import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { pmsProductSchema } from '../../src/domain/pmsProduct';
import { generateProducts } from '../../src/sandbox/seed';

describe('generateProducts', () => {
  const products = generateProducts(500, 1);

  test('is deterministic for a seed and differs between seeds', () => {
    assert.deepEqual(generateProducts(500, 1), products);
    assert.notDeepEqual(generateProducts(50, 2), products.slice(0, 50));
  });

  test('product n is the same whatever startAt is, so a catalogue can be grown in steps', () => {
    assert.deepEqual(generateProducts(20, 1, 101), products.slice(100, 120));
  });

  test('every product passes pmsProductSchema', () => {
    for (const product of products) {
      const result = pmsProductSchema.safeParse(product);
      assert.ok(result.success, `${product.id}: ${result.error?.message}`);
    }
  });

  test('ids and skus are numbered from P-000001 and SKU-000001', () => {
    assert.equal(products[0]?.id, 'P-000001');
    assert.equal(products[0]?.sku, 'SKU-000001');
    assert.equal(products[499]?.id, 'P-000500');
    assert.equal(new Set(products.map((p) => p.id)).size, 500);
  });

  test('covers eight categories, several currencies and all lifecycles, mostly active', () => {
    assert.equal(new Set(products.map((p) => p.category)).size, 8);
    assert.deepEqual([...new Set(products.map((p) => p.price.currency))].sort(), ['CHF', 'EUR', 'GBP', 'JPY', 'SEK', 'USD']);
    const lifecycles = products.map((p) => p.lifecycle);
    assert.ok(lifecycles.includes('draft') && lifecycles.includes('discontinued'));
    assert.ok(lifecycles.filter((l) => l === 'active').length > 350, 'mostly active');
  });

  test('prices have two decimals (none for JPY), stock is 0..5000 and there are 2-6 features', () => {
    for (const { id, price, stock, features } of products) {
      const decimals = price.currency === 'JPY' ? 0 : 2;
      assert.equal(Number(price.amount.toFixed(decimals)), price.amount, `${id}: ${price.amount} ${price.currency}`);
      assert.ok(stock >= 0 && stock <= 5000, `${id}: stock ${stock}`);
      assert.ok(features.length >= 2 && features.length <= 6, `${id}: ${features.length} features`);
      assert.equal(new Set(features).size, features.length, `${id}: features are distinct`);
    }
  });

  test('names are built from brand, model and product line, and descriptions are whole sentences', () => {
    for (const { id, name, description } of products) {
      assert.match(name, /^[A-Z][a-z]+ [A-Z]{2}-\d+[A-Za-z]* [A-Z]/, `${id}: ${name}`);
      assert.ok(name.length <= 100, `${id}: fits the CRM's name limit too`);
      assert.match(description, /^[A-Z].*\.$/, `${id}: ${description}`);
    }
  });

  test('refuses a negative count or a startAt below 1', () => {
    assert.throws(() => generateProducts(-1, 1), /count must be a whole number >= 0/);
    assert.throws(() => generateProducts(1, 1, 0), /startAt must be a whole number >= 1/);
  });
});
