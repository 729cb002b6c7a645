/**
 * JSON Lines reader, and the conversion of JSON rows (from files, the CLI or the API) into
 * raw columns. Columns are the union of keys, in first-seen order.
 * @module
 */
import { LeptonError } from '../../errors.js';
import type { RawCell, RawTable } from '../infer.js';

export function parseJsonl(text: string, source: string): RawTable {
  const rows: unknown[] = [];
  const lines: number[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (!line.trim()) return;
    try {
      rows.push(JSON.parse(line));
    } catch (e) {
      throw new LeptonError('E_PARSE', `${source} line ${i + 1} is not valid JSON (${(e as Error).message})`, 'each line must hold one JSON object');
    }
    lines.push(i + 1);
  });
  return rowsToRaw(rows, source, Int32Array.from(lines));
}

/** Converts an array of JSON objects into raw columns, checking each cell's kind. */
export function rowsToRaw(rows: readonly unknown[], source?: string, lines?: Int32Array): RawTable {
  const names: string[] = [];
  const index = new Map<string, number>();
  const cells: RawCell[][] = [];
  const where = (i: number) => (source && lines ? `${source} line ${lines[i]}` : `row ${i + 1}`);
  rows.forEach((row, i) => {
    if (typeof row !== 'object' || row === null || Array.isArray(row)) {
      throw new LeptonError('E_PARSE', `${where(i)} is not a JSON object`, 'give rows as {"column": value, …}');
    }
    for (const [k, v] of Object.entries(row)) {
      let c = index.get(k);
      if (c === undefined) {
        c = names.length;
        index.set(k, c);
        names.push(k);
        cells.push(new Array<RawCell>(rows.length).fill(null));
      }
      if (v !== null && typeof v === 'object') {
        throw new LeptonError('E_VALUE', `${where(i)}, column '${k}': nested objects and arrays are not supported`, 'flatten the value into its own columns');
      }
      cells[c]![i] = v as RawCell;
    }
  });
  return { names, cells, lines, source };
}
