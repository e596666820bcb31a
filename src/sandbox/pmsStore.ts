import { z } from 'zod';
import type { RawPmsProduct } from '../domain/pmsProduct';
import { afterCursor, toFeedPage, type FeedPage, type FeedPosition } from './changeFeed';
import { MonotonicClock } from './monotonicClock';
import { openDatabase, transaction, type Database } from './sqlite';

/** The product table; applied by `open`, or by the service when it shares one database. */
export const pmsProductTables = `
  CREATE TABLE IF NOT EXISTS products (
    id TEXT PRIMARY KEY,
    updated_at TEXT NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0,
    doc TEXT NOT NULL
  );
  -- The change feed pages by (updated_at, id); this index makes each page a range scan.
  CREATE INDEX IF NOT EXISTS products_by_change ON products (updated_at, id);
`;

const upsertSql = `
  INSERT INTO products (id, updated_at, deleted, doc) VALUES (?, ?, 0, ?)
  ON CONFLICT (id) DO UPDATE SET updated_at = excluded.updated_at, deleted = 0, doc = excluded.doc`;

const rowSchema = z.object({ id: z.string(), updated_at: z.string(), deleted: z.number(), doc: z.string() });
type Row = z.infer<typeof rowSchema>;

/** Whatever a client stored; the PMS keeps it as-is. */
export type ProductDocument = Record<string, unknown>;

export type ChangePage = FeedPage<RawPmsProduct>;
export type ListChangesOptions = FeedPosition;

/** Fields the PMS owns; stored documents never carry them, so a client cannot fake them. */
const managedFields = new Set(['id', 'updatedAt', 'deleted']);

function withoutManagedFields(document: ProductDocument): ProductDocument {
  return Object.fromEntries(Object.entries(document).filter(([key]) => !managedFields.has(key)));
}

function toProduct(row: Row): RawPmsProduct {
  const parsed: unknown = JSON.parse(row.doc);
  const document = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? parsed : {};
  // id first for readability; the managed fields come from the columns, whatever the doc says.
  return { id: row.id, ...document, updatedAt: row.updated_at, deleted: row.deleted === 1 };
}

/**
 * The sandbox PMS's products in SQLite: JSON documents plus the columns the change feed needs.
 * Deletes are soft, so the change feed can tell clients about them.
 */
export class PmsStore {
  private readonly clock: MonotonicClock;

  private constructor(private readonly db: Database) {
    const newest = db.get('SELECT MAX(updated_at) AS newest FROM products');
    this.clock = new MonotonicClock(
      z
        .string()
        .nullable()
        .parse(newest?.newest ?? null),
    );
  }

  /** Opens (or creates) the store at `dbPath`; ':memory:' for a throwaway store. */
  static open(dbPath: string): PmsStore {
    return new PmsStore(openDatabase(dbPath, pmsProductTables));
  }

  /**
   * On a database the service opened with `pmsProductTables` applied, so products, requirements
   * and demand signals share one connection and one file. Closing this store closes that database.
   */
  static attach(db: Database): PmsStore {
    return new PmsStore(db);
  }

  /** Number of products, including soft-deleted ones unless told otherwise. */
  count(options: { includeDeleted?: boolean } = {}): number {
    const where = options.includeDeleted === false ? 'WHERE deleted = 0' : '';
    const row = this.db.get(`SELECT COUNT(*) AS n FROM products ${where}`);
    return z.number().parse(row?.n);
  }

  /** One product, soft-deleted or not; undefined when it never existed. */
  get(id: string): RawPmsProduct | undefined {
    const row = this.db.get('SELECT id, updated_at, deleted, doc FROM products WHERE id = ?', [id]);
    return row === null ? undefined : toProduct(rowSchema.parse(row));
  }

  /** The products among `ids` that exist, in the order asked for, each once. */
  getMany(ids: readonly string[]): RawPmsProduct[] {
    const unique = [...new Set(ids)];
    const rows = this.db.all('SELECT id, updated_at, deleted, doc FROM products WHERE id IN (SELECT value FROM json_each(?))', [
      JSON.stringify(unique),
    ]);
    const byId = new Map(rows.map((row) => rowSchema.parse(row)).map((row) => [row.id, toProduct(row)]));
    return unique.flatMap((id) => byId.get(id) ?? []);
  }

  /** The live (not deleted) products whose document has one of these SKUs. */
  getBySkus(skus: readonly string[]): RawPmsProduct[] {
    const rows = this.db.all(
      `SELECT id, updated_at, deleted, doc FROM products
       WHERE deleted = 0 AND json_extract(doc, '$.sku') IN (SELECT value FROM json_each(?))`,
      [JSON.stringify([...new Set(skus)])],
    );
    return rows.map((row) => toProduct(rowSchema.parse(row)));
  }

  /** One page of the change feed: rows strictly after (since, afterId) in (updatedAt, id) order. */
  listChanges(position: ListChangesOptions): ChangePage {
    const after = afterCursor(position);
    const rows = this.db
      .all(`SELECT id, updated_at, deleted, doc FROM products WHERE ${after.sql} ORDER BY updated_at, id LIMIT ?`, [
        ...after.params,
        position.limit + 1,
      ])
      .map((row) => rowSchema.parse(row));
    const page = toFeedPage(rows, position.limit, toProduct);
    const counted = this.db.all(`SELECT COUNT(*) AS n FROM products WHERE ${after.sql}`, after.params)[0] as { n: number };
    return { ...page, remaining: Math.max(0, Number(counted.n) - page.data.length) };
  }

  /** Creates or replaces a product and undeletes it. */
  put(id: string, document: ProductDocument): RawPmsProduct {
    this.write(id, withoutManagedFields(document), this.clock.next());
    return this.require(id);
  }

  /** Merges `changes` into a live product; undefined when it does not exist or is deleted. */
  patch(id: string, changes: ProductDocument): RawPmsProduct | undefined {
    return transaction(this.db, () => {
      const current = this.get(id);
      if (current === undefined || current.deleted) return undefined;
      this.write(id, withoutManagedFields({ ...current, ...changes }), this.clock.next());
      return this.require(id);
    });
  }

  /**
   * Soft-deletes a product; undefined when it never existed. Deleting a deleted product changes
   * nothing (and keeps its timestamp), so a retried DELETE does not re-announce the deletion.
   */
  softDelete(id: string): RawPmsProduct | undefined {
    return transaction(this.db, () => {
      const current = this.get(id);
      if (current === undefined || current.deleted) return current;
      this.db.run('UPDATE products SET deleted = 1, updated_at = ? WHERE id = ?', [this.clock.next(), id]);
      return this.require(id);
    });
  }

  /**
   * Removes products outright, with no trace in the change feed, batch-get or webhooks: how a
   * source that does not report deletions (HubSpot, Akeneo) looks to the bridge. Returns how many
   * existed.
   */
  purge(ids: readonly string[]): number {
    return transaction(this.db, () => {
      const existing = this.getMany(ids).length;
      this.db.run('DELETE FROM products WHERE id IN (SELECT value FROM json_each(?))', [JSON.stringify([...new Set(ids)])]);
      return existing;
    });
  }

  /**
   * Bulk load (seeding, test fixtures): creates or replaces every product like PUT, in one
   * transaction. They share one timestamp, as rows of one import do in real systems; the id
   * tie-breaker in the cursor keeps paging through them exact. Returns how many were written.
   */
  upsertMany(documents: ReadonlyArray<ProductDocument & { id: string }>): number {
    const updatedAt = this.clock.next();
    // One prepared statement for the whole load: preparing per row dominates large seeds.
    const statement = this.db.prepare(upsertSql);
    try {
      return transaction(this.db, () => {
        for (const document of documents) {
          statement.run([document.id, updatedAt, JSON.stringify(withoutManagedFields(document))]);
        }
        return documents.length;
      });
    } finally {
      statement.finalize();
    }
  }

  close(): void {
    if (this.db.isOpen) this.db.close();
  }

  private write(id: string, document: ProductDocument, updatedAt: string): void {
    this.db.run(upsertSql, [id, updatedAt, JSON.stringify(document)]);
  }

  private require(id: string): RawPmsProduct {
    const product = this.get(id);
    if (product === undefined) throw new Error(`Product ${id} vanished right after it was written`);
    return product;
  }
}
