/**
 * The target column: decides classification vs regression, encodes labels as class indices
 * (or standardised values), and rejects targets a model cannot learn from.
 * @module
 */
import { LeptonError, listNames } from '../errors.js';
import type { Table } from '../data/table.js';

export type Task = 'classification' | 'regression';

export type TargetEncoder =
  | { task: 'classification'; column: string; classes: string[] }
  | { task: 'regression'; column: string; mean: number; std: number };

/** A numeric target with at most this many distinct integer values is taken as classes (0/1 flags). */
const MAX_INTEGER_CLASSES = 10;

export interface EncodedTarget {
  encoder: TargetEncoder;
  /** Class index per row (classification) or standardised value (regression); rows without a target are excluded. */
  y: Int32Array | Float32Array;
  /** Indices of rows that have a target value. */
  rows: Int32Array;
}

/** Chooses the task and fits the encoder on all labelled rows. */
export function fitTarget(table: Table, column: string, task?: Task): EncodedTarget {
  if (!table.has(column)) {
    throw new LeptonError('E_TARGET', `target column '${column}' not found${table.source ? ` in ${table.source}` : ''}; the columns are ${listNames(table.columnNames, 40)}`, 'pass --target with one of those names (case-sensitive)');
  }
  const col = table.column(column);
  const labels = labelsOf(table, column);
  const rows = Int32Array.from(labels.flatMap((l, i) => (l === null ? [] : [i])));
  if (rows.length === 0) throw new LeptonError('E_TARGET', `target column '${column}' has no values`, 'fill in the labels');
  const chosen: Task =
    task ??
    (col.type === 'numeric' && !looksLikeClasses(col.values) ? 'regression' : col.type === 'date' ? 'regression' : 'classification');
  if (chosen === 'regression') {
    if (col.type !== 'numeric') throw new LeptonError('E_TARGET', `target '${column}' is ${col.type}; regression needs a numeric target`, 'use --task classification');
    const v = Array.from(rows, (r) => col.values[r]!);
    const mean = v.reduce((s, x) => s + x, 0) / v.length;
    const std = Math.sqrt(v.reduce((s, x) => s + (x - mean) ** 2, 0) / v.length) || 1;
    const encoder: TargetEncoder = { task: 'regression', column, mean, std };
    return { encoder, y: Float32Array.from(v, (x) => (x - mean) / std), rows };
  }
  const classes = [...new Set(Array.from(rows, (r) => labels[r]!))];
  // Keep a declared order (ARFF nominal) when there is one; otherwise sort for stability.
  if (col.type === 'categorical') classes.sort((a, b) => col.dictionary.indexOf(a) - col.dictionary.indexOf(b));
  else classes.sort((a, b) => (col.type === 'numeric' ? Number(a) - Number(b) : a.localeCompare(b)));
  if (classes.length < 2) {
    throw new LeptonError('E_TARGET', `target '${column}' has only one class ('${classes[0]}') in ${rows.length} labelled rows`, 'a classifier needs at least two classes: add examples of the other class(es)');
  }
  const encoder: TargetEncoder = { task: 'classification', column, classes };
  return { encoder, y: encodeLabels(encoder, labels, rows), rows };
}

/** Labels as strings (null = missing), the canonical form classes are stored in. */
export function labelsOf(table: Table, column: string): (string | null)[] {
  const out: (string | null)[] = [];
  for (let r = 0; r < table.numRows; r++) {
    const v = table.cell(column, r);
    out.push(v === null ? null : String(v));
  }
  return out;
}

/** Class indices for `rows`; a label the encoder has never seen is -1. */
export function encodeLabels(encoder: TargetEncoder & { task: 'classification' }, labels: (string | null)[], rows: ArrayLike<number>): Int32Array {
  const index = new Map(encoder.classes.map((c, i) => [c, i]));
  return Int32Array.from({ length: rows.length }, (_, i) => {
    const l = labels[rows[i]!];
    return l === null || l === undefined ? -1 : (index.get(l) ?? -1);
  });
}

function looksLikeClasses(values: Float64Array): boolean {
  const distinct = new Set<number>();
  for (const v of values) {
    if (Number.isNaN(v)) continue;
    if (!Number.isInteger(v)) return false;
    distinct.add(v);
    if (distinct.size > MAX_INTEGER_CLASSES) return false;
  }
  return true;
}
