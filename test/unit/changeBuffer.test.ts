import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ChangeBuffer } from '../../workflows/changeBuffer';

const change = (productId: string, updatedAt: string) => ({ productId, updatedAt, deleted: false });

describe('ChangeBuffer: changes waiting in the event-driven sync', () => {
  test('repeated announcements of one product wait as one entry', () => {
    const buffer = new ChangeBuffer();
    buffer.add(change('P-1', '2026-11-24T10:00:00.001Z'), 0);
    buffer.add(change('P-1', '2026-11-24T10:00:00.001Z'), 0);
    buffer.add(change('P-1', '2026-11-24T10:00:00.002Z'), 0);
    assert.equal(buffer.size, 1);
  });

  test('an older announcement arriving late does not replace the newer one', () => {
    const buffer = new ChangeBuffer();
    buffer.add(change('P-1', '2026-11-24T10:00:00.002Z'), 0);
    buffer.add(change('P-1', '2026-11-24T10:00:00.001Z'), 0);
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

  test('the oldest arrival is when the product waiting longest was first announced; a repeat keeps its place and time', () => {
    const buffer = new ChangeBuffer();
    assert.equal(buffer.oldestArrival, undefined);
    buffer.add(change('P-1', 'a'), 1_000);
    buffer.add(change('P-2', 'a'), 1_200);
    buffer.add(change('P-1', 'b'), 1_300);
    assert.equal(buffer.oldestArrival, 1_000);
    assert.deepEqual(buffer.snapshot(), [change('P-1', 'b'), change('P-2', 'a')]);
    buffer.take(1);
    assert.equal(buffer.oldestArrival, 1_200);
    buffer.take(1);
    assert.equal(buffer.oldestArrival, undefined);
  });

  test('changes carried over from the previous run count as announced when the new run starts', () => {
    const buffer = new ChangeBuffer([change('P-1', 'a'), change('P-2', 'a')], 5_000);
    buffer.add(change('P-3', 'a'), 5_400);
    assert.equal(buffer.oldestArrival, 5_000);
    assert.equal(buffer.size, 3);
  });
});
