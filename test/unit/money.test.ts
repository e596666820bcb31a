import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { currencyMinorUnit } from '../../src/domain/currencyMinorUnit';
import { roundHalfAwayFromZero } from '../../src/domain/decimalRounding';
import { defaultFieldMapping, fieldMappingSchema, mapProduct } from '../../src/domain/fieldMapping';
import { pmsProductSchema, type PmsProduct } from '../../src/domain/pmsProduct';

const priced = (amount: number, currency: string): PmsProduct =>
  pmsProductSchema.parse({
    id: 'P-1',
    sku: 'SKU-1',
    name: 'Vectra TS-200 Temperature Sensor',
    description: 'Measures things.',
    category: 'sensors',
    price: { amount, currency },
    stock: 12,
    features: [],
    lifecycle: 'active',
    updatedAt: '2026-11-24T10:00:00.000Z',
  });

const defaultMapping = fieldMappingSchema.parse(defaultFieldMapping);
const priceOf = (amount: number, currency: string) => {
  const { price, priceFormatted } = mapProduct(priced(amount, currency), defaultMapping);
  return { price, priceFormatted };
};

describe('money keeps its currency minor unit and rounds on the decimal value', () => {
  test('the default mapping sends JPY without decimals, rounding half away from zero', () => {
    assert.deepEqual(priceOf(1299.456, 'JPY'), { price: 1299, priceFormatted: '¥1,299' });
    assert.equal(priceOf(1299.5, 'JPY').price, 1300);
    assert.equal(roundHalfAwayFromZero(-1299.5, 0), -1300);
  });

  test('the default mapping keeps the three decimals of BHD and KWD (30187.091 stays 30187.091)', () => {
    assert.deepEqual(priceOf(30187.091, 'BHD'), { price: 30187.091, priceFormatted: 'BHD\u00a030,187.091' });
    assert.equal(priceOf(30187.0915, 'BHD').price, 30187.092);
    assert.equal(priceOf(12.3456, 'KWD').price, 12.346);
    assert.equal(priceOf(1299.456, 'EUR').price, 1299.46);
  });

  test('1.005 rounded to 2 places is 1.01 (the float 1.005 * 100 is 100.49999999999999)', () => {
    assert.equal(Math.round(1.005 * 100) / 100, 1, 'what binary rounding gives');
    assert.equal(roundHalfAwayFromZero(1.005, 2), 1.01);
    assert.equal(roundHalfAwayFromZero(-1.005, 2), -1.01);
    assert.equal(roundHalfAwayFromZero(2.675, 2), 2.68);
    assert.equal(priceOf(1.005, 'EUR').price, 1.01);
    const configured = fieldMappingSchema.parse({ price: { from: 'price.amount', transform: { type: 'round', decimals: 2 } } });
    assert.deepEqual(mapProduct(priced(1.005, 'EUR'), configured), { price: 1.01 });
  });

  test('ISO 4217 minor units, where Node’s Intl (CLDR display digits) says otherwise for IQD, HUF and IDR', () => {
    const iso = { JPY: 0, KRW: 0, CLP: 0, BHD: 3, KWD: 3, OMR: 3, JOD: 3, TND: 3, IQD: 3, LYD: 3, EUR: 2, USD: 2, HUF: 2, IDR: 2, CLF: 4 };
    for (const [currency, digits] of Object.entries(iso)) assert.equal(currencyMinorUnit(currency), digits, currency);
    assert.equal(currencyMinorUnit('bhd'), 3, 'codes are case-insensitive');
    const intlDigits = (currency: string) =>
      new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits;
    assert.deepEqual(
      ['IQD', 'HUF', 'IDR'].map(intlDigits),
      [0, 0, 0],
      'Intl cannot replace the ISO table: its digits differ from ISO 4217 for these',
    );
    assert.equal(priceOf(1500.1235, 'IQD').price, 1500.124);
  });

  test('a round rule takes decimals or currencyFrom, not both and not neither', () => {
    for (const transform of [{ type: 'round' }, { type: 'round', decimals: 2, currencyFrom: 'price.currency' }]) {
      const parsed = fieldMappingSchema.safeParse({ price: { from: 'price.amount', transform } });
      assert.equal(parsed.success, false);
      assert.match(parsed.error.issues[0]!.message, /round takes either decimals .* or currencyFrom/);
    }
  });
});
