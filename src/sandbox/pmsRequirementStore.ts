import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';
import { afterCursor, toFeedPage, type FeedPage, type FeedPosition } from './changeFeed';
import {
  demandLinkSchema,
  requirementStatuses,
  terminalRequirementStatuses,
  type LinkDecision,
  type DemandLink,
  type NewRequirement,
  type Requirement,
  type RequirementPatch,
} from './pmsRequirementApi';
import { MonotonicClock } from './monotonicClock';
import { openDatabase, transaction, type Database } from './sqlite';

/** The requirement tables; applied by `open`, or by the service when it shares one database. */
export const pmsRequirementTables = `
  CREATE TABLE IF NOT EXISTS requirements (
    -- Creation order; the public id is derived from it.
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    product_id TEXT NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    status TEXT NOT NULL,
    demands TEXT NOT NULL,
    demand_score REAL NOT NULL,
    -- UNIQUE makes a second create with the same key impossible, whatever the code above does.
    idempotency_key TEXT UNIQUE,
    -- The earlier, terminal requirement this one continues.
    refers_to TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
  );
  CREATE INDEX IF NOT EXISTS requirements_by_change ON requirements (updated_at, id);
  CREATE INDEX IF NOT EXISTS requirements_by_product ON requirements (product_id, updated_at, id);
  -- Which requirements link a demand: the demandId filter, without scanning every links document.
  CREATE TABLE IF NOT EXISTS requirement_demands (
    demand_id TEXT NOT NULL,
    requirement_id TEXT NOT NULL,
    PRIMARY KEY (demand_id, requirement_id)
  ) WITHOUT ROWID;
`;

const columns = 'id, product_id, title, description, status, demands, demand_score, idempotency_key, refers_to, created_at, updated_at';

const rowSchema = z.object({
  id: z.string(),
  product_id: z.string(),
  title: z.string(),
  description: z.string(),
  status: z.enum(requirementStatuses),
  demands: z.string(),
  demand_score: z.number(),
  idempotency_key: z.string().nullable(),
  refers_to: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
});
type Row = z.infer<typeof rowSchema>;

const storedLinksSchema = z.array(demandLinkSchema);

function toRequirement(row: Row): Requirement {
  return {
    id: row.id,
    title: row.title,
    description: row.description,
    productId: row.product_id,
    status: row.status,
    demands: storedLinksSchema.parse(JSON.parse(row.demands)),
    demandScore: row.demand_score,
    idempotencyKey: row.idempotency_key,
    terminal: terminalRequirementStatuses.includes(row.status),
    refersTo: row.refers_to,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** `REQ-000042`: zero-padded so text order is creation order (up to a million requirements). */
const requirementId = (seq: number): string => `REQ-${String(seq).padStart(6, '0')}`;

export interface RequirementFilter {
  productId?: string;
  demandId?: string;
}

export interface CreateOutcome {
  requirement: Requirement;
  /** False when a requirement with the same idempotencyKey already existed and was returned. */
  created: boolean;
}

/** The sandbox PMS's requirements in SQLite, with their demand links. */
export class PmsRequirementStore {
  private readonly clock: MonotonicClock;

  private constructor(private readonly db: Database) {
    // A database from before requirements could refer to earlier ones gets the column, empty.
    const known = db.all('PRAGMA table_info(requirements)').map((column) => z.object({ name: z.string() }).loose().parse(column).name);
    if (!known.includes('refers_to')) db.run('ALTER TABLE requirements ADD COLUMN refers_to TEXT');
    const newest = db.get('SELECT MAX(updated_at) AS newest FROM requirements');
    this.clock = new MonotonicClock(
      z
        .string()
        .nullable()
        .parse(newest?.newest ?? null),
    );
  }

  /** Opens (or creates) the store at `dbPath`; ':memory:' for a throwaway store. */
  static open(dbPath: string): PmsRequirementStore {
    return new PmsRequirementStore(openDatabase(dbPath, pmsRequirementTables));
  }

  /** On a database the service opened with `pmsRequirementTables` applied (shared with other stores). */
  static attach(db: Database): PmsRequirementStore {
    return new PmsRequirementStore(db);
  }

  count(): number {
    return z.number().parse(this.db.get('SELECT COUNT(*) AS n FROM requirements')?.n);
  }

  get(id: string): Requirement | undefined {
    const row = this.db.get(`SELECT ${columns} FROM requirements WHERE id = ?`, [id]);
    return row === null ? undefined : toRequirement(rowSchema.parse(row));
  }

  /** One page of the change feed, optionally only one product's or one demand's requirements. */
  listChanges(position: FeedPosition, filter: RequirementFilter = {}): FeedPage<Requirement> {
    const after = afterCursor(position);
    const conditions = [after.sql];
    const params: Array<string | number> = [...after.params];
    if (filter.productId !== undefined) {
      conditions.push('product_id = ?');
      params.push(filter.productId);
    }
    if (filter.demandId !== undefined) {
      conditions.push('id IN (SELECT requirement_id FROM requirement_demands WHERE demand_id = ?)');
      params.push(filter.demandId);
    }
    const rows = this.db
      .all(`SELECT ${columns} FROM requirements WHERE ${conditions.join(' AND ')} ORDER BY updated_at, id LIMIT ?`, [
        ...params,
        position.limit + 1,
      ])
      .map((row) => rowSchema.parse(row));
    return toFeedPage(rows, position.limit, toRequirement);
  }

  /**
   * Creates a requirement with status new, or returns the one created earlier with the same
   * idempotencyKey untouched, so a create retried after a lost answer never makes a duplicate.
   */
  create(input: NewRequirement): CreateOutcome {
    return transaction(this.db, () => {
      if (input.idempotencyKey !== null) {
        const row = this.db.get(`SELECT ${columns} FROM requirements WHERE idempotency_key = ?`, [input.idempotencyKey]);
        if (row !== null) return { requirement: toRequirement(rowSchema.parse(row)), created: false };
      }
      const seq = z.number().parse(this.db.get('SELECT COALESCE(MAX(seq), 0) + 1 AS next FROM requirements')?.next);
      const id = requirementId(seq);
      const now = this.clock.next();
      this.db.run(`INSERT INTO requirements (seq, ${columns}) VALUES (?, ?, ?, ?, ?, 'new', ?, ?, ?, ?, ?, ?)`, [
        seq,
        id,
        input.productId,
        input.title,
        input.description,
        JSON.stringify(input.demands),
        input.demandScore,
        input.idempotencyKey,
        input.refersTo ?? null,
        now,
        now,
      ]);
      this.indexLinks(id, input.demands);
      return { requirement: this.require(id), created: true };
    });
  }

  /**
   * Replaces the demand links and score; undefined for an unknown id. When both are what is
   * already stored nothing is written, so re-sending the same links does not re-announce the
   * requirement in the change feed.
   */
  replaceDemands(id: string, demands: readonly DemandLink[], demandScore: number): Requirement | undefined {
    return transaction(this.db, () => {
      const current = this.get(id);
      if (current === undefined) return undefined;
      if (current.demandScore === demandScore && isDeepStrictEqual(current.demands, demands)) return current;
      this.db.run('UPDATE requirements SET demands = ?, demand_score = ?, updated_at = ? WHERE id = ?', [
        JSON.stringify(demands),
        demandScore,
        this.clock.next(),
        id,
      ]);
      this.db.run('DELETE FROM requirement_demands WHERE requirement_id = ?', [id]);
      this.indexLinks(id, demands);
      return this.require(id);
    });
  }

  /**
   * A product manager confirms or rejects a demand's link: its linkState becomes 'confirmed' or
   * 'rejected'. 'no-requirement' or 'no-link' when there is nothing to decide on. Deciding what is
   * already decided writes nothing.
   */
  decide(id: string, demandId: string, decision: LinkDecision): Requirement | 'no-requirement' | 'no-link' {
    return transaction(this.db, () => {
      const current = this.get(id);
      if (current === undefined) return 'no-requirement';
      const linkState = decision === 'confirm' ? 'confirmed' : 'rejected';
      const link = current.demands.find((d) => d.demandId === demandId);
      if (link === undefined) return 'no-link';
      if (link.linkState === linkState) return current;
      const demands = current.demands.map((d) => (d.demandId === demandId ? { ...d, linkState } : d));
      this.db.run('UPDATE requirements SET demands = ?, updated_at = ? WHERE id = ?', [JSON.stringify(demands), this.clock.next(), id]);
      return this.require(id);
    });
  }

  /** Applies a product manager's change; undefined for an unknown id. No change, no new updatedAt. */
  patch(id: string, patch: RequirementPatch): Requirement | undefined {
    return transaction(this.db, () => {
      const current = this.get(id);
      if (current === undefined) return undefined;
      const next = {
        status: patch.status ?? current.status,
        title: patch.title ?? current.title,
        description: patch.description ?? current.description,
      };
      if (next.status === current.status && next.title === current.title && next.description === current.description) return current;
      this.db.run('UPDATE requirements SET status = ?, title = ?, description = ?, updated_at = ? WHERE id = ?', [
        next.status,
        next.title,
        next.description,
        this.clock.next(),
        id,
      ]);
      return this.require(id);
    });
  }

  close(): void {
    if (this.db.isOpen) this.db.close();
  }

  private indexLinks(id: string, demands: readonly DemandLink[]): void {
    for (const { demandId } of demands) {
      this.db.run('INSERT OR IGNORE INTO requirement_demands (demand_id, requirement_id) VALUES (?, ?)', [demandId, id]);
    }
  }

  private require(id: string): Requirement {
    const requirement = this.get(id);
    if (requirement === undefined) throw new Error(`Requirement ${id} vanished right after it was written`);
    return requirement;
  }
}
