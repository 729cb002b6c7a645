/**
 * Numeric sequences from a long table (one row per id and time step, e.g. sensor readings per
 * machine and cycle): rows grouped by an id column and sorted by a time column, each id's last
 * `seqLen` steps kept, every sensor standardised with statistics of the training ids only, and
 * shorter sequences right-padded. A network reads each id as seqLen × (sensors + 1) floats: the
 * standardised sensors of a step, then its 0/1 validity flag (the engine's `mask` layer turns the
 * flags into lengths, so the pads never count). A missing sensor reading is the training mean (0).
 * @example
 *   const groups = groupSequences(table, 'unit', 'cycle');
 *   const scaler = fitSequenceScaler(table, groups.rows, ['temp', 'vibration'], 50);
 *   const { x } = sequenceFeatures(table, groups.rows, ['temp', 'vibration'], scaler, 50);
 * @module
 */
import { LeptonError } from '../errors.js';
import { isDict, type Table } from './table.js';

/** Per-sensor mean and standard deviation over the kept steps of the training ids. */
export interface SequenceScaler {
  mean: number[];
  std: number[];
}

/** Each id (as a string, in first-seen order) with its rows in time order (ties keep file order). */
export interface SequenceGroups {
  ids: string[];
  rows: Int32Array[];
}

export function groupSequences(table: Table, idColumn: string, timeColumn: string): SequenceGroups {
  if (idColumn === timeColumn) throw new LeptonError('E_OPTION', `the id and time columns are both '${idColumn}'`, 'give --sequence-id and --sequence-time two different columns');
  const time = table.column(timeColumn);
  if (isDict(time)) throw new LeptonError('E_COLUMN', `time column '${timeColumn}' holds ${time.type} values; it must be numeric or a date`, 'give the cycle number or timestamp column as --sequence-time');
  table.column(idColumn);
  const index = new Map<string, number>();
  const members: number[][] = [];
  for (let r = 0; r < table.numRows; r++) {
    const id = table.cell(idColumn, r);
    if (id === null) throw new LeptonError('E_VALUE', `${table.where(r)}: no value in id column '${idColumn}'`, 'give every row its id, or drop the row');
    if (Number.isNaN(time.values[r]!)) throw new LeptonError('E_VALUE', `${table.where(r)}: no value in time column '${timeColumn}'`, 'give every row its time step, or drop the row');
    const key = String(id);
    let g = index.get(key);
    if (g === undefined) {
      g = members.length;
      index.set(key, g);
      members.push([]);
    }
    members[g]!.push(r);
  }
  const t = time.values;
  return { ids: [...index.keys()], rows: members.map((m) => Int32Array.from(m.sort((a, b) => t[a]! - t[b]! || a - b))) };
}

/** The numeric and boolean columns other than the id, time and `exclude` columns: the sensors by default. */
export function sensorColumns(table: Table, exclude: readonly string[]): string[] {
  return table.columns.filter((c) => !exclude.includes(c.name) && (c.type === 'numeric' || c.type === 'boolean')).map((c) => c.name);
}

/** The sensors' values as Float64Arrays, checked to be numeric. */
function sensorValues(table: Table, sensors: readonly string[]): Float64Array[] {
  return sensors.map((name) => {
    const c = table.column(name);
    if (isDict(c)) throw new LeptonError('E_COLUMN', `sensor column '${name}' holds ${c.type} values, not numbers`, 'drop it with --drop, or encode it as numbers');
    return c.values;
  });
}

/** The last `seqLen` rows of a group (all of them when shorter). */
const lastSteps = (rows: Int32Array, seqLen: number) => rows.subarray(Math.max(0, rows.length - seqLen));

/** Mean and standard deviation per sensor over the steps the network reads from `groups` (the training ids). */
export function fitSequenceScaler(table: Table, groups: readonly Int32Array[], sensors: readonly string[], seqLen: number): SequenceScaler {
  const cols = sensorValues(table, sensors);
  const mean: number[] = [];
  const std: number[] = [];
  for (const v of cols) {
    let n = 0;
    let sum = 0;
    let sq = 0;
    for (const g of groups) {
      for (const r of lastSteps(g, seqLen)) {
        const x = v[r]!;
        if (Number.isNaN(x)) continue;
        n++;
        sum += x;
        sq += x * x;
      }
    }
    const m = n ? sum / n : 0;
    const sd = n > 1 ? Math.sqrt(Math.max(0, sq / n - m * m)) : 0;
    mean.push(m);
    // A constant sensor stays 0 rather than dividing by zero.
    std.push(sd > 1e-12 ? sd : 1);
  }
  return { mean, std };
}

/**
 * Network input for `groups`: n × seqLen × (sensors + 1) floats, each id's last seqLen steps in
 * time order from step 0, then padding (zeros, flag 0). `truncated` counts ids with more steps.
 */
export function sequenceFeatures(table: Table, groups: readonly Int32Array[], sensors: readonly string[], scaler: SequenceScaler, seqLen: number): { x: Float32Array; truncated: number } {
  const cols = sensorValues(table, sensors);
  const f = sensors.length + 1;
  const x = new Float32Array(groups.length * seqLen * f);
  let truncated = 0;
  groups.forEach((g, i) => {
    if (g.length > seqLen) truncated++;
    lastSteps(g, seqLen).forEach((r, t) => {
      const at = (i * seqLen + t) * f;
      cols.forEach((v, j) => {
        const z = (v[r]! - scaler.mean[j]!) / scaler.std[j]!;
        x[at + j] = Number.isFinite(z) ? z : 0;
      });
      x[at + f - 1] = 1;
    });
  });
  return { x, truncated };
}

/** Each group's label: the value in `column` on its last row (in time order) that has one; null when none has. */
export function lastLabels(table: Table, groups: readonly Int32Array[], column: string): (string | null)[] {
  table.column(column);
  return groups.map((g) => {
    for (let k = g.length - 1; k >= 0; k--) {
      const v = table.cell(column, g[k]!);
      if (v !== null) return String(v);
    }
    return null;
  });
}
