/**
 * Writes a Table as CSV (RFC 4180 quoting), the format derived dataset versions are stored in.
 * @module
 */
import type { Table } from '../table.js';

function field(v: string | number | boolean | null): string {
  if (v === null) return '';
  const s = String(v);
  return /[",\r\n]/.test(s) || s !== s.trim() ? `"${s.replaceAll('"', '""')}"` : s;
}

export function toCsv(table: Table): string {
  const names = table.columnNames;
  const lines = [names.map(field).join(',')];
  for (let r = 0; r < table.numRows; r++) lines.push(names.map((n) => field(table.cell(n, r))).join(','));
  return `${lines.join('\n')}\n`;
}
