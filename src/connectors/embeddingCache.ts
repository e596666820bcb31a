import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Database } from 'node-sqlite3-wasm';

/**
 * The text an embeddings service is sent, and the cache keys: Unicode NFC, control characters as
 * spaces, runs of spaces as one, no blank lines, cut to `maxChars` (models take a limited number of
 * tokens per input). Two texts that differ only in these ways are the same text to the matcher.
 */
export function normaliseText(text: string, maxChars: number): string {
  const clean = [...text.normalize('NFC')]
    .map((character) => (isControl(character) ? ' ' : character))
    .join('')
    .replace(/[^\S\n]+/g, ' ')
    .replace(/ *\n[\s]*/g, '\n')
    .trim();
  // Never cut a surrogate pair in half: the service would receive an invalid character.
  return [...clean].slice(0, maxChars).join('').trim();
}

/** C0 control characters other than the line feed, and DEL. */
function isControl(character: string): boolean {
  const code = character.codePointAt(0)!;
  return (code < 0x20 && code !== 0x0a) || code === 0x7f;
}

/** sha256 of the model and the normalised text: the same text embedded by another model is another entry. */
export function embeddingKey(model: string, text: string): string {
  return createHash('sha256').update(model).update('\u0000').update(text).digest('hex');
}

const schema = `
CREATE TABLE IF NOT EXISTS embeddings (
  key TEXT PRIMARY KEY,
  vector BLOB NOT NULL,
  used INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS embeddings_used ON embeddings (used);
`;

/**
 * Embeddings by text hash, so an unchanged demand or requirement text is never embedded twice: a
 * small SQLite table in the bridge's data directory, with an in-memory LRU in front.
 *
 * Why SQLite (the project's node-sqlite3-wasm) and not a file per text or one JSON file: inserting a
 * batch, marking hits as used and evicting the least recently used beyond `maxEntries` are one
 * transaction, so a worker killed mid-write leaves the cache as it was; a JSON file would be
 * rewritten whole on every run, and files per text need a directory scan to evict. Vectors are kept
 * as 32-bit floats (half the room of JSON numbers, and what the models' precision warrants); the
 * matcher turns fresh answers into 32-bit floats too, so a cached and a fresh vector score the same.
 *
 * node-sqlite3-wasm is synchronous: a transaction runs start to end without yielding, so matchers of
 * several demand syncs in one worker never interleave. Its lock is a `<file>.lock` directory, which a
 * process killed in the middle of a write leaves behind; the error then names it.
 */
export class EmbeddingCache {
  private readonly memory = new Map<string, Float32Array>();
  private db: Database | undefined;
  /** Orders uses exactly (milliseconds would tie within a batch): one more than the newest in the file. */
  private clock = 0;

  constructor(
    private readonly options: {
      /** The SQLite file, e.g. data/embeddings-cache.sqlite. */
      file: string;
      /** Most embeddings kept in the file. */
      maxEntries: number;
      /** Most embeddings kept in memory. */
      memoryEntries?: number;
    },
  ) {}

  /** The cached vectors of those keys that have one; the hits count as used now. */
  getMany(keys: readonly string[]): Map<string, Float32Array> {
    const found = new Map<string, Float32Array>();
    const missing: string[] = [];
    for (const key of keys) {
      const vector = this.memory.get(key);
      if (vector) {
        this.remember(key, vector);
        found.set(key, vector);
      } else missing.push(key);
    }
    if (missing.length === 0) return found;
    this.withDatabase('read', (db) => {
      db.exec('BEGIN IMMEDIATE');
      try {
        for (const key of missing) {
          const row = db.get('SELECT vector FROM embeddings WHERE key = ?', [key]) as { vector: Uint8Array } | null;
          if (!row) continue;
          const vector = new Float32Array(row.vector.slice().buffer);
          db.run('UPDATE embeddings SET used = ? WHERE key = ?', [++this.clock, key]);
          this.remember(key, vector);
          found.set(key, vector);
        }
        db.exec('COMMIT');
      } catch (error) {
        if (db.inTransaction) db.exec('ROLLBACK');
        throw error;
      }
    });
    return found;
  }

  /** Stores vectors, then drops the least recently used beyond the bound. */
  putMany(entries: ReadonlyArray<readonly [string, Float32Array]>): void {
    if (entries.length === 0) return;
    for (const [key, vector] of entries) this.remember(key, vector);
    this.withDatabase('write', (db) => {
      db.exec('BEGIN IMMEDIATE');
      try {
        for (const [key, vector] of entries) {
          db.run('INSERT OR REPLACE INTO embeddings (key, vector, used) VALUES (?, ?, ?)', [
            key,
            new Uint8Array(vector.buffer, vector.byteOffset, vector.byteLength),
            ++this.clock,
          ]);
        }
        const { count } = db.get('SELECT COUNT(*) AS count FROM embeddings') as { count: number };
        if (count > this.options.maxEntries) {
          db.run('DELETE FROM embeddings WHERE key IN (SELECT key FROM embeddings ORDER BY used LIMIT ?)', [
            count - this.options.maxEntries,
          ]);
        }
        db.exec('COMMIT');
      } catch (error) {
        if (db.inTransaction) db.exec('ROLLBACK');
        throw error;
      }
    });
  }

  /** How many embeddings the file holds (for tests and the operator). */
  size(): number {
    return this.withDatabase('read', (db) => (db.get('SELECT COUNT(*) AS count FROM embeddings') as { count: number }).count);
  }

  close(): void {
    if (this.db?.isOpen) this.db.close();
    this.db = undefined;
  }

  private remember(key: string, vector: Float32Array): void {
    this.memory.delete(key);
    this.memory.set(key, vector);
    const limit = this.options.memoryEntries ?? 5_000;
    while (this.memory.size > limit) this.memory.delete(this.memory.keys().next().value!);
  }

  private withDatabase<T>(what: 'read' | 'write', body: (db: Database) => T): T {
    try {
      if (!this.db) {
        mkdirSync(path.dirname(path.resolve(this.options.file)), { recursive: true });
        const db = new Database(this.options.file);
        try {
          // No WAL in the WASM build (no shared memory); see src/sandbox/sqlite.ts for the same choice.
          db.exec('PRAGMA journal_mode = TRUNCATE');
          db.exec('PRAGMA synchronous = NORMAL');
          db.exec(schema);
          this.clock = (db.get('SELECT COALESCE(MAX(used), 0) AS newest FROM embeddings') as { newest: number }).newest;
        } catch (error) {
          db.close();
          throw error;
        }
        this.db = db;
      }
      return body(this.db);
    } catch (error) {
      throw new Error(
        `The embeddings cache ${this.options.file} could not be ${what === 'read' ? 'read' : 'written'}: ${(error as Error).message}. ` +
          `If no other bridge process is using it, remove ${this.options.file}.lock (left by a process that stopped mid-write) or the file itself (it is only a cache).`,
        { cause: error },
      );
    }
  }
}
