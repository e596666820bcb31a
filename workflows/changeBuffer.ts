import type { ProductChange } from '../src/shared/productChangeStreamContract';

/**
 * The changes waiting to be written, one entry per product: a repeated or late announcement of a
 * product already waiting adds nothing, so a burst of edits to one product is written once. Only
 * the id matters for what is written (the activity reads the product's current state); the newest
 * announced version is kept for the operator's view.
 */
export class ChangeBuffer {
  private readonly waiting = new Map<string, ProductChange>();
  /** When each waiting product was first announced (workflow time, ms), in the same order. */
  private readonly arrivedAt = new Map<string, number>();

  /** `now`: when the changes carried over from the previous run count as announced. */
  constructor(initial: ProductChange[] = [], now = 0) {
    for (const change of initial) this.add(change, now);
  }

  get size(): number {
    return this.waiting.size;
  }

  /** When the product waiting longest was announced; undefined when none waits. */
  get oldestArrival(): number | undefined {
    for (const time of this.arrivedAt.values()) return time;
    return undefined;
  }

  add(change: ProductChange, now: number): void {
    const known = this.waiting.get(change.productId);
    if (!known) this.arrivedAt.set(change.productId, now);
    if (!known || known.updatedAt < change.updatedAt) this.waiting.set(change.productId, change);
  }

  /** Removes and returns up to `max` products, in the order they were first announced. */
  take(max: number): ProductChange[] {
    const ids = [...this.arrivedAt.keys()].slice(0, max);
    const changes = ids.map((id) => this.waiting.get(id)!);
    for (const id of ids) {
      this.waiting.delete(id);
      this.arrivedAt.delete(id);
    }
    return changes;
  }

  snapshot(): ProductChange[] {
    return [...this.arrivedAt.keys()].map((id) => this.waiting.get(id)!);
  }
}
