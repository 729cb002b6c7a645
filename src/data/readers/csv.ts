/**
 * CSV / TSV reader (csv-parse): quoted fields, CRLF and a BOM are handled; a row with the wrong
 * number of fields is an error naming its line. `.csv` files are sniffed for their delimiter
 * (comma, semicolon, tab or pipe, as spreadsheet exports vary by locale), and a first row of
 * nothing but numbers is taken as data, with columns named column1…columnN.
 * @module
 */
import { parse } from 'csv-parse/sync';
import { LeptonError } from '../../errors.js';
import type { RawCell, RawTable } from '../infer.js';

const CANDIDATES = [',', ';', '\t', '|'];

/** Count of `ch` outside double quotes in `line`. */
function countOutsideQuotes(line: string, ch: string): number {
  let n = 0;
  let quoted = false;
  for (const c of line) {
    if (c === '"') quoted = !quoted;
    else if (c === ch && !quoted) n++;
  }
  return n;
}

/** The delimiter that appears the same non-zero number of times on the first lines (comma on ties). */
export function sniffDelimiter(text: string): string {
  const lines = text.replace(/^\ufeff/, '').split(/\r?\n/).filter((l) => l.trim()).slice(0, 20);
  let best = ',';
  let bestScore = -1;
  for (const d of CANDIDATES) {
    const counts = lines.map((l) => countOutsideQuotes(l, d));
    const first = counts[0] ?? 0;
    if (first === 0) continue;
    const consistent = counts.filter((c) => c === first).length / counts.length;
    const score = consistent * 1000 + first;
    if (score > bestScore) {
      best = d;
      bestScore = score;
    }
  }
  return best;
}

const NUMERIC_CELL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

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
  const first = records[0]?.record;
  if (!first) throw new LeptonError('E_PARSE', `${source} is empty`, 'give a file with a header row and at least one data row');
  // A first row of nothing but numbers is data: the file has no header.
  const headerless = records.length > 1 && first.every((h) => NUMERIC_CELL.test(h.trim()));
  const names = headerless ? first.map((_, i) => `column${i + 1}`) : first.map((h) => h.trim());
  const seen = new Set<string>();
  names.forEach((n, i) => {
    if (!n) throw new LeptonError('E_PARSE', `${source} line 1: column ${i + 1} has an empty name`, 'give every column a header');
    if (seen.has(n)) throw new LeptonError('E_PARSE', `${source} line 1: column name '${n}' appears twice`, 'make header names unique');
    seen.add(n);
  });
  const rows = headerless ? records : records.slice(1);
  const cells: RawCell[][] = names.map(() => new Array<RawCell>(rows.length));
  const lines = new Int32Array(rows.length);
  rows.forEach((r, i) => {
    lines[i] = r.info.lines;
    for (let c = 0; c < names.length; c++) cells[c]![i] = r.record[c];
  });
  return { names, cells, lines, source };
}
