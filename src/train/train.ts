/**
 * `train`: reads the data, encodes the target, makes a stratified train/validation/test split,
 * fits the candidates (early stopping on validation), and evaluates the chosen model on the
 * held-out test split.
 * @example
 *   const { model, test, leaderboard } = await train('credit-g.arff', { target: 'class' });
 *   await saveModel(model, 'credit.lepton');
 * @module
 */
import { readTable } from '../data/readers/index.js';
import type { Table } from '../data/table.js';
import { LeptonError } from '../errors.js';
import { reportFor } from '../eval/evaluate.js';
import type { EvalReport } from '../eval/metrics.js';
import type { LeptonModel } from '../models/model.js';
import { fitTarget, type Task } from '../prep/target.js';
import { stratifiedSplit } from '../prep/split.js';
import { fitCandidates, type FitOptions, type LeaderboardEntry } from './candidates.js';

export interface TrainOptions extends FitOptions {
  /** Column to predict. */
  target: string;
  /** Forced task; by default categorical/boolean/small-integer targets are classification. */
  task?: Task;
  /** Columns to leave out (identifiers, leaks, empty columns). */
  drop?: string[];
  /** Shares of labelled rows held out for validation and test (default 0.15 each). */
  valFraction?: number;
  testFraction?: number;
}

export interface TrainResult {
  model: LeptonModel;
  leaderboard: LeaderboardEntry[];
  /** Metrics of the chosen model on the held-out test split. */
  test: EvalReport;
  /** Rows in each part; `train` counts rows after class balancing, `trainSplit` before. */
  split: { train: number; val: number; test: number; trainSplit: number };
}

/** Smallest data set Lepton trains on: below this, splits and metrics are meaningless. */
export const MIN_ROWS = 20;

export async function loadInput(data: Table | string, drop: readonly string[] = []): Promise<Table> {
  const table = typeof data === 'string' ? await readTable(data) : data;
  return drop.length ? table.drop(drop) : table;
}

/**
 * What every table trainer starts from: the table, its encoded target, the feature columns and
 * the seeded stratified train/validation/test split (AutoML uses the same, so a seed gives the
 * same rows to both).
 */
export async function prepareTraining(data: Table | string, options: Pick<TrainOptions, 'target' | 'task' | 'drop' | 'seed' | 'valFraction' | 'testFraction'>) {
  const table = await loadInput(data, options.drop);
  const encoded = fitTarget(table, options.target, options.task);
  if (encoded.rows.length < MIN_ROWS) {
    throw new LeptonError('E_TARGET', `only ${encoded.rows.length} rows have a value in '${options.target}'; at least ${MIN_ROWS} are needed`, 'add labelled rows');
  }
  const features = table.columnNames.filter((c) => c !== options.target);
  const seed = options.seed ?? 42;
  const split = stratifiedSplit(encoded.y, { val: options.valFraction ?? 0.15, test: options.testFraction ?? 0.15 }, seed);
  return { table, encoded, features, seed, split };
}

export async function train(data: Table | string, options: TrainOptions): Promise<TrainResult> {
  const { table, encoded, features, seed, split } = await prepareTraining(data, options);
  const { model, leaderboard, trainRows } = await fitCandidates(table, encoded, features, split.train, split.val, { ...options, seed });
  try {
    const testRows = split.test.map((p) => encoded.rows[p]!);
    const out = await model.predictFeatures(model.pipeline.transform(table, testRows));
    const y = encoded.y instanceof Int32Array ? Int32Array.from(split.test, (p) => encoded.y[p]!) : Float32Array.from(split.test, (p) => encoded.y[p]!);
    const test = reportFor(model, out, y);
    const sizes = { train: trainRows, val: split.val.length, test: split.test.length, trainSplit: split.train.length };
    model.manifest.training = { leaderboard, test, split: sizes, source: table.source ?? null };
    return { model, leaderboard, test, split: sizes };
  } catch (e) {
    model.dispose();
    throw e;
  }
}
