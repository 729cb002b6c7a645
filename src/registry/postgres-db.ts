/**
 * PostgreSQL behind the same Db interface, for registries shared by several machines.
 * @module
 */
import pg from 'pg';
import { numberedPlaceholders, type Db, type Queryable, type Row, type SqlValue } from './db.js';

function on(client: pg.Pool | pg.PoolClient): Queryable {
  return {
    all: async <T = Row>(sql: string, params: readonly SqlValue[] = []) => (await client.query(numberedPlaceholders(sql), [...params])).rows as T[],
    get: async <T = Row>(sql: string, params: readonly SqlValue[] = []) => (await client.query(numberedPlaceholders(sql), [...params])).rows[0] as T | undefined,
    run: async (sql: string, params: readonly SqlValue[] = []) => {
      const r = await client.query(numberedPlaceholders(sql), [...params]);
      const id = (r.rows[0] as { id?: string | number } | undefined)?.id;
      return { changes: r.rowCount ?? 0, id: id === undefined ? undefined : Number(id) };
    },
  };
}

export class PostgresDb implements Db {
  readonly dialect = 'postgres' as const;
  private readonly pool: pg.Pool;
  private readonly q: Queryable;

  constructor(url: string) {
    // BIGINT ids and counts come back as strings by default; registry ids fit in a double.
    pg.types.setTypeParser(20, (v) => Number(v));
    this.pool = new pg.Pool({ connectionString: url, max: 8 });
    this.q = on(this.pool);
  }

  all<T = Row>(sql: string, params?: readonly SqlValue[]): Promise<T[]> {
    return this.q.all<T>(sql, params);
  }
  get<T = Row>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined> {
    return this.q.get<T>(sql, params);
  }
  run(sql: string, params?: readonly SqlValue[]): Promise<{ changes: number; id?: number }> {
    return this.q.run(sql, params);
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN ISOLATION LEVEL SERIALIZABLE');
      const out = await fn(on(client));
      await client.query('COMMIT');
      return out;
    } catch (e) {
      await client.query('ROLLBACK');
      throw e;
    } finally {
      client.release();
    }
  }

  async exec(sql: string): Promise<void> {
    await this.pool.query(sql);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
