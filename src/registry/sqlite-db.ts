/**
 * Embedded SQLite (better-sqlite3 12) in WAL mode: the default registry store, one file.
 * better-sqlite3 is synchronous; an async lock keeps a transaction's statements together
 * while other callers wait, so the async Db interface stays honest.
 * @module
 */
import Database from 'better-sqlite3';
import type { Db, Queryable, Row, SqlValue } from './db.js';

export class SqliteDb implements Db {
  readonly dialect = 'sqlite' as const;
  private readonly db: Database.Database;
  private lock: Promise<unknown> = Promise.resolve();
  /** Prepared statements by SQL text: preparing costs more than running a small query. */
  private readonly statements = new Map<string, Database.Statement>();

  constructor(path: string) {
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 5000');
    // WAL + NORMAL is durable across process crashes (the kill -9 case); only an OS crash can lose the last commits.
    this.db.pragma('synchronous = NORMAL');
  }

  private prepare(sql: string): Database.Statement {
    let stmt = this.statements.get(sql);
    if (!stmt) {
      stmt = this.db.prepare(sql);
      // DDL in migrations is run once; keep only reusable statements.
      if (this.statements.size < 500) this.statements.set(sql, stmt);
    }
    return stmt;
  }

  private direct: Queryable = {
    all: async <T = Row>(sql: string, params: readonly SqlValue[] = []) => this.prepare(sql).all(...params) as T[],
    get: async <T = Row>(sql: string, params: readonly SqlValue[] = []) => this.prepare(sql).get(...params) as T | undefined,
    run: async (sql: string, params: readonly SqlValue[] = []) => {
      const stmt = this.prepare(sql);
      if (stmt.reader) {
        const row = stmt.get(...params) as { id?: number } | undefined;
        return { changes: row ? 1 : 0, id: row?.id };
      }
      const r = stmt.run(...params);
      return { changes: r.changes, id: Number(r.lastInsertRowid) };
    },
  };

  private locked<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.lock.then(fn, fn);
    this.lock = next.catch(() => undefined);
    return next;
  }

  all<T = Row>(sql: string, params?: readonly SqlValue[]): Promise<T[]> {
    return this.locked(() => this.direct.all<T>(sql, params));
  }
  get<T = Row>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined> {
    return this.locked(() => this.direct.get<T>(sql, params));
  }
  run(sql: string, params?: readonly SqlValue[]): Promise<{ changes: number; id?: number }> {
    return this.locked(() => this.direct.run(sql, params));
  }

  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.locked(async () => {
      this.db.exec('BEGIN IMMEDIATE');
      try {
        const out = await fn(this.direct);
        this.db.exec('COMMIT');
        return out;
      } catch (e) {
        this.db.exec('ROLLBACK');
        throw e;
      }
    });
  }

  async exec(sql: string): Promise<void> {
    await this.locked(async () => this.db.exec(sql));
  }

  async close(): Promise<void> {
    await this.locked(async () => this.db.close());
  }
}
