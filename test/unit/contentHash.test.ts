import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { contentHash } from '../../src/domain/contentHash';

describe('content hash', () => {
  const owned = ['name', 'price'];
  test('ignores property order and fields the bridge does not own', () => {
    assert.equal(contentHash({ name: 'A', price: 1, crmOnly: 'x' }, false, owned), contentHash({ price: 1, name: 'A' }, false, owned));
  });
  test('treats an absent owned property as null', () => {
    assert.equal(contentHash({ name: 'A', price: null }, false, owned), contentHash({ name: 'A' }, false, owned));
  });
  test('changes with any owned value or the archived flag', () => {
    const base = contentHash({ name: 'A', price: 1 }, false, owned);
    assert.notEqual(base, contentHash({ name: 'A', price: 2 }, false, owned));
    assert.notEqual(base, contentHash({ name: 'A', price: '1' }, false, owned));
    assert.notEqual(base, contentHash({ name: 'A', price: 1 }, true, owned));
  });
});
