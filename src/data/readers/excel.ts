/**
 * Excel workbooks (.xlsx) through read-excel-file: the first sheet (or the one named), its
 * first row as the header. Numbers, booleans and text keep their cell types; dates become ISO
 * strings so inference sees a date column.
 * @module
 */
import readXlsxFile, { readSheet } from 'read-excel-file/node';
import { LeptonError } from '../../errors.js';
import type { RawCell, RawTable } from '../infer.js';

export async function parseExcel(bytes: Uint8Array, source: string, sheet?: string): Promise<RawTable> {
  const input = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let rows: unknown[][];
  try {
    rows = (await readSheet(input, sheet ?? 1)) as unknown[][];
  } catch (e) {
    const msg = (e as Error).message;
    if (sheet !== undefined && /sheet/i.test(msg)) {
      const names = (await readXlsxFile(input).catch(() => [])).map((s) => s.sheet);
      throw new LeptonError('E_PARSE', `${source} has no sheet '${sheet}'`, names.length ? `the sheets are ${names.map((n) => `'${n}'`).join(', ')}` : 'check the sheet name');
    }
    throw new LeptonError('E_PARSE', `${source} is not a readable .xlsx workbook (${msg})`, 'save it from Excel as .xlsx (not .xls), or export the sheet as CSV', { cause: e });
  }
  const header = rows[0];
  if (!header || rows.length < 2) throw new LeptonError('E_PARSE', `${source}${sheet ? ` sheet '${sheet}'` : ''} has no data rows`, 'put a header row and at least one data row in the first sheet');
  const names = header.map((h, i) => (h === null || h === undefined || String(h).trim() === '' ? '' : String(h).trim()) || `column${i + 1}`);
  const seen = new Set<string>();
  for (const n of names) {
    if (seen.has(n)) throw new LeptonError('E_PARSE', `${source} row 1: column name '${n}' appears twice`, 'make header names unique');
    seen.add(n);
  }
  const data = rows.slice(1);
  const cells: RawCell[][] = names.map((_, c) => data.map((r) => cell(r[c])));
  // Spreadsheet row numbers, so messages point at the row a person sees in Excel.
  const lines = Int32Array.from(data, (_, i) => i + 2);
  return { names, cells, lines, source };
}

function cell(v: unknown): RawCell {
  if (v === null || v === undefined) return null;
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'string') return v;
  return String(v);
}
