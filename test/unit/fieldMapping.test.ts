import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { defaultFieldMapping, fieldMappingSchema, mapProduct, MappingError } from '../../src/domain/fieldMapping';
import { pmsProductSchema, type PmsProduct } from '../../src/domain/pmsProduct';

const product: PmsProduct = pmsProductSchema.parse({
  id: 'P-1',
  sku: 'SKU-1',
  name: 'Vectra TS-200 Temperature Sensor',
  description: 'Measures things.',
  category: 'sensors',
  price: { amount: 1299.456, currency: 'EUR' },
  stock: 12,
  features: ['IP67', 'Modbus'],
  lifecycle: 'active',
  updatedAt: '2026-11-24T10:00:00.000Z',
});

describe('field mapping', () => {
  test('the default mapping renames, rounds, formats currency, joins lists and maps enums', () => {
    const mapping = fieldMappingSchema.parse(defaultFieldMapping);
    assert.deepEqual(mapProduct(product, mapping), {
      name: 'Vectra TS-200 Temperature Sensor',
      sku: 'SKU-1',
      description: 'Measures things.',
      category: 'sensors',
      price: 1299.46,
      currency: 'EUR',
      priceFormatted: '€1,299.46',
      stock: 12,
      features: 'IP67; Modbus',
      status: 'Active',
    });
  });

  test('a value missing from an enum map is a mapping error naming the field and value', () => {
    const mapping = fieldMappingSchema.parse({ status: { from: 'lifecycle', transform: { type: 'enum', values: { draft: 'Draft' } } } });
    assert.throws(
      () => mapProduct(product, mapping),
      (error: unknown) => {
        assert.ok(error instanceof MappingError);
        assert.match(error.message, /status: value 'active' has no entry/);
        return true;
      },
    );
  });

  test('a list mapped without a transform is refused instead of being stringified', () => {
    const mapping = fieldMappingSchema.parse({ features: 'features' });
    assert.throws(() => mapProduct(product, mapping), /features: a list cannot go into one CRM property/);
  });

  test('a missing source field uses the default, or null without one', () => {
    const mapping = fieldMappingSchema.parse({ brand: { from: 'brand', default: 'Vectra' }, color: 'color' });
    assert.deepEqual(mapProduct(product, mapping), { brand: 'Vectra', color: null });
  });

  test('truncate, uppercase and lowercase shape strings', () => {
    const mapping = fieldMappingSchema.parse({
      short: { from: 'name', transform: { type: 'truncate', maxLength: 6 } },
      upper: { from: 'sku', transform: { type: 'uppercase' } },
      lower: { from: 'sku', transform: { type: 'lowercase' } },
    });
    assert.deepEqual(mapProduct(product, mapping), { short: 'Vectra', upper: 'SKU-1', lower: 'sku-1' });
  });

  test('a mapping with an invalid CRM property name or unknown transform is refused with the field named', () => {
    const badName = fieldMappingSchema.safeParse({ 'bad name': 'name' });
    assert.equal(badName.success, false);
    assert.match(JSON.stringify(badName.error?.issues), /CRM property names are letters/);
    const badTransform = fieldMappingSchema.safeParse({ price: { from: 'price.amount', transform: { type: 'explode' } } });
    assert.equal(badTransform.success, false);
    assert.deepEqual(badTransform.error?.issues[0]?.path.slice(0, 2), ['price', 'transform']);
  });

  // The next four were found by test/unit/fieldMapping.property.test.ts.
  test('an enum map answers only from its own entries: a product called "constructor" is a mapping error, not a function', () => {
    const mapping = fieldMappingSchema.parse({ kind: { from: 'name', transform: { type: 'enum', values: { sensor: 'Sensor' } } } });
    for (const name of ['constructor', 'toString', '__proto__']) {
      assert.throws(() => mapProduct({ ...product, name }, mapping), /kind: value '.*' has no entry in the enum mapping/);
    }
  });

  test('rounding an amount too large to scale keeps the amount instead of sending Infinity', () => {
    const mapping = fieldMappingSchema.parse({ price: { from: 'price.amount', transform: { type: 'round', decimals: 2 } } });
    assert.deepEqual(mapProduct({ ...product, price: { amount: 1e307, currency: 'EUR' } }, mapping), { price: 1e307 });
  });

  test('a currency code that is not three letters is a mapping error for the record, not a RangeError for the page', () => {
    const mapping = fieldMappingSchema.parse({ label: { from: 'price.amount', transform: { type: 'currency', currencyFrom: 'name' } } });
    assert.throws(
      () => mapProduct(product, mapping),
      (error: unknown) => error instanceof MappingError && /label: needs a number and a currency code at name/.test(error.message),
    );
  });

  test('a malformed locale is refused when the configuration is read', () => {
    const parsed = fieldMappingSchema.safeParse({
      label: { from: 'price.amount', transform: { type: 'currency', currencyFrom: 'price.currency', locale: 'en_US' } },
    });
    assert.ok(!parsed.success);
    assert.match(parsed.error.issues[0]!.message, /BCP 47 locale/);
  });
});
