import type { OrderSignal } from '../shared/demandActivityTypes';
import { orderPeriod } from './crmDemand';

/** Quantities per product of one order, lines of the same product added up. */
export function orderSignals(
  orderId: string,
  orderedAt: string,
  lines: Array<{ sku: string; quantity: number }>,
  products: Map<string, string>,
): OrderSignal[] {
  const period = orderPeriod(orderedAt);
  const byProduct = new Map<string, number>();
  for (const line of lines) {
    const productId = products.get(line.sku)!;
    byProduct.set(productId, (byProduct.get(productId) ?? 0) + line.quantity);
  }
  return [...byProduct].map(([productId, quantity]) => ({ productId, period, orderId, quantity }));
}

/** Groups signals into batches of at most `size`, keeping each order's signals together. */
export function batchesOfWholeOrders(signals: OrderSignal[], size: number): OrderSignal[][] {
  const byOrder = new Map<string, OrderSignal[]>();
  for (const signal of signals) byOrder.set(signal.orderId, [...(byOrder.get(signal.orderId) ?? []), signal]);
  const batches: OrderSignal[][] = [];
  let current: OrderSignal[] = [];
  for (const orderSignals of byOrder.values()) {
    if (current.length > 0 && current.length + orderSignals.length > size) {
      batches.push(current);
      current = [];
    }
    current = [...current, ...orderSignals];
  }
  if (current.length > 0) batches.push(current);
  return batches;
}
