import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fieldLimitProblem } from '../../src/domain/fieldLimits';

describe('target field limits', () => {
  test('a text over its property limit is named with both lengths and without the value; texts within limits and other values pass', () => {
    const limits = { name: 100, sku: 64 };
    assert.equal(fieldLimitProblem({ name: 'x'.repeat(100), sku: 'S-1', price: 12.5, stock: null }, limits), undefined);
    const problem = fieldLimitProblem({ name: 'Secret Customer Product '.padEnd(142, 'y'), sku: 'S'.repeat(65) }, limits);
    assert.equal(problem, 'name has 142 characters, the target takes at most 100; sku has 65 characters, the target takes at most 64');
    assert.doesNotMatch(String(problem), /Secret/);
  });

  test('a target that declares no limits never rejects', () => {
    assert.equal(fieldLimitProblem({ name: 'x'.repeat(10_000) }, undefined), undefined);
  });
});
