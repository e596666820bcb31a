import { z } from 'zod';
import { crmPropertyValueSchema, type CrmProduct, type CrmPropertyValue, type CrmUpsertInput } from './crmApi';
import type { BatchProblem } from './crmBatchRefusal';
import { MonotonicClock } from './monotonicClock';
import { openDatabase, transaction, type Database } from './sqlite';

/** The product tables; applied by `open`, or by the service when it shares one database. */
export const crmProductTables = `
  CREATE TABLE IF NOT EXISTS crm_products (
    -- Insertion order; the public id is derived from it so listing by id is listing by age.
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    external_id TEXT NOT NULL UNIQUE,
    properties TEXT NOT NULL,
    archived INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version INTEGER NOT NULL
  );
  -- Resolving SKUs to PMS ids (read-by-sku) looks records up by this property.
  CREATE INDEX IF NOT EXISTS crm_products_by_sku ON crm_products (json_extract(properties, '$.sku'));
`;

const columns = 'id, external_id, properties, archived, created_at, updated_at, version';

const rowSchema = z.object({
  id: z.string(),
  external_id: z.string(),
  properties: z.string(),
  archived: z.number(),
  created_at: z.string(),
  updated_at: z.string(),
  version: z.number(),
});

const storedPropertiesSchema = z.record(z.string(), crmPropertyValueSchema);

function toProduct(row: unknown): CrmProduct {
  const parsed = rowSchema.parse(row);
  return {
    id: parsed.id,
    externalId: parsed.external_id,
    properties: storedPropertiesSchema.parse(JSON.parse(parsed.properties)),
    archived: parsed.archived === 1,
    createdAt: parsed.created_at,
    updatedAt: parsed.updated_at,
    version: parsed.version,
  };
}

/** `crm_0000000042`: zero-padded so text order is creation order. */
const crmId = (seq: number): string => `crm_${String(seq).padStart(10, '0')}`;

export interface UpsertOutcome {
  id: string;
  externalId: string;
  created: boolean;
  changed: boolean;
  /** The record as stored after the write, as HubSpot's batch upsert answers it. */
  properties: Record<string, CrmPropertyValue>;
  archived: boolean;
}

export interface ListOptions {
  limit: number;
  /** Only records with an id greater than this. */
  afterId?: string;
  includeArchived: boolean;
}

export interface ListPage {
  results: CrmProduct[];
  total: number;
  /** Id of the last record returned when more follow, else null. */
  lastId: string | null;
}

/** A batch the store refused as a whole; nothing was written. */
export class BatchRefusedError extends Error {
  constructor(readonly problems: BatchProblem[]) {
    super(`Batch refused: ${problems.length} invalid input(s)`);
    this.name = 'BatchRefusedError';
  }
}

/** Missing and null mean the same to the CRM, so setting an absent property to null changes nothing. */
const sameValue = (a: CrmPropertyValue | undefined, b: CrmPropertyValue | undefined): boolean => (a ?? null) === (b ?? null);

function changes(current: CrmProduct, input: CrmUpsertInput): boolean {
  const archivedChanges = input.archived !== undefined && input.archived !== current.archived;
  return archivedChanges || Object.entries(input.properties).some(([key, value]) => !sameValue(current.properties[key], value));
}

/** Input properties with absent keys dropped (zod leaves optional keys out, but be explicit). */
function definedProperties(input: CrmUpsertInput): Record<string, CrmPropertyValue> {
  return Object.fromEntries(Object.entries(input.properties).filter(([, value]) => value !== undefined));
}

/** The sandbox CRM's product records in SQLite, unique by externalId. */
export class CrmStore {
  private readonly clock: MonotonicClock;

  private constructor(private readonly db: Database) {
    const newest = db.get('SELECT MAX(updated_at) AS newest FROM crm_products');
    this.clock = new MonotonicClock(
      z
        .string()
        .nullable()
        .parse(newest?.newest ?? null),
    );
  }

  /** Opens (or creates) the store at `dbPath`; ':memory:' for a throwaway store. */
  static open(dbPath: string): CrmStore {
    return new CrmStore(openDatabase(dbPath, crmProductTables));
  }

  /**
   * On a database the service opened with `crmProductTables` applied, so the CRM's product and
   * customer tables share one connection and one file. Closing this store closes that database.
   */
  static attach(db: Database): CrmStore {
    return new CrmStore(db);
  }

  count(options: { includeArchived?: boolean } = {}): number {
    const where = options.includeArchived === false ? 'WHERE archived = 0' : '';
    return z.number().parse(this.db.get(`SELECT COUNT(*) AS n FROM crm_products ${where}`)?.n);
  }

  getByExternalId(externalId: string): CrmProduct | undefined {
    const row = this.db.get(`SELECT ${columns} FROM crm_products WHERE external_id = ?`, [externalId]);
    return row === null ? undefined : toProduct(row);
  }

  /** The records among `externalIds` that exist, in the order asked for, each once. */
  readByExternalIds(externalIds: readonly string[]): CrmProduct[] {
    const unique = [...new Set(externalIds)];
    const rows = this.db.all(`SELECT ${columns} FROM crm_products WHERE external_id IN (SELECT value FROM json_each(?))`, [
      JSON.stringify(unique),
    ]);
    const byExternalId = new Map(rows.map(toProduct).map((product) => [product.externalId, product]));
    return unique.flatMap((externalId) => byExternalId.get(externalId) ?? []);
  }

  /**
   * The records whose sku property is among `skus`, archived ones included, grouped in the order
   * the SKUs were asked for and oldest first within a SKU (the CRM does not enforce unique SKUs).
   */
  readBySkus(skus: readonly string[]): CrmProduct[] {
    const unique = [...new Set(skus)];
    const position = new Map(unique.map((sku, index) => [sku, index]));
    const products = this.db
      .all(
        `SELECT ${columns} FROM crm_products
         WHERE json_extract(properties, '$.sku') IN (SELECT value FROM json_each(?))
         ORDER BY seq`,
        [JSON.stringify(unique)],
      )
      .map(toProduct);
    // Array.prototype.sort is stable, so records of one SKU stay oldest first.
    return products.sort((a, b) => (position.get(String(a.properties.sku)) ?? 0) - (position.get(String(b.properties.sku)) ?? 0));
  }

  /** Every record, ordered by id (tests and diagnostics). */
  all(): CrmProduct[] {
    return this.db.all(`SELECT ${columns} FROM crm_products ORDER BY id`).map(toProduct);
  }

  list({ limit, afterId = '', includeArchived }: ListOptions): ListPage {
    const filter = includeArchived ? '' : 'AND archived = 0';
    const rows = this.db
      .all(`SELECT ${columns} FROM crm_products WHERE id > ? ${filter} ORDER BY id LIMIT ?`, [afterId, limit + 1])
      .map(toProduct);
    const results = rows.slice(0, limit);
    const total = this.count({ includeArchived });
    return { results, total, lastId: rows.length > limit ? (results[results.length - 1]?.id ?? null) : null };
  }

  /**
   * Creates or merges every input in one transaction, or refuses the whole batch (throwing
   * BatchRefusedError, nothing written) when a new record would lack a name. Records whose given
   * values are all already stored are left alone: same version, same updatedAt.
   */
  upsertBatch(inputs: readonly CrmUpsertInput[]): UpsertOutcome[] {
    return transaction(this.db, () => {
      const existing = new Map(
        this.readByExternalIds(inputs.map((input) => input.externalId)).map((product) => [product.externalId, product]),
      );
      const problems = inputs.flatMap((input, index): BatchProblem[] =>
        existing.has(input.externalId) || input.properties.name !== undefined
          ? []
          : [{ index, externalId: input.externalId, message: 'name is required when creating a product' }],
      );
      if (problems.length > 0) throw new BatchRefusedError(problems);
      const now = this.clock.next();
      return inputs.map((input) => {
        const current = existing.get(input.externalId);
        return current === undefined ? this.create(input, now) : this.update(current, input, now);
      });
    });
  }

  close(): void {
    if (this.db.isOpen) this.db.close();
  }

  private create(input: CrmUpsertInput, now: string): UpsertOutcome {
    const seq = z.number().parse(this.db.get('SELECT COALESCE(MAX(seq), 0) + 1 AS next FROM crm_products')?.next);
    const id = crmId(seq);
    this.db.run(`INSERT INTO crm_products (seq, ${columns}) VALUES (?, ?, ?, ?, ?, ?, ?, 1)`, [
      seq,
      id,
      input.externalId,
      JSON.stringify(definedProperties(input)),
      input.archived === true ? 1 : 0,
      now,
      now,
    ]);
    return {
      id,
      externalId: input.externalId,
      created: true,
      changed: true,
      properties: definedProperties(input),
      archived: input.archived === true,
    };
  }

  private update(current: CrmProduct, input: CrmUpsertInput, now: string): UpsertOutcome {
    const outcome = { id: current.id, externalId: current.externalId, created: false };
    if (!changes(current, input)) return { ...outcome, changed: false, properties: current.properties, archived: current.archived };
    const properties = { ...current.properties, ...definedProperties(input) };
    const archived = input.archived ?? current.archived;
    this.db.run('UPDATE crm_products SET properties = ?, archived = ?, updated_at = ?, version = version + 1 WHERE id = ?', [
      JSON.stringify(properties),
      archived ? 1 : 0,
      now,
      current.id,
    ]);
    return { ...outcome, changed: true, properties, archived };
  }
}
