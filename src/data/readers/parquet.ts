/**
 * Parquet reader (hyparquet): rows of any Parquet file become raw columns like a JSON file's;
 * 64-bit integers become numbers, timestamps ISO strings.
 * @module
 */
import { parquetReadObjects } from 'hyparquet';
import { LeptonError } from '../../errors.js';
import type { RawTable } from '../infer.js';
import { rowsToRaw } from './jsonl.js';

export async function parseParquet(bytes: Uint8Array, source: string): Promise<RawTable> {
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  let rows: Record<string, unknown>[];
  try {
    rows = (await parquetReadObjects({ file })) as Record<string, unknown>[];
  } catch (e) {
    throw new LeptonError('E_PARSE', `${source} is not a readable Parquet file (${(e as Error).message})`, 'check that the file is complete and really Parquet');
  }
  return rowsToRaw(
    rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v instanceof Date ? v.toISOString() : v]))),
    source,
  );
}
