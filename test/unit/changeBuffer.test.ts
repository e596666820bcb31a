import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ChangeBuffer } from '../../workflows/changeBuffer';

const change = (productId: string, updatedAt: string) => ({ productId, updatedAt, deleted: false });

describe('ChangeBuffer: changes waiting in the event-driven sync', () => {
  test('repeated announcements of one product wait as one entry', () => {
    const buffer = new ChangeBuffer();
    buffer.add(change('P-1', '2026-11-24T10:00:00.001Z'));
    buffer.add(change('P-1', '2026-11-24T10:00:00.001Z'));
    buffer.add(change('P-1', '2026-11-24T10:00:00.002Z'));
    assert.equal(buffer.size, 1);
  });

  test('an older announcement arriving late does not replace the newer one', () => {
    const buffer = new ChangeBuffer();
    buffer.add(change('P-1', '2026-11-24T10:00:00.002Z'));
    buffer.add(change('P-1', '2026-11-24T10:00:00.001Z'));
    assert.deepEqual(buffer.snapshot(), [change('P-1', '2026-11-24T10:00:00.002Z')]);
  });

  test('take returns at most the batch size, in the order products were first announced, and removes them', () => {
    const buffer = new ChangeBuffer([change('P-3', 'a'), change('P-1', 'a'), change('P-2', 'a')]);
    assert.deepEqual(
      buffer.take(2).map((c) => c.productId),
      ['P-3', 'P-1'],
    );
    assert.deepEqual(
      buffer.snapshot().map((c) => c.productId),
      ['P-2'],
    );
  });
});
