/**
 * The data-quality report behind `lepton data inspect`: per column type, missing share,
 * distinct values, range or top values, outliers (IQR and z-score), constant and
 * near-constant columns, mixed types; duplicate rows; class balance of a target; columns that
 * predict the target almost perfectly (leaks); personal data.
 * @module
 */
import { isMissing, type RawTable } from './infer.js';
import { detectPii, type PiiFinding } from './pii.js';
import { isDict, type Table } from './table.js';
import { rocAuc } from '../eval/metrics.js';

export interface ColumnReport {
  name: string;
  type: string;
  missingShare: number;
  distinct: number;
  min?: number;
  max?: number;
  mean?: number;
  std?: number;
  top?: { value: string; count: number }[];
  outliersIqr?: number;
  outliersZ?: number;
  histogram?: { min: number; max: number; counts: number[] };
  constant: boolean;
  nearConstant: boolean;
  /** Share of non-missing cells that look numeric, when a text column is partly numbers. */
  mixedNumericShare?: number;
  pii?: string;
  /** How well the column alone predicts the target (1 = perfectly): a leak above 0.98. */
  targetScore?: number;
}

export interface QualityReport {
  source: string | null;
  rows: number;
  columns: ColumnReport[];
  duplicateRows: number;
  target?: { column: string; classes: { label: string; count: number; share: number }[] };
  leaks: string[];
  pii: PiiFinding[];
  warnings: string[];
}

const NEAR_CONSTANT = 0.99;
const LEAK = 0.98;
const NUMBER_RE = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

export function inspectTable(table: Table, options: { raw?: RawTable; target?: string } = {}): QualityReport {
  const n = table.numRows;
  const pii = detectPii(table);
  const columns: ColumnReport[] = table.columns.map((c) => {
    const r: ColumnReport = { name: c.name, type: c.type, missingShare: 0, distinct: 0, constant: false, nearConstant: false };
    if (isDict(c)) {
      const counts = new Int32Array(c.dictionary.length);
      let missing = 0;
      for (const code of c.codes) code < 0 ? missing++ : counts[code]!++;
      const order = [...counts.keys()].filter((k) => counts[k]! > 0).sort((a, b) => counts[b]! - counts[a]!);
      r.missingShare = n ? missing / n : 0;
      r.distinct = order.length;
      r.top = order.slice(0, 5).map((k) => ({ value: c.dictionary[k]!, count: counts[k]! }));
      const present = n - missing;
      r.nearConstant = present > 0 && counts[order[0] ?? 0]! / present >= NEAR_CONSTANT;
    } else {
      const vals = Array.from(c.values).filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
      r.missingShare = n ? (n - vals.length) / n : 0;
      r.distinct = new Set(vals).size;
      if (vals.length) {
        const mean = vals.reduce((s, v) => s + v, 0) / vals.length;
        const std = Math.sqrt(vals.reduce((s, v) => s + (v - mean) ** 2, 0) / vals.length);
        const q = (p: number) => vals[Math.min(vals.length - 1, Math.floor(p * (vals.length - 1)))]!;
        const iqr = q(0.75) - q(0.25);
        Object.assign(r, { min: vals[0], max: vals[vals.length - 1], mean, std });
        r.outliersIqr = vals.filter((v) => v < q(0.25) - 1.5 * iqr || v > q(0.75) + 1.5 * iqr).length;
        r.outliersZ = std > 0 ? vals.filter((v) => Math.abs(v - mean) / std > 3).length : 0;
        const counts = new Array<number>(20).fill(0);
        const span = vals[vals.length - 1]! - vals[0]! || 1;
        for (const v of vals) counts[Math.min(19, Math.floor(((v - vals[0]!) / span) * 20))]!++;
        r.histogram = { min: vals[0]!, max: vals[vals.length - 1]!, counts };
        let run = 1;
        let best = 1;
        for (let i = 1; i < vals.length; i++) best = Math.max(best, (run = vals[i] === vals[i - 1] ? run + 1 : 1));
        r.nearConstant = best / vals.length >= NEAR_CONSTANT;
      }
    }
    r.constant = r.distinct <= 1;
    r.pii = pii.find((p) => p.column === c.name)?.kind;
    if (options.raw && isDict(c)) {
      const cells = options.raw.cells[options.raw.names.indexOf(c.name)] ?? [];
      let present = 0;
      let numeric = 0;
      for (const v of cells) {
        if (isMissing(v)) continue;
        present++;
        if (typeof v === 'number' || NUMBER_RE.test(String(v).trim())) numeric++;
      }
      const share = present ? numeric / present : 0;
      if (share >= 0.05 && share <= 0.95) r.mixedNumericShare = share;
    }
    return r;
  });

  const report: QualityReport = { source: table.source ?? null, rows: n, columns, duplicateRows: countDuplicates(table), leaks: [], pii, warnings: [] };
  if (options.target) {
    const t = table.column(options.target);
    if (isDict(t) || t.type === 'boolean') {
      const labels = Array.from({ length: n }, (_, i) => table.cell(options.target!, i));
      const counts = new Map<string, number>();
      for (const l of labels) if (l !== null) counts.set(String(l), (counts.get(String(l)) ?? 0) + 1);
      const total = [...counts.values()].reduce((s, v) => s + v, 0);
      report.target = { column: t.name, classes: [...counts].sort((a, b) => b[1] - a[1]).map(([label, count]) => ({ label, count, share: count / total })) };
      const y = labels.map((l) => (l === null ? null : String(l)));
      for (const r of columns) {
        if (r.name === t.name) continue;
        r.targetScore = predictiveness(table, r.name, y, [...counts.keys()]);
        if (r.targetScore >= LEAK) report.leaks.push(r.name);
      }
    }
  }
  for (const r of columns) {
    if (r.missingShare === 1) report.warnings.push(`'${r.name}' is empty in every row`);
    else if (r.constant) report.warnings.push(`'${r.name}' has a single value`);
    else if (r.nearConstant) report.warnings.push(`'${r.name}' is near-constant (one value in ≥ 99 % of rows)`);
    if (r.mixedNumericShare !== undefined) report.warnings.push(`'${r.name}' mixes numbers (${(r.mixedNumericShare * 100).toFixed(0)} %) and text`);
    if (r.pii) report.warnings.push(`'${r.name}' holds personal data (${r.pii})`);
  }
  if (report.duplicateRows) report.warnings.push(`${report.duplicateRows} duplicate rows`);
  for (const l of report.leaks) report.warnings.push(`'${l}' predicts the target almost perfectly: a leak?`);
  return report;
}

function countDuplicates(table: Table): number {
  const seen = new Set<string>();
  let dup = 0;
  for (let r = 0; r < table.numRows; r++) {
    const key = table.columns.map((c) => (isDict(c) ? c.codes[r] : c.values[r])).join('\u0001');
    if (seen.has(key)) dup++;
    else seen.add(key);
  }
  return dup;
}

/**
 * How well one column alone separates the classes: categories by purity (share of rows whose
 * class is their category's majority; columns with nearly one category per row are ids and
 * score 0), numbers by ROC-AUC for two classes and otherwise by the purity of their values.
 */
function predictiveness(table: Table, name: string, y: (string | null)[], classes: string[]): number {
  const c = table.column(name);
  const rows = y.flatMap((l, i) => (l === null ? [] : [i]));
  if (!isDict(c) && classes.length === 2) {
    const pairs = rows.filter((i) => !Number.isNaN(c.values[i]!));
    if (pairs.length < 10) return 0;
    const auc = rocAuc(pairs.map((i) => c.values[i]!), pairs.map((i) => y[i] === classes[1])) ?? 0.5;
    return Math.max(auc, 1 - auc);
  }
  const group = (i: number): string => {
    if (isDict(c)) return String(c.codes[i]);
    return String(c.values[i]);
  };
  const keys = rows.map(group);
  const distinct = new Set(keys).size;
  if (distinct > rows.length / 2) return 0;
  const byKey = new Map<string, Map<string, number>>();
  rows.forEach((i, j) => {
    const m = byKey.get(keys[j]!) ?? new Map<string, number>();
    m.set(y[i]!, (m.get(y[i]!) ?? 0) + 1);
    byKey.set(keys[j]!, m);
  });
  let majority = 0;
  for (const m of byKey.values()) majority += Math.max(...m.values());
  return rows.length ? majority / rows.length : 0;
}
