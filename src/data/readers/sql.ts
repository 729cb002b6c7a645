/**
 * A SQL query as a data source: SQLite (a file path or sqlite:PATH) through better-sqlite3, or
 * PostgreSQL (postgres://…) through pg. Rows become raw columns like any file's; a SQL error
 * names the query and the database's message.
 * @module
 */
import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import pg from 'pg';
import { LeptonError } from '../../errors.js';
import type { RawTable } from '../infer.js';
import { rowsToRaw } from './jsonl.js';

/** The URL without its password, for lineage and messages. */
export function redactUrl(url: string): string {
  return url.replace(/(\/\/[^:/@]+:)[^@]*@/, '$1***@');
}

export async function readSql(url: string, query: string): Promise<RawTable> {
  const source = `${redactUrl(url)}: ${query.length > 80 ? `${query.slice(0, 77)}...` : query}`;
  const fail = (e: unknown): never => {
    throw new LeptonError('E_SQL', `query failed on ${redactUrl(url)}: ${(e as Error).message}\n  query: ${query}`, 'check the query, the table names and the permissions', { cause: e });
  };
  if (/^postgres(ql)?:\/\//.test(url)) {
    const client = new pg.Client({ connectionString: url });
    try {
      await client.connect();
    } catch (e) {
      throw new LeptonError('E_SQL', `cannot connect to ${redactUrl(url)}: ${(e as Error).message}`, 'check the host, port, user and password in --url');
    }
    try {
      const r = await client.query(query).catch(fail);
      // Column order from the result, even when no row came back.
      const raw = rowsToRaw(r.rows.map((row) => normalise(row)), source);
      return ensureColumns(raw, r.fields.map((f) => f.name), query);
    } finally {
      await client.end();
    }
  }
  const path = url.replace(/^sqlite:(\/\/)?/, '');
  if (!existsSync(path)) throw new LeptonError('E_FILE', `SQLite database not found: '${path}'`, 'give the path of a .db file (or sqlite:PATH)');
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    let stmt: Database.Statement;
    try {
      stmt = db.prepare(query);
    } catch (e) {
      return fail(e);
    }
    if (!stmt.reader) throw new LeptonError('E_SQL', `the query does not return rows: ${query}`, 'use a SELECT');
    const rows = (stmt.all() as Record<string, unknown>[]).map(normalise);
    return ensureColumns(rowsToRaw(rows, source), stmt.columns().map((c) => c.name), query);
  } finally {
    db.close();
  }
}

/** Dates, big integers and buffers become plain JSON cells. */
function normalise(row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) out[k] = v instanceof Date ? v.toISOString() : typeof v === 'bigint' ? Number(v) : Buffer.isBuffer(v) ? v.toString('base64') : v;
  return out;
}

/** Result columns in query order; a name given twice would silently lose one column's values. */
function ensureColumns(raw: RawTable, names: string[], query: string): RawTable {
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice !== undefined) throw new LeptonError('E_SQL', `column '${twice}' appears twice in the result of: ${query}`, `give one of them another name, e.g. SELECT a.${twice}, b.${twice} AS ${twice}_2`);
  const n = raw.cells[0]?.length ?? 0;
  return { ...raw, names, cells: names.map((name) => raw.cells[raw.names.indexOf(name)] ?? new Array(n).fill(null)) };
}
