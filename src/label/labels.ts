/**
 * Writing labels into a table column, and recording the labelled table as a new dataset
 * version with lineage (the way `data clean` and `data mask` derive versions). Shared by
 * labelling functions, label import and interactive labelling.
 * @module
 */
import { toTable } from '../data/infer.js';
import { readRaw } from '../data/readers/index.js';
import { isDict, Table, type Column } from '../data/table.js';
import { toCsv } from '../data/writers/csv.js';
import { LeptonError } from '../errors.js';
import { storeDataset } from '../registry/datasets.js';
import type { Home } from '../registry/open.js';
import type { Actor, DatasetRecord } from '../registry/registry.js';

/** A label as users write it: rules' `then`, a CSV cell, a typed answer. */
export type LabelValue = string | number | boolean;

/** The label a cell holds, as a string (null = missing). */
export function labelAt(table: Table, column: string, row: number): string | null {
  const v = table.cell(column, row);
  return v === null ? null : String(v);
}

/** Distinct labels the column holds, in dictionary (or sorted) order. */
export function knownLabels(table: Table, column: string): string[] {
  if (!table.has(column)) return [];
  const c = table.column(column);
  const seen = new Set<string>();
  for (let r = 0; r < table.numRows; r++) {
    const l = labelAt(table, column, r);
    if (l !== null) seen.add(l);
  }
  if (isDict(c)) return c.dictionary.filter((d) => seen.has(d));
  return [...seen].sort((a, b) => Number(a) - Number(b) || a.localeCompare(b));
}

/**
 * A new table whose `column` holds `labels[row]` where that is given (null = make missing,
 * undefined = keep). A column the table lacks is added (categorical) at the end. A label that
 * cannot go in a numeric, boolean or date column is an error naming `what(row)`.
 */
export function withLabels(table: Table, column: string, labels: readonly (LabelValue | null | undefined)[], what: (row: number) => string = (r) => `row ${r + 1}`): Table {
  const n = table.numRows;
  const existing = table.has(column) ? table.column(column) : undefined;
  let next: Column;
  if (!existing || isDict(existing)) {
    const dictionary = existing ? [...existing.dictionary] : [];
    const index = new Map(dictionary.map((d, i) => [d, i]));
    const codes = existing ? Int32Array.from(existing.codes) : new Int32Array(n).fill(-1);
    for (let r = 0; r < n; r++) {
      const l = labels[r];
      if (l === undefined) continue;
      if (l === null) {
        codes[r] = -1;
        continue;
      }
      const s = String(l);
      let code = index.get(s);
      if (code === undefined) {
        code = dictionary.length;
        dictionary.push(s);
        index.set(s, code);
      }
      codes[r] = code;
    }
    next = { name: column, type: existing?.type ?? 'categorical', codes, dictionary };
  } else {
    const values = Float64Array.from(existing.values);
    for (let r = 0; r < n; r++) {
      const l = labels[r];
      if (l === undefined) continue;
      values[r] = l === null ? NaN : toValue(existing.type, l, column, () => what(r));
    }
    next = { ...existing, values };
  }
  const columns = existing ? table.columns.map((c) => (c.name === column ? next : c)) : [...table.columns, next];
  return new Table(columns, n, { source: table.source, lines: table.sourceLines });
}

function toValue(type: 'numeric' | 'boolean' | 'date', l: LabelValue, column: string, where: () => string): number {
  const s = String(l).trim();
  if (type === 'numeric') {
    const v = typeof l === 'number' ? l : typeof l === 'boolean' ? Number(l) : s === '' ? NaN : Number(s);
    if (Number.isFinite(v)) return v;
  } else if (type === 'boolean') {
    if (l === true || s === 'true' || s === 'True' || s === 'TRUE' || s === '1') return 1;
    if (l === false || s === 'false' || s === 'False' || s === 'FALSE' || s === '0') return 0;
  } else {
    const t = typeof l === 'number' ? l : Date.parse(s);
    if (Number.isFinite(t)) return t;
  }
  throw new LeptonError('E_VALUE', `${where()}: label '${s}' cannot go in ${type} column '${column}'`, type === 'numeric' ? 'give numbers as labels for a numeric column' : type === 'boolean' ? 'give true or false' : 'give dates as YYYY-MM-DD');
}

/** A registered dataset version, read and typed. */
export async function loadDataset(home: Home, project: string, name: string, version?: number): Promise<{ d: DatasetRecord; table: Table }> {
  const d = await home.registry.dataset(project, name, version);
  const raw = await readRaw(home.datasetPath(d.hash, d.format));
  return { d, table: toTable({ ...raw, source: `${d.name}@${d.version}` }) };
}

/** Stores `table` as the next version of `d`'s dataset, derived from it by `transform`. */
export async function storeLabelled(home: Home, project: string, d: DatasetRecord, table: Table, transform: string, actor: Actor): Promise<DatasetRecord> {
  const s = await storeDataset(home, project, { name: d.name, bytes: Buffer.from(toCsv(table)), format: 'csv', lineage: { source: d.lineage?.source ?? d.source ?? 'unknown', parent: `${d.name}@${d.version}`, transforms: [transform] } }, actor);
  return s.record;
}
