/**
 * Reads a data file into a Table, choosing the reader from the file extension.
 * @example
 *   const table = await readTable('data/credit-g.arff');
 * @module
 */
import { readFile, stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { LeptonError } from '../../errors.js';
import { toTable, type RawTable } from '../infer.js';
import type { ColumnSchema, Table } from '../table.js';
import { parseArff } from './arff.js';
import { parseDelimited, sniffDelimiter } from './csv.js';
import { parseJsonl, rowsToRaw } from './jsonl.js';
import { parseParquet } from './parquet.js';

export const SUPPORTED_EXTENSIONS = ['.csv', '.tsv', '.arff', '.jsonl', '.ndjson', '.json', '.parquet'];

/** The data format a path's extension names (`.ndjson` is JSON Lines), or an error listing the known ones. */
export function formatOf(path: string): DataFormat {
  const ext = extname(path).toLowerCase();
  if (!SUPPORTED_EXTENSIONS.includes(ext)) {
    throw new LeptonError('E_FILE', `cannot read '${path}': unknown file type '${ext || '(none)'}'`, `use one of ${SUPPORTED_EXTENSIONS.join(', ')}`);
  }
  return (ext === '.ndjson' ? 'jsonl' : ext.slice(1)) as DataFormat;
}

export async function readRaw(path: string): Promise<RawTable> {
  const format = formatOf(path);
  try {
    const s = await stat(path);
    if (!s.isFile()) throw new LeptonError('E_FILE', `'${path}' is not a file`, 'give the path of a data file');
  } catch (e) {
    if (e instanceof LeptonError) throw e;
    throw new LeptonError('E_FILE', `file not found: '${path}'`, 'check the path (relative paths start from the current folder)');
  }
  return parseBytes(await readFile(path), format, path);
}

/** Parses a file's bytes: Parquet as binary, every other format as UTF-8 text. */
export async function parseBytes(bytes: Uint8Array, format: DataFormat, source: string): Promise<RawTable> {
  if (format === 'parquet') return parseParquet(bytes, source);
  return parseText(decodeUtf8(bytes, source), format, source);
}

/** UTF-8 text, or an error naming the first line that is not UTF-8 (instead of silent U+FFFD). */
export function decodeUtf8(bytes: Uint8Array, source: string): string {
  if (bytes.length === 0) throw new LeptonError('E_PARSE', `${source} is empty (0 bytes)`, 'give a file with a header row and at least one data row');
  const fatal = new TextDecoder('utf-8', { fatal: true });
  try {
    return fatal.decode(bytes);
  } catch {
    let line = 1;
    let start = 0;
    for (let i = 0; i <= bytes.length; i++) {
      if (i === bytes.length || bytes[i] === 0x0a) {
        try {
          fatal.decode(bytes.subarray(start, i));
        } catch {
          break;
        }
        line++;
        start = i + 1;
      }
    }
    throw new LeptonError('E_PARSE', `${source} line ${line} is not valid UTF-8`, 'save the file as UTF-8 (e.g. iconv -f latin1 -t utf-8)');
  }
}

export type DataFormat = 'csv' | 'tsv' | 'arff' | 'jsonl' | 'ndjson' | 'json' | 'parquet';

/** Parses text already in memory; `source` names it in messages. */
export function parseText(text: string, format: Exclude<DataFormat, 'parquet'>, source: string): RawTable {
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

/** Reads a file; with `schema`, cells are coerced to it (prediction on a trained model's schema). */
export async function readTable(path: string, schema?: readonly ColumnSchema[]): Promise<Table> {
  return toTable(await readRaw(path), schema);
}

/** Rows given as JSON objects (CLI argument, HTTP body, library call). */
export function tableFromRows(rows: readonly unknown[], schema?: readonly ColumnSchema[]): Table {
  return toTable(rowsToRaw(rows), schema);
}
