/**
 * CSV / TSV reader (csv-parse): the first row is the header; quoted fields, CRLF and a BOM
 * are handled; a row with the wrong number of fields is an error naming its line.
 * @module
 */
import { parse } from 'csv-parse/sync';
import { LeptonError } from '../../errors.js';
import type { RawCell, RawTable } from '../infer.js';

export function parseDelimited(text: string, source: string, delimiter: string): RawTable {
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(text, { delimiter, bom: true, info: true, skip_empty_lines: true, relax_quotes: false, trim: false }) as never;
  } catch (e) {
    const err = e as { code?: string; lines?: number; message: string };
    const line = err.lines !== undefined ? ` line ${err.lines}` : '';
    const what =
      err.code === 'CSV_RECORD_INCONSISTENT_FIELDS_LENGTH'
        ? 'has a different number of fields than the header'
        : err.code === 'CSV_QUOTE_NOT_CLOSED'
          ? 'has a quote that is never closed'
          : err.message.replace(/^Invalid.*?:\s*/, '');
    throw new LeptonError(
      'E_PARSE',
      `${source}${line} ${what}`,
      `fix that line (quote fields that contain '${delimiter === '\t' ? '\\t' : delimiter}' with "…")`,
      { cause: e },
    );
  }
  const header = records[0]?.record;
  if (!header) throw new LeptonError('E_PARSE', `${source} is empty`, 'give a file with a header row and at least one data row');
  const names = header.map((h) => h.trim());
  const seen = new Set<string>();
  names.forEach((n, i) => {
    if (!n) throw new LeptonError('E_PARSE', `${source} line 1: column ${i + 1} has an empty name`, 'give every column a header');
    if (seen.has(n)) throw new LeptonError('E_PARSE', `${source} line 1: column name '${n}' appears twice`, 'make header names unique');
    seen.add(n);
  });
  const rows = records.slice(1);
  const cells: RawCell[][] = names.map(() => new Array<RawCell>(rows.length));
  const lines = new Int32Array(rows.length);
  rows.forEach((r, i) => {
    lines[i] = r.info.lines;
    for (let c = 0; c < names.length; c++) cells[c]![i] = r.record[c];
  });
  return { names, cells, lines, source };
}
