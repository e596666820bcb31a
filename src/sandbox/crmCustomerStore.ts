import { z } from 'zod';
import { afterCursor, toFeedPage, type FeedPage, type FeedPosition } from './changeFeed';
import {
  accountSchema,
  contactSchema,
  demandSchema,
  orderSchema,
  type AccountRecord,
  type ContactRecord,
  type DemandRecord,
  type LinkOutcome,
  type LinkUpdate,
  type OrderRecord,
} from './crmCustomerApi';
import { MonotonicClock } from './monotonicClock';
import { openDatabase, transaction, type Database } from './sqlite';

export const customerCollections = ['accounts', 'contacts', 'demands', 'orders'] as const;
export type CustomerCollection = (typeof customerCollections)[number];

/** What each collection hands out. */
export interface CustomerRecords {
  accounts: AccountRecord;
  contacts: ContactRecord;
  demands: DemandRecord;
  orders: OrderRecord;
}

/** Whatever a client stored (already checked by the API where the CRM checks anything). */
export type CustomerDocument = Record<string, unknown>;

/** Everything one seeding writes, per collection. */
export type CustomerLoad = { [C in CustomerCollection]: ReadonlyArray<CustomerDocument & { id: string }> };

const tables: Record<CustomerCollection, string> = {
  accounts: 'crm_accounts',
  contacts: 'crm_contacts',
  demands: 'crm_demands',
  orders: 'crm_orders',
};

const recordSchemas: { [C in CustomerCollection]: z.ZodType<CustomerRecords[C]> } = {
  accounts: accountSchema,
  contacts: contactSchema,
  demands: demandSchema,
  orders: orderSchema,
};

/**
 * JSON documents plus the columns the change feeds need. The demand link fields are columns of
 * their own: update-links writes them without touching the document, which is what guarantees
 * the bridge can never overwrite demand content.
 */
function recordTable(table: string, extraColumns = ''): string {
  return `
  CREATE TABLE IF NOT EXISTS ${table} (
    id TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,${extraColumns}
    doc TEXT NOT NULL
  );
  CREATE INDEX IF NOT EXISTS ${table}_by_change ON ${table} (updated_at, id);`;
}

/** The customer tables; applied by `open`, or by the service when it shares one database. */
export const crmCustomerTables = customerCollections
  .map((collection) =>
    recordTable(tables[collection], collection === 'demands' ? '\n    pms_requirement_id TEXT,\n    pms_status TEXT,' : ''),
  )
  .join('\n');

const rowSchema = z.object({
  id: z.string(),
  created_at: z.string(),
  updated_at: z.string(),
  doc: z.string(),
  pms_requirement_id: z.string().nullable().optional(),
  pms_status: z.string().nullable().optional(),
});
type Row = z.infer<typeof rowSchema>;

const selectColumns = (collection: CustomerCollection): string =>
  collection === 'demands' ? 'id, created_at, updated_at, doc, pms_requirement_id, pms_status' : 'id, created_at, updated_at, doc';

/**
 * Fields kept in columns, set by the CRM (or, for the demand links, by update-links); stored
 * documents never carry them, so a document cannot contradict or fake them.
 */
const columnFields = new Set(['id', 'createdAt', 'updatedAt']);
const demandColumnFields = new Set([...columnFields, 'pmsRequirementId', 'pmsStatus']);

function withoutColumnFields(collection: CustomerCollection, document: CustomerDocument): CustomerDocument {
  const managed = collection === 'demands' ? demandColumnFields : columnFields;
  return Object.fromEntries(Object.entries(document).filter(([key]) => !managed.has(key)));
}

function toRecord<C extends CustomerCollection>(collection: C, row: Row): CustomerRecords[C] {
  const parsed: unknown = JSON.parse(row.doc);
  const document = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? parsed : {};
  // id first for readability; the managed fields come from the columns, whatever the doc says.
  const record = { id: row.id, ...document, createdAt: row.created_at, updatedAt: row.updated_at };
  const links = collection === 'demands' ? { pmsRequirementId: row.pms_requirement_id ?? null, pmsStatus: row.pms_status ?? null } : {};
  return recordSchemas[collection].parse({ ...record, ...links });
}

/** The link value the document names (string or null), else `fallback` (an explicit null clears). */
function linkValue(document: CustomerDocument, field: 'pmsRequirementId' | 'pmsStatus', fallback: string | null): string | null {
  if (!(field in document) || document[field] === undefined) return fallback;
  const value = document[field];
  if (value === null || typeof value === 'string') return value;
  throw new TypeError(`${field} must be a string or null, got ${typeof value}`);
}

const isoTimestamp = z.iso.datetime({ offset: true });

/**
 * The sandbox CRM's accounts, contacts, demands and orders in SQLite. Writes are whole-record
 * replaces, as a CRM form saves them; demands and orders feed change feeds like the PMS's.
 */
export class CrmCustomerStore {
  private readonly clock: MonotonicClock;

  private constructor(private readonly db: Database) {
    const newest = db.get(
      `SELECT MAX(newest) AS newest FROM (${customerCollections
        .map((collection) => `SELECT MAX(updated_at) AS newest FROM ${tables[collection]}`)
        .join(' UNION ALL ')})`,
    );
    this.clock = new MonotonicClock(
      z
        .string()
        .nullable()
        .parse(newest?.newest ?? null),
    );
  }

  /** Opens (or creates) the store at `dbPath`; ':memory:' for a throwaway store. */
  static open(dbPath: string): CrmCustomerStore {
    return new CrmCustomerStore(openDatabase(dbPath, crmCustomerTables));
  }

  /** On a database the service opened with `crmCustomerTables` applied (shared with other stores). */
  static attach(db: Database): CrmCustomerStore {
    return new CrmCustomerStore(db);
  }

  count(collection: CustomerCollection): number {
    return z.number().parse(this.db.get(`SELECT COUNT(*) AS n FROM ${tables[collection]}`)?.n);
  }

  /** True when no customer record of any kind exists (the condition for seeding). */
  isEmpty(): boolean {
    return customerCollections.every((collection) => this.count(collection) === 0);
  }

  get<C extends CustomerCollection>(collection: C, id: string): CustomerRecords[C] | undefined {
    const row = this.db.get(`SELECT ${selectColumns(collection)} FROM ${tables[collection]} WHERE id = ?`, [id]);
    return row === null ? undefined : toRecord(collection, rowSchema.parse(row));
  }

  /** The records among `ids` that exist, in the order asked for, each once. */
  readMany<C extends CustomerCollection>(collection: C, ids: readonly string[]): Array<CustomerRecords[C]> {
    const unique = [...new Set(ids)];
    const rows = this.db.all(
      `SELECT ${selectColumns(collection)} FROM ${tables[collection]} WHERE id IN (SELECT value FROM json_each(?))`,
      [JSON.stringify(unique)],
    );
    const byId = new Map(rows.map((row) => rowSchema.parse(row)).map((row) => [row.id, toRecord(collection, row)]));
    return unique.flatMap((id) => byId.get(id) ?? []);
  }

  /** Every record of a collection, ordered by id (tests and diagnostics). */
  all<C extends CustomerCollection>(collection: C): Array<CustomerRecords[C]> {
    return this.db
      .all(`SELECT ${selectColumns(collection)} FROM ${tables[collection]} ORDER BY id`)
      .map((row) => toRecord(collection, rowSchema.parse(row)));
  }

  /** Every contact, e.g. to prove no personal data left the CRM. */
  allContacts(): ContactRecord[] {
    return this.all('contacts');
  }

  /** One page of a collection's change feed: rows strictly after the cursor in (updatedAt, id) order. */
  listChanges<C extends CustomerCollection>(collection: C, position: FeedPosition): FeedPage<CustomerRecords[C]> {
    const after = afterCursor(position);
    const rows = this.db
      .all(`SELECT ${selectColumns(collection)} FROM ${tables[collection]} WHERE ${after.sql} ORDER BY updated_at, id LIMIT ?`, [
        ...after.params,
        position.limit + 1,
      ])
      .map((row) => rowSchema.parse(row));
    return toFeedPage(rows, position.limit, (row) => toRecord(collection, row));
  }

  /**
   * Creates or replaces a record. createdAt survives a replace. On demands, pmsRequirementId and
   * pmsStatus are taken from the document only when it names them; otherwise the stored values stay.
   */
  put<C extends CustomerCollection>(collection: C, id: string, document: CustomerDocument): CustomerRecords[C] {
    return transaction(this.db, () => {
      const now = this.clock.next();
      const doc = JSON.stringify(withoutColumnFields(collection, document));
      if (collection === 'demands') {
        const current = this.get('demands', id);
        const requirementId = linkValue(document, 'pmsRequirementId', current?.pmsRequirementId ?? null);
        const status = linkValue(document, 'pmsStatus', current?.pmsStatus ?? null);
        this.db.run(
          `INSERT INTO crm_demands (id, created_at, updated_at, pms_requirement_id, pms_status, doc) VALUES (?, ?, ?, ?, ?, ?)
           ON CONFLICT (id) DO UPDATE SET updated_at = excluded.updated_at, pms_requirement_id = excluded.pms_requirement_id,
             pms_status = excluded.pms_status, doc = excluded.doc`,
          [id, now, now, requirementId, status, doc],
        );
      } else {
        this.db.run(
          `INSERT INTO ${tables[collection]} (id, created_at, updated_at, doc) VALUES (?, ?, ?, ?)
           ON CONFLICT (id) DO UPDATE SET updated_at = excluded.updated_at, doc = excluded.doc`,
          [id, now, now, doc],
        );
      }
      const stored = this.get(collection, id);
      if (stored === undefined) throw new Error(`${collection} record ${id} vanished right after it was written`);
      return stored;
    });
  }

  /**
   * Writes only the link fields of each demand, in one transaction. A demand whose values are
   * already stored keeps its updatedAt, so a repeated call changes nothing and re-announces nothing
   * in the change feed. Unknown demands are reported as not found, not created.
   */
  updateDemandLinks(inputs: readonly LinkUpdate[]): LinkOutcome[] {
    return transaction(this.db, () => {
      const current = new Map(
        this.readMany(
          'demands',
          inputs.map((input) => input.id),
        ).map((demand) => [demand.id, demand]),
      );
      let now: string | undefined;
      return inputs.map(({ id, pmsRequirementId, pmsStatus }) => {
        const demand = current.get(id);
        if (demand === undefined) return { id, found: false, changed: false };
        if (demand.pmsRequirementId === pmsRequirementId && demand.pmsStatus === pmsStatus) return { id, found: true, changed: false };
        now ??= this.clock.next();
        this.db.run('UPDATE crm_demands SET pms_requirement_id = ?, pms_status = ?, updated_at = ? WHERE id = ?', [
          pmsRequirementId,
          pmsStatus,
          now,
          id,
        ]);
        current.set(id, { ...demand, pmsRequirementId, pmsStatus });
        return { id, found: true, changed: true };
      });
    });
  }

  /**
   * Bulk load (seeding, fixtures) in one transaction, creating or replacing like PUT. The records
   * share one updatedAt, as rows of one import do; createdAt is taken from a document that has
   * one (seeded history), else it is the load time. Returns how many records were written.
   */
  load(records: Partial<CustomerLoad>): number {
    return transaction(this.db, () => {
      const now = this.clock.next();
      let written = 0;
      for (const collection of customerCollections) {
        const documents = records[collection] ?? [];
        if (documents.length === 0) continue;
        const links = collection === 'demands';
        // One prepared statement per table: preparing per row dominates a large load.
        const statement = this.db.prepare(
          links
            ? `INSERT INTO crm_demands (id, created_at, updated_at, pms_requirement_id, pms_status, doc) VALUES (?, ?, ?, ?, ?, ?)
               ON CONFLICT (id) DO UPDATE SET updated_at = excluded.updated_at, pms_requirement_id = excluded.pms_requirement_id,
                 pms_status = excluded.pms_status, doc = excluded.doc`
            : `INSERT INTO ${tables[collection]} (id, created_at, updated_at, doc) VALUES (?, ?, ?, ?)
               ON CONFLICT (id) DO UPDATE SET updated_at = excluded.updated_at, doc = excluded.doc`,
        );
        try {
          for (const document of documents) {
            const createdAt = isoTimestamp.safeParse(document.createdAt);
            const created = createdAt.success ? new Date(createdAt.data).toISOString() : now;
            const doc = JSON.stringify(withoutColumnFields(collection, document));
            const values = links
              ? [document.id, created, now, linkValue(document, 'pmsRequirementId', null), linkValue(document, 'pmsStatus', null), doc]
              : [document.id, created, now, doc];
            statement.run(values);
            written++;
          }
        } finally {
          statement.finalize();
        }
      }
      return written;
    });
  }

  close(): void {
    if (this.db.isOpen) this.db.close();
  }
}
