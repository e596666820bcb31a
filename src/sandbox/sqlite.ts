import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Database } from 'node-sqlite3-wasm';

export { Database } from 'node-sqlite3-wasm';

const inMemory = ':memory:';

/**
 * Opens (creating if needed) a SQLite database for a sandbox service and applies its schema.
 * `schema` must be idempotent (CREATE ... IF NOT EXISTS) because it runs on every start.
 */
export function openDatabase(path: string, schema: string): Database {
  if (path !== inMemory) mkdirSync(dirname(resolve(path)), { recursive: true });
  const db = new Database(path);
  try {
    applyPragmas(db);
    db.exec(schema);
  } catch (error) {
    db.close();
    throw new Error(`Cannot initialise the sandbox database at ${path}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return db;
}

function applyPragmas(db: Database): void {
  // The WASM build has no shared memory, so WAL is unavailable. TRUNCATE is the cheapest rollback
  // journal, and synchronous=NORMAL skips the fsync per commit: a sandbox may lose its last
  // write in a power cut, it must not be slow for thousands of small API writes.
  db.exec('PRAGMA journal_mode = TRUNCATE');
  db.exec('PRAGMA synchronous = NORMAL');
  db.exec('PRAGMA temp_store = MEMORY');
}

/**
 * Runs `fn` inside one transaction: everything it writes is committed together, or nothing is
 * when it throws. Nested calls join the outer transaction, so helpers can be composed.
 */
export function transaction<T>(db: Database, fn: () => T): T {
  if (db.inTransaction) return fn();
  db.exec('BEGIN IMMEDIATE');
  try {
    const result = fn();
    db.exec('COMMIT');
    return result;
  } catch (error) {
    if (db.inTransaction) db.exec('ROLLBACK');
    throw error;
  }
}
