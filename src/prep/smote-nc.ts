/**
 * SMOTE-NC (Chawla et al. 2002, §6.1; imbalanced-learn's SMOTENC) for tables with numeric and
 * categorical columns, applied to the raw training Table before the one-hot pipeline is fitted,
 * so a synthetic row holds real categories instead of fractional one-hot vectors.
 *
 * For every class smaller than the largest, a synthetic row is made from a random row x of
 * that class (the base row) and one of its k nearest neighbours n in the same class:
 * - numeric-like columns (numeric, boolean, date): x + gap·(n − x), gap ~ U(0,1), one gap per
 *   row; if one parent is missing the other's value is taken, if both are, it stays missing.
 *   Values are not rounded: integer-valued columns (age, duration) get fractional values, and
 *   booleans values between 0 and 1, as in imbalanced-learn.
 * - categorical columns: the most frequent category among the base row's k neighbours (the
 *   base row itself does not vote); ties go to the category of the nearest neighbour among the
 *   tied ones (imbalanced-learn breaks them at random); when every neighbour is missing, the
 *   base row's value.
 * - text columns and columns that are not features (the target among them): copied from the
 *   base row, so the target holds the class label.
 * A class with a single row is over-sampled by duplication, as in `balance()`.
 *
 * The neighbour search runs in libtorch (`nearestNeighbors`, Euclidean). The SMOTE-NC distance
 *   dist²(a, b) = Σ_numeric (z_a − z_b)² + med² · #{categorical columns where a and b differ}
 * (z: the column standardised over all rows being balanced, missing values imputed with the
 * column median for the distance only; med: the median over numeric columns of the standard
 * deviation of z within the class being over-sampled) is a squared Euclidean distance on the
 * encoding [z, one-hot(category) · med/√2]: two different categories differ in two one-hot
 * positions, each by med/√2, adding 2 · med²/2 = med²; equal categories add 0. So the native
 * k-NN on that encoding finds the SMOTE-NC neighbours, and no distance is computed in JS.
 * (imbalanced-learn 0.10 scales one-hot entries by med/2, so a mismatch adds med²/2; the paper
 * adds med². A missing category encodes as all zeros: med²/2 from any category.)
 *
 * With no categorical columns the encoding is the pipeline's standardised matrix and the
 * random draws are the same as `balance('smote', …)`, so the result equals plain SMOTE up to
 * float rounding (interpolating raw values instead of float32 z-scores).
 * @module
 */
import { addon, callNativeSync } from '../engine/addon.js';
import { isDict, Table, type Column, type DictColumn, type ValueColumn } from '../data/table.js';
import { LeptonError } from '../errors.js';
import { rng } from './split.js';
import { fitTarget } from './target.js';

export interface SmoteNcRows {
  /** The input table with the synthetic rows appended (original rows keep their indices). */
  table: Table;
  /** The balanced rows: the input `rows`, then the appended rows' indices. */
  rows: Int32Array;
  /** Class index of each of `rows`. */
  y: Int32Array;
  /** Synthetic rows appended. */
  changed: number;
}

/** True when some feature column is categorical: the case SMOTE-NC is for. */
export function hasCategorical(table: Table, features: readonly string[]): boolean {
  return features.some((f) => table.column(f).type === 'categorical');
}

interface Scale {
  median: number;
  mean: number;
  std: number;
}

/** Median, mean and (population) standard deviation of a column over `rows`, as the pipeline fits them. */
function fitScale(values: Float64Array, rows: ArrayLike<number>): Scale {
  const vals: number[] = [];
  for (let i = 0; i < rows.length; i++) {
    const v = values[rows[i]!]!;
    if (!Number.isNaN(v)) vals.push(v);
  }
  if (vals.length === 0) return { median: 0, mean: 0, std: 1 }; // all missing: z = 0 for every row
  vals.sort((a, b) => a - b);
  const mid = vals.length >> 1;
  const median = vals.length % 2 ? vals[mid]! : (vals[mid - 1]! + vals[mid]!) / 2;
  const mean = vals.reduce((s, v) => s + v, 0) / vals.length;
  const std = Math.sqrt(vals.reduce((s, v) => s + (v - mean) ** 2, 0) / vals.length);
  return { median, mean, std: std > 1e-12 ? std : 1 };
}

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/**
 * Balances `rows` of `table` (class index `y[i]` for `rows[i]`, in 0..numClasses-1) so every
 * class has as many rows as the largest, with SMOTE-NC over the `features` columns. Rows not in
 * `rows` (validation, test, unlabelled) are neither read for the statistics nor changed.
 */
export function smoteNcRows(
  table: Table,
  features: readonly string[],
  rows: Int32Array,
  y: Int32Array,
  numClasses: number,
  seed: number,
  kNeighbors = 5,
): SmoteNcRows {
  if (rows.length !== y.length) throw new LeptonError('E_OPTION', `smoteNcRows: ${rows.length} rows but ${y.length} labels`, 'give one class index per row');
  const featureCols = features.map((f) => table.column(f));
  const valueCols = featureCols.filter((c): c is ValueColumn => !isDict(c));
  const catCols = featureCols.filter((c): c is DictColumn => c.type === 'categorical');
  const scales = valueCols.map((c) => fitScale(c.values, rows));

  const random = rng(seed);
  const pick = (n: number) => Math.floor(random() * n);
  const classes: number[][] = Array.from({ length: numClasses }, () => []);
  y.forEach((c, i) => {
    if (!(c >= 0 && c < numClasses)) throw new LeptonError('E_OPTION', `smoteNcRows: class index ${c} at position ${i} is outside 0..${numClasses - 1}`, 'give class indices from the target encoder');
    classes[c]!.push(rows[i]!);
  });
  const present = classes.filter((r) => r.length > 0);
  const most = Math.max(0, ...present.map((r) => r.length));

  // Per synthetic row: its base row, and its synthesised feature values.
  const base: number[] = [];
  const extraY: number[] = [];
  const synthValues: number[][] = valueCols.map(() => []);
  const synthCodes: number[][] = catCols.map(() => []);

  classes.forEach((members, c) => {
    const need = members.length ? most - members.length : 0;
    if (need === 0) return;
    if (members.length < 2) {
      for (let s = 0; s < need; s++) {
        const b = members[pick(members.length)]!;
        base.push(b);
        valueCols.forEach((col, f) => synthValues[f]!.push(col.values[b]!));
        catCols.forEach((col, f) => synthCodes[f]!.push(col.codes[b]!));
        extraY.push(c);
      }
      return;
    }
    const n = members.length;
    const nv = valueCols.length;
    // z-scores of this class's rows (median-imputed: for the distance only).
    const z = valueCols.map((col, f) => {
      const { median: fill, mean, std } = scales[f]!;
      return Float64Array.from(members, (r) => {
        const v = col.values[r]!;
        return ((Number.isNaN(v) ? fill : v) - mean) / std;
      });
    });
    // med: median of the per-column standard deviations within the class; a class whose numeric
    // columns are all constant (or a table without numeric columns) uses 1, which only scales
    // every distance by the same factor.
    const stds = z.map((col) => {
      const m = col.reduce((s, v) => s + v, 0) / n;
      return Math.sqrt(col.reduce((s, v) => s + (v - m) ** 2, 0) / n);
    });
    const med0 = stds.length ? median(stds) : 0;
    const med = med0 > 1e-12 ? med0 : 1;
    // One-hot slots for the categories present in this class (absent ones never differ).
    const slotOf = catCols.map((col) => {
      const slots = new Int32Array(col.dictionary.length).fill(-1);
      let next = 0;
      for (const r of members) {
        const code = col.codes[r]!;
        if (code >= 0 && slots[code] === -1) slots[code] = next++;
      }
      return { slots, size: next };
    });
    const d = nv + slotOf.reduce((s, o) => s + o.size, 0);
    if (d === 0) throw new LeptonError('E_COLUMN', 'SMOTE-NC needs a numeric or categorical feature column', 'give at least one numeric, boolean, date or categorical column besides the target');
    const enc = new Float32Array(n * d);
    const hot = med / Math.SQRT2;
    for (let i = 0; i < n; i++) {
      for (let f = 0; f < nv; f++) enc[i * d + f] = z[f]![i]!;
      let offset = nv;
      catCols.forEach((col, f) => {
        const code = col.codes[members[i]!]!;
        if (code >= 0) enc[i * d + offset + slotOf[f]!.slots[code]!] = hot;
        offset += slotOf[f]!.size;
      });
    }
    const k = Math.min(kNeighbors, n - 1);
    const nn = callNativeSync('SMOTE-NC neighbours', () => addon().nearestNeighbors(enc, d, k));
    // The categories the neighbours vote for depend only on the base row: decide once per row.
    const voted = catCols.map(() => new Int32Array(n).fill(-2)); // -2 = not decided yet
    const vote = (f: number, i: number): number => {
      const memo = voted[f]!;
      if (memo[i] !== -2) return memo[i]!;
      const codes = catCols[f]!.codes;
      const votes: number[] = [];
      for (let m = 0; m < k; m++) votes.push(codes[members[nn[i * k + m]!]!]!); // nearest first
      const counts = new Map<number, number>();
      for (const code of votes) if (code >= 0) counts.set(code, (counts.get(code) ?? 0) + 1);
      const top = Math.max(0, ...counts.values());
      // Ties go to the category of the nearest neighbour among the tied ones.
      const best = top > 0 ? votes.find((code) => code >= 0 && counts.get(code) === top)! : -1;
      memo[i] = best >= 0 ? best : codes[members[i]!]!;
      return memo[i]!;
    };
    for (let s = 0; s < need; s++) {
      // Same draws, in the same order, as balance('smote'): base, neighbour, gap.
      const i = pick(n);
      const j = nn[i * k + pick(k)]!;
      const gap = random();
      const b = members[i]!;
      const o = members[j]!;
      base.push(b);
      valueCols.forEach((col, f) => {
        const a = col.values[b]!;
        const v = col.values[o]!;
        synthValues[f]!.push(Number.isNaN(a) ? v : Number.isNaN(v) ? a : a + gap * (v - a));
      });
      catCols.forEach((_, f) => synthCodes[f]!.push(vote(f, i)));
      extraY.push(c);
    }
  });

  const added = base.length;
  if (added === 0) return { table, rows, y, changed: 0 };
  const total = table.numRows + added;
  const columns = table.columns.map((col): Column => {
    const vf = valueCols.indexOf(col as ValueColumn);
    const cf = catCols.indexOf(col as DictColumn);
    if (isDict(col)) {
      const codes = new Int32Array(total);
      codes.set(col.codes);
      for (let s = 0; s < added; s++) codes[table.numRows + s] = cf >= 0 ? synthCodes[cf]![s]! : col.codes[base[s]!]!;
      return { ...col, codes };
    }
    const values = new Float64Array(total);
    values.set(col.values);
    for (let s = 0; s < added; s++) values[table.numRows + s] = vf >= 0 ? synthValues[vf]![s]! : col.values[base[s]!]!;
    return { ...col, values };
  });
  // Synthetic rows have no source line: `where()` names them by row number.
  const out = new Table(columns, total, { source: table.source, lines: table.sourceLines });
  const outRows = new Int32Array(rows.length + added);
  outRows.set(rows);
  for (let s = 0; s < added; s++) outRows[rows.length + s] = table.numRows + s;
  const outY = new Int32Array(y.length + added);
  outY.set(y);
  outY.set(extraY, y.length);
  return { table: out, rows: outRows, y: outY, changed: added };
}

/**
 * SMOTE-NC on a whole table: every column but `target` is a feature; rows without a target
 * value are kept as they are and not resampled. Returns the table with synthetic rows appended
 * (their target is the class they were made for) and how many were added; deterministic under
 * `seed`.
 * @example
 *   const { table: balanced, changed } = smoteNc(await readTable('credit-g.arff'), 'class', 42);
 */
export function smoteNc(table: Table, target: string, seed: number, k = 5): { table: Table; changed: number } {
  const enc = fitTarget(table, target, 'classification');
  if (enc.encoder.task !== 'classification') throw new Error('unreachable');
  const features = table.columnNames.filter((c) => c !== target);
  const r = smoteNcRows(table, features, enc.rows, enc.y as Int32Array, enc.encoder.classes.length, seed, k);
  return { table: r.table, changed: r.changed };
}
