import { z } from 'zod';
import type { DemandSignal, SignalInput, SignalOutcome } from './pmsDemandSignalApi';
import { openDatabase, transaction, type Database } from './sqlite';

/** The demand-signal table; applied by `open`, or by the service when it shares one database. */
export const pmsDemandSignalTables = `
  -- One row per order's contribution; the signal a client reads is the sum per product and month.
  CREATE TABLE IF NOT EXISTS demand_signals (
    product_id TEXT NOT NULL,
    period TEXT NOT NULL,
    order_id TEXT NOT NULL,
    quantity INTEGER NOT NULL,
    PRIMARY KEY (product_id, period, order_id)
  ) WITHOUT ROWID;
`;

const signalRowSchema = z.object({ productId: z.string(), period: z.string(), quantity: z.number(), orders: z.number() });

export interface SignalFilter {
  productId?: string;
  period?: string;
}

/** Ordered quantities per product, month and order, in SQLite. */
export class PmsDemandSignalStore {
  private constructor(private readonly db: Database) {}

  /** Opens (or creates) the store at `dbPath`; ':memory:' for a throwaway store. */
  static open(dbPath: string): PmsDemandSignalStore {
    return new PmsDemandSignalStore(openDatabase(dbPath, pmsDemandSignalTables));
  }

  /** On a database the service opened with `pmsDemandSignalTables` applied (shared with other stores). */
  static attach(db: Database): PmsDemandSignalStore {
    return new PmsDemandSignalStore(db);
  }

  /**
   * Sets each order's contribution in one transaction, in input order (a key listed twice ends
   * with its last quantity). Replacing instead of adding is what makes a re-sent order harmless.
   */
  upsert(inputs: readonly SignalInput[], completeOrders = false): SignalOutcome[] {
    return transaction(this.db, () => {
      if (completeOrders) this.withdrawOtherContributions(inputs);
      return inputs.map(({ productId, period, orderId, quantity }) => {
        const stored = this.db.get('SELECT quantity FROM demand_signals WHERE product_id = ? AND period = ? AND order_id = ?', [
          productId,
          period,
          orderId,
        ]);
        const changed = stored === null || stored.quantity !== quantity;
        if (changed) {
          this.db.run(
            `INSERT INTO demand_signals (product_id, period, order_id, quantity) VALUES (?, ?, ?, ?)
             ON CONFLICT (product_id, period, order_id) DO UPDATE SET quantity = excluded.quantity`,
            [productId, period, orderId, quantity],
          );
        }
        return { productId, period, orderId, changed };
      });
    });
  }

  /** Removes the stored contributions of the named orders that the inputs no longer list. */
  private withdrawOtherContributions(inputs: readonly SignalInput[]): void {
    const kept = new Set(inputs.map((input) => `${input.orderId}|${input.productId}|${input.period}`));
    for (const orderId of new Set(inputs.map((input) => input.orderId))) {
      const rows = this.db.all('SELECT product_id AS productId, period FROM demand_signals WHERE order_id = ?', [orderId]);
      for (const row of rows) {
        const { productId, period } = z.object({ productId: z.string(), period: z.string() }).parse(row);
        if (!kept.has(`${orderId}|${productId}|${period}`)) {
          this.db.run('DELETE FROM demand_signals WHERE product_id = ? AND period = ? AND order_id = ?', [productId, period, orderId]);
        }
      }
    }
  }

  /**
   * Quantities summed over orders per product and month, ordered by product then month. `orders`
   * counts only orders with a quantity above 0: a withdrawn contribution is no order.
   */
  list(filter: SignalFilter = {}): DemandSignal[] {
    const conditions: string[] = [];
    const params: string[] = [];
    if (filter.productId !== undefined) {
      conditions.push('product_id = ?');
      params.push(filter.productId);
    }
    if (filter.period !== undefined) {
      conditions.push('period = ?');
      params.push(filter.period);
    }
    const where = conditions.length === 0 ? '' : `WHERE ${conditions.join(' AND ')}`;
    return this.db
      .all(
        `SELECT product_id AS productId, period, SUM(quantity) AS quantity, SUM(quantity > 0) AS orders
         FROM demand_signals ${where}
         GROUP BY product_id, period
         ORDER BY product_id, period`,
        params,
      )
      .map((row) => signalRowSchema.parse(row));
  }

  close(): void {
    if (this.db.isOpen) this.db.close();
  }
}
