import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { batchesOfWholeOrders, orderSignals } from '../../src/domain/orderSignals';
import { DemandMappingRun } from '../../workflows/demandMappingRun';
import { demandMappingInputSchema, type DemandMappingSummary } from '../../src/shared/demandMappingContract';

const at = (second: number, id: string) => ({ since: `2026-11-24T10:00:${String(second).padStart(2, '0')}.000Z`, afterId: id });
const now = '2026-11-24T10:01:00.000Z';

describe('demandMapping run bookkeeping', () => {
  test('demands and orders keep separate watermarks, each held back only by its own failures', () => {
    const run = DemandMappingRun.begin(demandMappingInputSchema.parse({}), undefined, now);
    run.finishPage('demands', at(5, 'D-5'), false);
    run.fail('orders', 'O-2', 'PMS refused', at(2, 'O-2'));
    run.finishPage('orders', at(9, 'O-9'), false);
    assert.deepEqual(run.watermark, { demands: at(5, 'D-5'), orders: { since: at(2, 'O-2').since, afterId: '' } });
    const summary = run.summary(now);
    assert.equal(summary.status, 'CompletedWithFailures');
    assert.equal(summary.orders.failed, 1);
  });

  test('a scheduled run continues from the previous watermarks, minus the overlap', () => {
    const previous = { demands: {}, watermark: { demands: at(30, 'D-1'), orders: null } } as unknown as DemandMappingSummary;
    const run = DemandMappingRun.begin(demandMappingInputSchema.parse({ overlapMs: 10_000 }), previous, now);
    assert.deepEqual(run.demandFeed.cursor, { since: '2026-11-24T10:00:20.000Z', afterId: '' });
    assert.equal(run.orderFeed.cursor, null);
  });

  test('rejections are listed with reasons and counted per feed', () => {
    const run = DemandMappingRun.begin(demandMappingInputSchema.parse({}), undefined, now);
    run.reject('demands', [{ id: 'D-1', reason: 'names product SKU-9', position: at(1, 'D-1') }]);
    run.count('demands', 'created', 2);
    const summary = run.summary(now);
    assert.deepEqual(summary.rejected, [{ id: 'D-1', reason: 'names product SKU-9' }]);
    assert.equal(summary.demands.rejected, 1);
    assert.equal(summary.demands.created, 2);
    assert.equal(summary.status, 'Completed');
  });
});

describe('order signals', () => {
  test('lines of the same product in one order add up, per month of the order', () => {
    const products = new Map([
      ['SKU-1', 'P-1'],
      ['SKU-2', 'P-2'],
    ]);
    const signals = orderSignals(
      'O-1',
      '2026-10-31T23:00:00Z',
      [
        { sku: 'SKU-1', quantity: 3 },
        { sku: 'SKU-2', quantity: 1 },
        { sku: 'SKU-1', quantity: 4 },
      ],
      products,
    );
    assert.deepEqual(signals, [
      { productId: 'P-1', period: '2026-10', orderId: 'O-1', quantity: 7 },
      { productId: 'P-2', period: '2026-10', orderId: 'O-1', quantity: 1 },
    ]);
  });
});

describe('batches of order signals', () => {
  test('never split an order, and stay within the size unless one order alone is larger', () => {
    const signal = (orderId: string, productId: string) => ({ orderId, productId, period: '2026-11', quantity: 1 });
    const signals = [
      signal('O-1', 'P-1'),
      signal('O-1', 'P-2'),
      signal('O-2', 'P-1'),
      signal('O-3', 'P-1'),
      signal('O-3', 'P-2'),
      signal('O-3', 'P-3'),
    ];
    const batches = batchesOfWholeOrders(signals, 3);
    assert.deepEqual(
      batches.map((batch) => batch.map((s) => `${s.orderId}/${s.productId}`)),
      [
        ['O-1/P-1', 'O-1/P-2', 'O-2/P-1'],
        ['O-3/P-1', 'O-3/P-2', 'O-3/P-3'],
      ],
    );
  });
});
