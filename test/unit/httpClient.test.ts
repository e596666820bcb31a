import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseRetryAfter } from '../../src/connectors/httpClient';

describe('Retry-After', () => {
  test('reads delta-seconds, rounding fractions up to whole milliseconds', () => {
    assert.equal(parseRetryAfter('2'), 2000);
    assert.equal(parseRetryAfter('0.5'), 500);
  });
  test('reads an HTTP date relative to now', () => {
    const now = Date.parse('2026-11-24T10:00:00Z');
    assert.equal(parseRetryAfter('Tue, 24 Nov 2026 10:00:03 GMT', now), 3000);
  });
  test('falls back to one second when absent or unreadable', () => {
    assert.equal(parseRetryAfter(null), 1000);
    assert.equal(parseRetryAfter('soon'), 1000);
  });
});
