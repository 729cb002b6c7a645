/**
 * Cluster profiles: what sets each cluster apart, in the data's own units. Numeric-like columns
 * (numbers, booleans as the share true, dates as milliseconds) compare the cluster mean with the
 * overall mean, with z = (cluster mean − overall mean) / overall standard deviation; categorical
 * columns give the cluster's most frequent category and its share in the cluster and overall.
 * Missing cells are left out of every mean and share.
 * @module
 */
import { isDict, type Table } from '../data/table.js';

export interface NumericProfile {
  column: string;
  type: 'numeric' | 'boolean' | 'date';
  /** Mean over the cluster's rows with a value; null when none has one. */
  mean: number | null;
  overall: number | null;
  /** (mean − overall) / overall population std; null when undefined (no values, constant column). */
  z: number | null;
}

export interface CategoricalProfile {
  column: string;
  /** The cluster's most frequent category (null when every cell is missing). */
  top: string | null;
  /** Its share among the cluster's non-missing cells. */
  share: number;
  /** Its share among all rows' non-missing cells. */
  overallShare: number;
}

export interface ClusterProfile {
  cluster: number;
  size: number;
  /** size / rows. */
  share: number;
  numeric: NumericProfile[];
  categorical: CategoricalProfile[];
  /** The numeric columns with the largest |z|, most distinctive first. */
  distinctive: NumericProfile[];
}

/** Profiles of clusters 0..k-1 given per-row labels, over the named columns of `table`. */
export function clusterProfiles(table: Table, labels: Int32Array, k: number, columns: readonly string[], top = 3): ClusterProfile[] {
  const n = table.numRows;
  const sizes = new Float64Array(k);
  for (let i = 0; i < n; i++) sizes[labels[i]!]!++;
  const numeric: NumericProfile[][] = Array.from({ length: k }, () => []);
  const categorical: CategoricalProfile[][] = Array.from({ length: k }, () => []);
  for (const name of columns) {
    const col = table.column(name);
    if (isDict(col)) {
      if (col.type === 'text') continue;
      const m = col.dictionary.length;
      const counts = new Float64Array(k * m);
      const total = new Float64Array(m);
      for (let i = 0; i < n; i++) {
        const c = col.codes[i]!;
        if (c < 0) continue;
        counts[labels[i]! * m + c]!++;
        total[c]!++;
      }
      const all = total.reduce((s, v) => s + v, 0);
      for (let j = 0; j < k; j++) {
        let best = -1;
        let seen = 0;
        for (let c = 0; c < m; c++) {
          const v = counts[j * m + c]!;
          seen += v;
          if (v > 0 && (best < 0 || v > counts[j * m + best]!)) best = c;
        }
        categorical[j]!.push({
          column: name,
          top: best < 0 ? null : col.dictionary[best]!,
          share: best < 0 ? 0 : counts[j * m + best]! / seen,
          overallShare: best < 0 || all === 0 ? 0 : total[best]! / all,
        });
      }
      continue;
    }
    const sum = new Float64Array(k);
    const cnt = new Float64Array(k);
    let s = 0;
    let c = 0;
    for (let i = 0; i < n; i++) {
      const v = col.values[i]!;
      if (Number.isNaN(v)) continue;
      sum[labels[i]!]! += v;
      cnt[labels[i]!]!++;
      s += v;
      c++;
    }
    const overall = c > 0 ? s / c : null;
    let ss = 0;
    if (overall !== null) {
      for (let i = 0; i < n; i++) {
        const v = col.values[i]!;
        if (!Number.isNaN(v)) ss += (v - overall) ** 2;
      }
    }
    const std = c > 0 ? Math.sqrt(ss / c) : 0;
    for (let j = 0; j < k; j++) {
      const mean = cnt[j]! > 0 ? sum[j]! / cnt[j]! : null;
      const z = mean !== null && overall !== null && std > 1e-12 ? (mean - overall) / std : null;
      numeric[j]!.push({ column: name, type: col.type, mean, overall, z });
    }
  }
  return Array.from({ length: k }, (_, j) => ({
    cluster: j,
    size: sizes[j]!,
    share: n > 0 ? sizes[j]! / n : 0,
    numeric: numeric[j]!,
    categorical: categorical[j]!,
    distinctive: numeric[j]!
      .filter((p) => p.z !== null)
      .sort((a, b) => Math.abs(b.z!) - Math.abs(a.z!) || a.column.localeCompare(b.column))
      .slice(0, top),
  }));
}
