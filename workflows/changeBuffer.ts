import type { ProductChange } from '../src/shared/productChangeStreamContract';

/**
 * The changes waiting to be written, one entry per product: a repeated or late announcement of a
 * product already waiting adds nothing, so a burst of edits to one product is written once. Only
 * the id matters for what is written (the activity reads the product's current state); the newest
 * announced version is kept for the operator's view.
 */
export class ChangeBuffer {
  private readonly waiting = new Map<string, ProductChange>();

  constructor(initial: ProductChange[] = []) {
    for (const change of initial) this.add(change);
  }

  get size(): number {
    return this.waiting.size;
  }

  add(change: ProductChange): void {
    const known = this.waiting.get(change.productId);
    if (!known || known.updatedAt < change.updatedAt) this.waiting.set(change.productId, change);
  }

  /** Removes and returns up to `max` products, in the order they were first announced. */
  take(max: number): ProductChange[] {
    const changes = [...this.waiting.values()].slice(0, max);
    for (const change of changes) this.waiting.delete(change.productId);
    return changes;
  }

  snapshot(): ProductChange[] {
    return [...this.waiting.values()];
  }
}
