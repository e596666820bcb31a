import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { defaultFieldMapping, fieldMappingSchema, type FieldMappingInput } from '../../src/domain/fieldMapping';
import { mappingVersion } from '../../src/domain/mappingVersion';

const versionOf = (mapping: FieldMappingInput) => mappingVersion(fieldMappingSchema.parse(mapping));

describe('mapping version', () => {
  test('is the same for the same mapping written with its fields in another order', () => {
    const reversed = Object.fromEntries(Object.entries(defaultFieldMapping).reverse()) as FieldMappingInput;
    assert.notDeepEqual(Object.keys(reversed), Object.keys(defaultFieldMapping));
    assert.equal(versionOf(reversed), versionOf(defaultFieldMapping));
  });

  test('ignores the key order inside a rule and inside an enum table', () => {
    const a = versionOf({
      status: { from: 'lifecycle', transform: { type: 'enum', values: { draft: 'Draft', active: 'Active' } } },
    });
    const b = versionOf({
      status: { transform: { values: { active: 'Active', draft: 'Draft' }, type: 'enum' }, from: 'lifecycle' },
    });
    assert.equal(a, b);
  });

  test('is the same for the short form and the spelled-out default transform', () => {
    assert.equal(versionOf({ name: 'title' }), versionOf({ name: { from: 'title', transform: { type: 'copy' } } }));
    assert.equal(
      versionOf({ features: { from: 'features', transform: { type: 'join' } } }),
      versionOf({ features: { from: 'features', transform: { type: 'join', separator: '; ' } } }),
    );
  });

  test('keeps its value across releases: a new hashing would make every deployment rewrite its catalog', () => {
    // Pinned on purpose: if this fails, the canonical form changed and every recorded version with it.
    assert.equal(versionOf({ name: 'name' }), '9ce39542c17ae37c');
    assert.equal(versionOf(defaultFieldMapping), 'cd9f29d4c9f2fbc6');
  });

  test('changes when a field is added, removed or renamed, or a source path, transform or default changes', () => {
    const base = versionOf({ name: 'name', sku: 'sku' });
    const variants = [
      versionOf({ name: 'name', sku: 'sku', stock: 'stock' }),
      versionOf({ name: 'name' }),
      versionOf({ name: 'name', code: 'sku' }),
      versionOf({ name: 'title', sku: 'sku' }),
      versionOf({ name: { from: 'name', transform: { type: 'uppercase' } }, sku: 'sku' }),
      versionOf({ name: { from: 'name', default: 'unnamed' }, sku: 'sku' }),
    ];
    assert.equal(new Set([base, ...variants]).size, variants.length + 1);
  });

  test('tells a fixed number of decimals from the currency minor unit', () => {
    assert.notEqual(
      versionOf({ price: { from: 'price.amount', transform: { type: 'round', decimals: 2 } } }),
      versionOf({ price: { from: 'price.amount', transform: { type: 'round', currencyFrom: 'price.currency' } } }),
    );
  });
});
