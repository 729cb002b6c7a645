/**
 * Large CSV/TSV files, streamed through DuckDB instead of being held as text.
 *
 * The in-memory reader keeps the whole file as a string plus one JS string per cell (about
 * 10× the file size). Here DuckDB's parallel CSV scanner parses the file and hands over
 * column vectors a chunk (2,048 rows) at a time; numbers are copied straight out of its
 * Float64 vectors and strings are dictionary-encoded as they arrive, so memory is the
 * finished Table plus a chunk. Measured beside pandas.read_csv in `bench/` (ingest).
 *
 * Types follow Lepton's own inference (src/data/infer.ts) on a sample of the first rows, so a
 * file gets the same schema whichever reader loads it; a column the sample called numeric
 * that later holds text is re-read as a category rather than failing.
 * @module
 */
import { open } from 'node:fs/promises';
import { DuckDBInstance, type DuckDBConnection, type DuckDBVector } from '@duckdb/node-api';
import { LeptonError } from '../../errors.js';
import { inferType, isMissing, MISSING_TOKENS } from '../infer.js';
import { Table, type Column, type ColumnType } from '../table.js';
import { parseDelimited, sniffDelimiter } from './csv.js';
import { decodeText, type TextEncoding } from './encoding.js';

/** Files above this size are streamed; smaller ones are cheaper to read in one piece. */
export const LARGE_FILE_BYTES = 32 * 1024 * 1024;
const SAMPLE_BYTES = 512 * 1024;
/** String columns with at most this many distinct values in the sample are coded by DuckDB. */
const MAX_ENUM = 10_000;

interface Plan {
  names: string[];
  types: ColumnType[];
  /** Per string column: its distinct values in the sample, first-seen order (the dictionary's start). */
  seen: string[][];
  delimiter: string;
  header: boolean;
}

/** Reads the first MiB and decides delimiter, header and column types as the small reader would. */
async function planFrom(path: string, delimiter: string | undefined, encoding: TextEncoding, sampleBytes: number): Promise<Plan> {
  const fh = await open(path, 'r');
  let bytes: Buffer;
  try {
    const buf = Buffer.alloc(sampleBytes);
    const { bytesRead } = await fh.read(buf, 0, sampleBytes, 0);
    bytes = buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
  // Cut at the last line break so no row is half-read (a quoted field spanning the cut is
  // re-checked by DuckDB on the full file).
  const cut = bytes.lastIndexOf(0x0a);
  const text = decodeText(cut > 0 ? bytes.subarray(0, cut + 1) : bytes, path, encoding);
  const delim = delimiter ?? sniffDelimiter(text);
  const raw = parseDelimited(text, path, delim);
  // The small reader names the columns of a headerless file and starts its rows on line 1.
  const header = raw.lines?.[0] !== 1;
  const seen = raw.cells.map((cells) => {
    const values = new Set<string>();
    for (const v of cells) if (!isMissing(v)) values.add(String(v).trim());
    return values.size <= MAX_ENUM ? [...values] : [];
  });
  return { names: raw.names, types: raw.cells.map((c) => inferType(c)), seen, delimiter: delim, header };
}

const sqlString = (s: string) => `'${s.replace(/'/g, "''")}'`;
const sqlName = (s: string) => `"${s.replace(/"/g, '""')}"`;

/** DuckDB's CSV errors, reworded to name the file, the line and the fix. */
function csvError(e: unknown, path: string, delimiter: string): LeptonError {
  const msg = (e as Error).message;
  const line = /Line:\s*(\d+)/i.exec(msg)?.[1];
  const at = `${path}${line ? ` line ${line}` : ''}`;
  const d = delimiter === '\t' ? '\\t' : delimiter;
  const ours = /(\S+, column '.*': a value is nan or inf, not a finite number)/.exec(msg)?.[1];
  if (ours) return new LeptonError('E_VALUE', ours, 'leave the cell empty (or ?) for a missing value', { cause: e });
  if (/Expected Number of Columns|too many columns|Found:\s*\d+/i.test(msg)) {
    return new LeptonError('E_PARSE', `${at} has a different number of fields than the header`, `fix that line (quote fields that contain '${d}' with "…")`, { cause: e });
  }
  if (/unterminated quote/i.test(msg)) {
    return new LeptonError('E_PARSE', `${at} has a quote that is never closed`, 'close the quote or escape it as ""', { cause: e });
  }
  if (/unicode|utf-?8/i.test(msg)) {
    return new LeptonError('E_PARSE', `${at} is not valid UTF-8`, 'give --encoding (e.g. --encoding latin1) or save the file as UTF-8', { cause: e });
  }
  return new LeptonError('E_PARSE', `cannot read ${path}: ${msg.split('\n')[0]}`, 'check the file is a delimited text file', { cause: e });
}

/** Typed-array view of a numeric vector's data (the public API only offers per-item access). */
function float64Items(v: DuckDBVector): Float64Array | undefined {
  const items = (v as unknown as { items?: unknown }).items;
  return items instanceof Float64Array ? items : undefined;
}

function int32Items(v: DuckDBVector): Int32Array | undefined {
  const items = (v as unknown as { items?: unknown }).items;
  return items instanceof Int32Array ? items : undefined;
}

class DictBuilder {
  readonly dictionary: string[] = [];
  private readonly index = new Map<string, number>();
  codes: Int32Array;
  constructor(capacity: number, start: readonly string[] = []) {
    this.codes = new Int32Array(capacity);
    for (const v of start) {
      this.index.set(v, this.dictionary.length);
      this.dictionary.push(v);
    }
  }

  /** Codes DuckDB already resolved against the starting dictionary; -2 = a value it did not know. */
  pushCodes(row: number, codes: Int32Array, n: number, rest: DuckDBVector): void {
    if (row + n > this.codes.length) this.codes = grow(this.codes, row + n);
    this.codes.set(codes.subarray(0, n), row);
    for (let r = 0; r < n; r++) if (codes[r] === -2) this.push(row + r, rest.getItem(r) as string | null);
  }
  push(row: number, v: string | null): void {
    if (row >= this.codes.length) this.codes = grow(this.codes, row);
    if (v === null) {
      this.codes[row] = -1;
      return;
    }
    const key = v.trim();
    if (MISSING_TOKENS.has(key)) {
      this.codes[row] = -1;
      return;
    }
    let code = this.index.get(key);
    if (code === undefined) {
      code = this.dictionary.length;
      this.dictionary.push(key);
      this.index.set(key, code);
    }
    this.codes[row] = code;
  }
}

function grow<T extends Float64Array | Int32Array>(a: T, need: number): T {
  const next = new (a.constructor as new (n: number) => T)(Math.max(need + 1, a.length * 2));
  next.set(a);
  return next;
}

/** Rough row count from the file size and the sample, so arrays rarely need to grow. */
function estimateRows(size: number): number {
  return Math.max(1024, Math.ceil(size / 64));
}

export interface LargeCsvOptions {
  delimiter?: string;
  encoding?: TextEncoding;
  /** Called with rows read so far, for progress bars. */
  onRows?: (rows: number) => void;
  /** How much of the file's start decides the types (default 512 KiB). */
  sampleBytes?: number;
}

/** Streams a delimited text file into a Table (types inferred as by the in-memory reader). */
export async function readLargeDelimited(path: string, size: number, opts: LargeCsvOptions = {}): Promise<Table> {
  const encoding = opts.encoding ?? 'utf-8';
  const plan = await planFrom(path, opts.delimiter, encoding, opts.sampleBytes ?? SAMPLE_BYTES);
  const instance = await DuckDBInstance.create(':memory:', { threads: '2' });
  const con = await instance.connect();
  try {
    // A column sampled as numeric that holds text further down is re-read as categorical.
    for (let attempt = 0; attempt <= plan.names.length; attempt++) {
      try {
        return await scan(con, path, size, plan, encoding, opts.onRows);
      } catch (e) {
        const col = /Could not convert string .* to 'DOUBLE'[\s\S]*?column "?([^"\n]+?)"? /i.exec((e as Error).message)?.[1] ?? /column\s+"?([^"\s]+)"?\s+is being converted/i.exec((e as Error).message)?.[1];
        const i = col === undefined ? -1 : plan.names.indexOf(col);
        if (i < 0 || plan.types[i] !== 'numeric') throw e instanceof LeptonError ? e : csvError(e, path, plan.delimiter);
        plan.types[i] = 'categorical';
      }
    }
    throw new LeptonError('E_PARSE', `cannot read ${path}`, 'check the file is a delimited text file');
  } finally {
    con.closeSync();
    instance.closeSync();
  }
}

async function scan(con: DuckDBConnection, path: string, size: number, plan: Plan, encoding: TextEncoding, onRows?: (rows: number) => void): Promise<Table> {
  const columns = plan.names.map((n, i) => `${sqlString(n)}: ${plan.types[i] === 'numeric' ? "'DOUBLE'" : "'VARCHAR'"}`).join(', ');
  const nulls = [...MISSING_TOKENS].map(sqlString).join(', ');
  const source = `read_csv(${sqlString(path)}, delim=${sqlString(plan.delimiter)}, header=${plan.header}, quote='"', escape='"', columns={${columns}}, nullstr=[${nulls}], auto_detect=false, strict_mode=true, encoding=${sqlString(encoding === 'latin1' ? 'latin-1' : 'utf-8')})`;
  // NULL becomes NaN inside DuckDB so vectors copy out whole; a literal nan/inf in the file is
  // refused, as the in-memory reader does (a missing value is an empty cell).
  //
  // String columns: decoding millions of strings into JS is the slow part, so the values the
  // sample saw become a DuckDB ENUM and come back as int32 codes (dictionary order = the sample's
  // first-seen order, as the small reader has it); only values the sample missed (-2) come back
  // as strings, in a second, otherwise-NULL column.
  const coded = plan.types.map((t, i) => t !== 'numeric' && plan.seen[i]!.length > 0);
  for (const [i, on] of coded.entries()) {
    if (!on) continue;
    // A retry (a column re-read as a category) defines the types again.
    await con.run(`DROP TYPE IF EXISTS lepton_e${i}`);
    await con.run(`CREATE TYPE lepton_e${i} AS ENUM (${plan.seen[i]!.map(sqlString).join(', ')})`);
  }
  const select = plan.names
    .map((n, i) => {
      const c = sqlName(n);
      if (coded[i]) {
        const e = `TRY_CAST(${c} AS lepton_e${i})`;
        return `coalesce(enum_code(${e})::INTEGER, CASE WHEN ${c} IS NULL THEN -1 ELSE -2 END), CASE WHEN ${c} IS NOT NULL AND ${e} IS NULL THEN ${c} END`;
      }
      if (plan.types[i] !== 'numeric') return c;
      const why = sqlString(`${path}, column '${n}': a value is nan or inf, not a finite number`);
      return `CASE WHEN isfinite(${c}) THEN ${c} WHEN ${c} IS NULL THEN 'NaN'::DOUBLE ELSE error(${why}) END`;
    })
    .join(', ');
  const result = await con.run(`SELECT ${select} FROM ${source}`);
  // Result column of each input column (coded ones take two).
  const at: number[] = [];
  coded.reduce((k, on, i) => ((at[i] = k), k + (on ? 2 : 1)), 0);
  const capacity = estimateRows(size);
  const numbers: (Float64Array | undefined)[] = plan.types.map((t) => (t === 'numeric' ? new Float64Array(capacity) : undefined));
  const dicts: (DictBuilder | undefined)[] = plan.types.map((t, i) => (t === 'numeric' ? undefined : new DictBuilder(capacity, coded[i] ? plan.seen[i] : [])));
  let rows = 0;
  for (;;) {
    const chunk = await result.fetchChunk();
    if (!chunk || chunk.rowCount === 0) break;
    const n = chunk.rowCount;
    for (let c = 0; c < plan.names.length; c++) {
      const v = chunk.getColumnVector(at[c]!);
      const dict = dicts[c];
      const codes = coded[c] ? int32Items(v) : undefined;
      if (dict && codes) {
        dict.pushCodes(rows, codes, n, chunk.getColumnVector(at[c]! + 1));
        continue;
      }
      if (dict) {
        for (let r = 0; r < n; r++) dict.push(rows + r, v.getItem(r) as string | null);
        continue;
      }
      let out = numbers[c]!;
      if (rows + n > out.length) out = numbers[c] = grow(out, rows + n);
      const items = float64Items(v);
      if (items) out.set(items.subarray(0, n), rows);
      else for (let r = 0; r < n; r++) out[rows + r] = (v.getItem(r) as number | null) ?? NaN;
    }
    rows += n;
    onRows?.(rows);
  }
  const cols = plan.names.map((name, c): Column => {
    const type = plan.types[c]!;
    const dict = dicts[c];
    if (!dict) return { name, type: 'numeric', values: numbers[c]!.subarray(0, rows) };
    const codes = dict.codes.subarray(0, rows);
    if (type === 'categorical' || type === 'text') return { name, type, codes, dictionary: dict.dictionary };
    return { name, type, values: decodeDictValues(type, codes, dict.dictionary, name, path) };
  });
  return new Table(cols, rows, { source: path });
}

/** Boolean and date columns: convert each distinct string once. */
function decodeDictValues(type: ColumnType, codes: Int32Array, dictionary: string[], name: string, path: string): Float64Array {
  const lookup = dictionary.map((s) => {
    if (type === 'boolean') return /^(true|1)$/i.test(s) ? 1 : /^(false|0)$/i.test(s) ? 0 : NaN;
    return Date.parse(s);
  });
  lookup.forEach((v, i) => {
    if (Number.isNaN(v)) throw new LeptonError('E_VALUE', `${path}, column '${name}': '${dictionary[i]}' is not ${type === 'boolean' ? 'true or false' : 'a date'}`, type === 'boolean' ? 'use true/false' : 'use ISO 8601, e.g. 2024-03-31');
  });
  const values = new Float64Array(codes.length);
  for (let r = 0; r < codes.length; r++) values[r] = codes[r]! < 0 ? NaN : lookup[codes[r]!]!;
  return values;
}
