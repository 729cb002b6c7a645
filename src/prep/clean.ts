/**
 * Cleaning by policy: duplicates, missing values, outliers, constant and leaking columns,
 * column types. Every change is counted, and the input table is never modified: the result is
 * a new table that `lepton data clean` stores as a new dataset version.
 * @module
 */
import { z } from 'zod';
import { toTable, type RawCell } from '../data/infer.js';
import { inspectTable } from '../data/inspect.js';
import { isDict, Table, type Column, type ColumnSchema } from '../data/table.js';
import { LeptonError } from '../errors.js';

export const CleanPolicy = z.strictObject({
  duplicates: z.enum(['drop', 'keep']).default('drop'),
  /** impute: median (numbers) or most frequent value (categories); drop_rows: drop incomplete rows. */
  missing: z.enum(['impute', 'drop_rows', 'keep']).default('impute'),
  /** clip to the IQR fences (1.5 × IQR beyond the quartiles), or drop the rows outside them. */
  outliers: z.enum(['clip', 'drop_rows', 'keep']).default('clip'),
  constant_columns: z.enum(['drop', 'keep']).default('drop'),
  /** Columns that predict the target almost perfectly (needs `target`). */
  leaking_columns: z.enum(['drop', 'keep']).default('drop'),
  target: z.string().optional(),
  /** Force column types, e.g. {zip: categorical}. */
  types: z.record(z.string(), z.enum(['numeric', 'categorical', 'boolean', 'text', 'date'])).default({}),
});
export type CleanPolicy = z.input<typeof CleanPolicy>;

export interface CleanReport {
  rowsIn: number;
  rowsOut: number;
  duplicatesDropped: number;
  rowsDroppedMissing: number;
  rowsDroppedOutliers: number;
  imputed: Record<string, number>;
  clipped: Record<string, number>;
  columnsDropped: { column: string; reason: string }[];
  typesFixed: string[];
}

export function parseCleanPolicy(input: unknown, source: string): z.output<typeof CleanPolicy> {
  const r = CleanPolicy.safeParse(input ?? {});
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new LeptonError('E_OPTION', `${source}: ${i.path.join('.') || 'policy'}: ${i.message}`, 'see `lepton data clean --help` for the policy keys');
  }
  return r.data;
}

export function cleanTable(input: Table, policyIn: CleanPolicy): { table: Table; report: CleanReport } {
  const policy = parseCleanPolicy(policyIn, 'policy');
  const report: CleanReport = { rowsIn: input.numRows, rowsOut: 0, duplicatesDropped: 0, rowsDroppedMissing: 0, rowsDroppedOutliers: 0, imputed: {}, clipped: {}, columnsDropped: [], typesFixed: [] };
  let table = input;
  if (policy.target) table.column(policy.target);

  if (Object.keys(policy.types).length) {
    for (const name of Object.keys(policy.types)) table.column(name);
    const raw = { names: table.columnNames, cells: table.columns.map((c) => Array.from({ length: table.numRows }, (_, r): RawCell => table.cell(c.name, r))), source: table.source, lines: table.sourceLines };
    const schema: ColumnSchema[] = table.columns.map((c) => (policy.types[c.name] ? { name: c.name, type: policy.types[c.name]! } : isDict(c) ? { name: c.name, type: c.type, categories: c.dictionary } : { name: c.name, type: c.type }));
    table = toTable(raw, schema);
    report.typesFixed = Object.entries(policy.types).map(([c, t]) => `${c} → ${t}`);
  }

  const quality = inspectTable(table, { target: policy.target });
  const drop = new Map<string, string>();
  if (policy.constant_columns === 'drop') for (const c of quality.columns) if (c.constant && c.name !== policy.target) drop.set(c.name, c.missingShare === 1 ? 'empty' : 'constant');
  if (policy.leaking_columns === 'drop') for (const c of quality.leaks) drop.set(c, `predicts '${policy.target}' almost perfectly`);
  if (drop.size) {
    table = table.drop([...drop.keys()]);
    report.columnsDropped = [...drop].map(([column, reason]) => ({ column, reason }));
  }

  let keep = Array.from({ length: table.numRows }, (_, i) => i);
  if (policy.duplicates === 'drop') {
    const seen = new Set<string>();
    keep = keep.filter((r) => {
      const key = table.columns.map((c) => (isDict(c) ? c.codes[r] : c.values[r])).join('\u0001');
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
    report.duplicatesDropped = table.numRows - keep.length;
  }
  const features = table.columns.filter((c) => c.name !== policy.target);
  const missingAt = (c: Column, r: number) => (isDict(c) ? c.codes[r]! < 0 : Number.isNaN(c.values[r]!));
  if (policy.missing === 'drop_rows') {
    const before = keep.length;
    keep = keep.filter((r) => !features.some((c) => missingAt(c, r)));
    report.rowsDroppedMissing = before - keep.length;
  }
  const fences = new Map<string, [number, number]>();
  if (policy.outliers !== 'keep') {
    for (const c of features) {
      if (isDict(c) || c.type !== 'numeric') continue;
      const v = keep.map((r) => c.values[r]!).filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
      if (v.length < 4) continue;
      const q = (p: number) => v[Math.floor(p * (v.length - 1))]!;
      const iqr = q(0.75) - q(0.25);
      if (iqr > 0) fences.set(c.name, [q(0.25) - 1.5 * iqr, q(0.75) + 1.5 * iqr]);
    }
    if (policy.outliers === 'drop_rows') {
      const before = keep.length;
      keep = keep.filter((r) => ![...fences].some(([name, [lo, hi]]) => {
        const x = (table.column(name) as { values: Float64Array }).values[r]!;
        return x < lo || x > hi;
      }));
      report.rowsDroppedOutliers = before - keep.length;
    }
  }
  table = table.take(keep);

  // Column-wise fixes on the kept rows: clip, then impute (so a clipped value is never imputed).
  const columns = table.columns.map((c): Column => {
    if (c.name === policy.target) return c;
    if (isDict(c)) {
      if (policy.missing !== 'impute') return c;
      const counts = new Int32Array(c.dictionary.length);
      for (const code of c.codes) if (code >= 0) counts[code]!++;
      const mode = counts.indexOf(Math.max(...counts));
      let n = 0;
      const codes = c.codes.map((code) => (code < 0 && mode >= 0 ? (n++, mode) : code));
      if (n) report.imputed[c.name] = n;
      return { ...c, codes };
    }
    const values = Float64Array.from(c.values);
    const fence = policy.outliers === 'clip' ? fences.get(c.name) : undefined;
    if (fence) {
      let n = 0;
      for (let i = 0; i < values.length; i++) {
        const x = values[i]!;
        if (x < fence[0] || x > fence[1]) {
          values[i] = Math.min(fence[1], Math.max(fence[0], x));
          n++;
        }
      }
      if (n) report.clipped[c.name] = n;
    }
    if (policy.missing === 'impute') {
      const present = Array.from(values).filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
      if (present.length) {
        const mid = present.length >> 1;
        const median = present.length % 2 ? present[mid]! : (present[mid - 1]! + present[mid]!) / 2;
        let n = 0;
        for (let i = 0; i < values.length; i++) if (Number.isNaN(values[i]!)) (values[i] = c.type === 'boolean' ? Math.round(median) : median), n++;
        if (n) report.imputed[c.name] = n;
      }
    }
    return { ...c, values };
  });
  table = new Table(columns, table.numRows, { source: table.source, lines: table.sourceLines });
  report.rowsOut = table.numRows;
  return { table, report };
}

/** One line per change, for lineage and the terminal. */
export function describeClean(r: CleanReport): string[] {
  const out: string[] = [];
  if (r.typesFixed.length) out.push(`types fixed: ${r.typesFixed.join(', ')}`);
  for (const c of r.columnsDropped) out.push(`dropped column ${c.column} (${c.reason})`);
  if (r.duplicatesDropped) out.push(`dropped ${r.duplicatesDropped} duplicate rows`);
  if (r.rowsDroppedMissing) out.push(`dropped ${r.rowsDroppedMissing} rows with missing values`);
  if (r.rowsDroppedOutliers) out.push(`dropped ${r.rowsDroppedOutliers} rows with outliers`);
  for (const [c, n] of Object.entries(r.clipped)) out.push(`clipped ${n} outliers in ${c}`);
  for (const [c, n] of Object.entries(r.imputed)) out.push(`imputed ${n} missing values in ${c}`);
  return out;
}
