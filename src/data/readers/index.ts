/**
 * Reads a data file into a Table, choosing the reader from the file extension.
 * @example
 *   const table = await readTable('data/credit-g.arff');
 * @module
 */
import { open, readFile, stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { LeptonError } from '../../errors.js';
import { toTable, type RawTable } from '../infer.js';
import type { ColumnSchema, Table } from '../table.js';
import { parseArff } from './arff.js';
import { parseDelimited, sniffDelimiter } from './csv.js';
import { LARGE_FILE_BYTES, readLargeDelimited } from './csv-large.js';
import { decodeText, type TextEncoding } from './encoding.js';
import { parseJsonl, rowsToRaw } from './jsonl.js';
import { parseExcel } from './excel.js';
import { parseParquet } from './parquet.js';

export const SUPPORTED_EXTENSIONS = ['.csv', '.tsv', '.arff', '.jsonl', '.ndjson', '.json', '.parquet', '.xlsx'];

/** The data format a path's extension names (`.ndjson` is JSON Lines), or an error listing the known ones. */
export function formatOf(path: string): DataFormat {
  const ext = extname(path).toLowerCase();
  if (!SUPPORTED_EXTENSIONS.includes(ext)) {
    throw new LeptonError('E_FILE', `cannot read '${path}': unknown file type '${ext || '(none)'}'`, `use one of ${SUPPORTED_EXTENSIONS.join(', ')}`);
  }
  return (ext === '.ndjson' ? 'jsonl' : ext.slice(1)) as DataFormat;
}

export interface ReadOptions {
  /** Text encoding of CSV/TSV/JSON/ARFF files (default UTF-8; a UTF-16 BOM is detected). */
  encoding?: TextEncoding;
}

/** The size of a data file, or an error saying it is missing or not a file. */
export async function fileSize(path: string): Promise<number> {
  try {
    const s = await stat(path);
    if (s.isFile()) return s.size;
  } catch {
    throw new LeptonError('E_FILE', `file not found: '${path}'`, 'check the path (relative paths start from the current folder)');
  }
  throw new LeptonError('E_FILE', `'${path}' is not a file`, 'give the path of a data file');
}

export async function readRaw(path: string, opts: ReadOptions = {}): Promise<RawTable> {
  const format = formatOf(path);
  await fileSize(path);
  return parseBytes(await readFile(path), format, path, opts.encoding);
}

/** Parses a file's bytes: Parquet and Excel as binary, every other format as text. */
export async function parseBytes(bytes: Uint8Array, format: DataFormat, source: string, encoding?: TextEncoding): Promise<RawTable> {
  if (format === 'parquet') return parseParquet(bytes, source);
  if (format === 'xlsx') return parseExcel(bytes, source);
  return parseText(decodeText(bytes, source, encoding), format, source);
}

export type DataFormat = 'csv' | 'tsv' | 'arff' | 'jsonl' | 'ndjson' | 'json' | 'parquet' | 'xlsx';

/** Parses text already in memory; `source` names it in messages. */
export function parseText(text: string, format: Exclude<DataFormat, 'parquet' | 'xlsx'>, source: string): RawTable {
  switch (format) {
    case 'csv':
      return parseDelimited(text, source, sniffDelimiter(text));
    case 'tsv':
      return parseDelimited(text, source, '\t');
    case 'arff':
      return parseArff(text, source);
    case 'json': {
      let rows: unknown;
      try {
        rows = JSON.parse(text);
      } catch (e) {
        throw new LeptonError('E_PARSE', `${source} is not valid JSON (${(e as Error).message})`, 'give an array of row objects');
      }
      return rowsToRaw(Array.isArray(rows) ? rows : [rows], source);
    }
    default:
      return parseJsonl(text, source);
  }
}

/**
 * Reads a file; with `schema`, cells are coerced to it (prediction on a trained model's schema).
 * CSV/TSV files over 32 MiB stream through DuckDB (see csv-large.ts) instead of being held as text.
 */
export async function readTable(path: string, schema?: readonly ColumnSchema[], opts: ReadOptions & { onRows?: (rows: number) => void } = {}): Promise<Table> {
  const format = formatOf(path);
  const size = await fileSize(path);
  if (!schema && (await streamable(path, format, opts.encoding))) {
    return readLargeDelimited(path, size, { delimiter: format === 'tsv' ? '\t' : undefined, encoding: opts.encoding === 'latin1' ? 'latin1' : 'utf-8', onRows: opts.onRows });
  }
  return toTable(await readRaw(path, opts), schema);
}

/** True for a CSV/TSV file over 32 MiB in UTF-8 or Latin-1 (what DuckDB's scanner reads). */
export async function streamable(path: string, format: DataFormat, encoding?: TextEncoding): Promise<boolean> {
  if ((format !== 'csv' && format !== 'tsv') || (encoding && encoding !== 'utf-8' && encoding !== 'latin1')) return false;
  if ((await fileSize(path)) <= LARGE_FILE_BYTES) return false;
  const fh = await open(path, 'r');
  try {
    const { buffer } = await fh.read(Buffer.alloc(2), 0, 2, 0);
    return !(buffer[0] === 0xff && buffer[1] === 0xfe);
  } finally {
    await fh.close();
  }
}

/** Rows given as JSON objects (CLI argument, HTTP body, library call). */
export function tableFromRows(rows: readonly unknown[], schema?: readonly ColumnSchema[]): Table {
  return toTable(rowsToRaw(rows), schema);
}
