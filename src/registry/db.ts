/**
 * The SQL seam under the registry: one small interface, two implementations (embedded SQLite
 * and PostgreSQL). Statements are written once with `?` placeholders; DDL uses `{{id}}` for an
 * auto-increment primary key so one migration text serves both dialects.
 * @module
 */

export type SqlValue = string | number | bigint | null;
export type Row = Record<string, unknown>;

export interface Queryable {
  all<T = Row>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  get<T = Row>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined>;
  /** Runs a statement; with `RETURNING id` it yields that id. */
  run(sql: string, params?: readonly SqlValue[]): Promise<{ changes: number; id?: number }>;
}

export interface Db extends Queryable {
  readonly dialect: 'sqlite' | 'postgres';
  /** Runs `fn` in one transaction: all of it commits, or none of it. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Executes DDL (several statements separated by `;`). */
  exec(sql: string): Promise<void>;
  close(): Promise<void>;
}

/** `?` → `$1, $2, …` for PostgreSQL. */
export function numberedPlaceholders(sql: string): string {
  let i = 0;
  return sql.replace(/\?/g, () => `$${++i}`);
}

export function dialectDdl(sql: string, dialect: Db['dialect']): string {
  return sql.replaceAll('{{id}}', dialect === 'sqlite' ? 'INTEGER PRIMARY KEY AUTOINCREMENT' : 'BIGSERIAL PRIMARY KEY');
}
