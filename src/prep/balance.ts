/**
 * Class balancing for the training split only: random over- and under-sampling, and SMOTE
 * (Chawla et al. 2002): a synthetic row lies at a random point between a minority row and one
 * of its k nearest minority neighbours. The neighbour search runs in libtorch; this file only
 * decides which rows to combine. Validation and test rows never pass through here.
 * `balanceTable` is the raw-table seam: for `smote` on data with categorical feature columns it
 * runs SMOTE-NC (smote-nc.ts), so the pipeline can then be fitted on the balanced raw rows.
 * @module
 */
import { addon, callNativeSync } from '../engine/addon.js';
import { LeptonError } from '../errors.js';
import type { Table } from '../data/table.js';
import { hasCategorical, smoteNcRows, type SmoteNcRows } from './smote-nc.js';
import { rng } from './split.js';

export const BALANCE_METHODS = ['none', 'oversample', 'undersample', 'smote'] as const;
export type BalanceMethod = (typeof BALANCE_METHODS)[number];

export interface Balanced {
  x: Float32Array;
  y: Int32Array;
  /** Rows added (over-sampling, SMOTE) or removed (under-sampling). */
  changed: number;
}

function byClass(y: Int32Array, k: number): number[][] {
  const rows: number[][] = Array.from({ length: k }, () => []);
  y.forEach((c, i) => rows[c]!.push(i));
  return rows;
}

function gather(x: Float32Array, d: number, rows: readonly number[]): Float32Array {
  const out = new Float32Array(rows.length * d);
  rows.forEach((r, i) => out.set(x.subarray(r * d, r * d + d), i * d));
  return out;
}

/** Balances classes of (x, y) so every class has as many rows as the largest (or smallest). */
export function balance(method: BalanceMethod, x: Float32Array, d: number, y: Int32Array, numClasses: number, seed: number, kNeighbors = 5): Balanced {
  if (method === 'none') return { x, y, changed: 0 };
  const random = rng(seed);
  const pick = (n: number) => Math.floor(random() * n);
  const classes = byClass(y, numClasses);
  const present = classes.filter((r) => r.length > 0);
  const most = Math.max(...present.map((r) => r.length));
  const least = Math.min(...present.map((r) => r.length));
  if (method === 'undersample') {
    const keep = present.flatMap((rows) => {
      const copy = [...rows];
      for (let i = copy.length - 1; i > 0; i--) {
        const j = pick(i + 1);
        [copy[i], copy[j]] = [copy[j]!, copy[i]!];
      }
      return copy.slice(0, least);
    }).sort((a, b) => a - b);
    return { x: gather(x, d, keep), y: Int32Array.from(keep, (r) => y[r]!), changed: y.length - keep.length };
  }
  const extraX: Float32Array[] = [];
  const extraY: number[] = [];
  classes.forEach((rows, c) => {
    const need = rows.length ? most - rows.length : 0;
    if (need === 0) return;
    if (method === 'oversample' || rows.length < 2) {
      for (let s = 0; s < need; s++) extraX.push(gather(x, d, [rows[pick(rows.length)]!]));
    } else {
      const k = Math.min(kNeighbors, rows.length - 1);
      const own = gather(x, d, rows);
      const nn = callNativeSync('SMOTE neighbours', () => addon().nearestNeighbors(own, d, k));
      for (let s = 0; s < need; s++) {
        const i = pick(rows.length);
        const j = nn[i * k + pick(k)]!;
        const gap = random();
        const row = new Float32Array(d);
        for (let f = 0; f < d; f++) row[f] = own[i * d + f]! + gap * (own[j * d + f]! - own[i * d + f]!);
        extraX.push(row);
      }
    }
    for (let s = 0; s < need; s++) extraY.push(c);
  });
  if (extraY.length === 0) return { x, y, changed: 0 };
  const outX = new Float32Array(x.length + extraY.length * d);
  outX.set(x);
  extraX.forEach((row, i) => outX.set(row, x.length + i * d));
  const outY = new Int32Array(y.length + extraY.length);
  outY.set(y);
  outY.set(extraY, y.length);
  return { x: outX, y: outY, changed: extraY.length };
}

/**
 * Balancing that works on the raw table, to apply to the training rows before the pipeline is
 * fitted (the pipeline is then fitted on the balanced rows): `smote` with a categorical feature
 * column is SMOTE-NC, so synthetic rows hold real categories. Returns undefined when the method
 * works on the encoded matrix instead (`balance()`). `rows`/`y`: the training rows and their
 * class indices; the returned table is `table` with the synthetic rows appended, so validation
 * and test row indices still point at the same, unchanged rows.
 */
export function balanceTable(
  method: BalanceMethod,
  table: Table,
  features: readonly string[],
  rows: Int32Array,
  y: Int32Array,
  numClasses: number,
  seed: number,
  kNeighbors = 5,
): SmoteNcRows | undefined {
  if (method !== 'smote' || !hasCategorical(table, features)) return undefined;
  return smoteNcRows(table, features, rows, y, numClasses, seed, kNeighbors);
}

export function checkBalanceMethod(m: string): BalanceMethod {
  if (!(BALANCE_METHODS as readonly string[]).includes(m)) throw new LeptonError('E_OPTION', `unknown balancing '${m}'`, `use one of ${BALANCE_METHODS.join(', ')}`);
  return m as BalanceMethod;
}
