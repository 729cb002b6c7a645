/**
 * The tuning objective: one trial trains one model family with the trial's parameters on a
 * FIXED train/validation split and returns its validation score.
 *
 * The split is `train`'s own: `stratifiedSplit(y, { val: 0.15, test: 0.15 }, studySeed)`, so every
 * trial of a study sees the same rows, the test rows are never looked at while tuning, and the
 * final refit (`train` with the best parameters and the same seed) evaluates on exactly the rows
 * the study left untouched. The preprocessing pipeline is fitted once on the training rows and
 * the encoded matrices are reused by every trial in a worker.
 *
 * Objective: validation ROC-AUC (classification; macro one-vs-rest for multi-class; maximize),
 * or validation RMSE in the target's units (regression; minimize).
 *
 * Intermediate values (what ASHA compares): the engines report a validation *loss* after every
 * epoch (torch) or boosting round (XGBoost), not an AUC, so a classification trial reports
 * −log-loss (higher is better, like the AUC it stands in for) and a regression trial reports the
 * validation RMSE in target units (torch's MSE is square-rooted and both are un-standardised, so
 * the two families' curves are on one scale). Torch trials report every epoch; XGBoost trials
 * every `reportEvery` rounds (default 10) to keep registry writes few.
 * @example
 *   const data = await prepareObjective('credit-g.arff', { target: 'class', seed: 42 });
 *   const r = await runTrial(data, 'xgboost', { maxDepth: 3 }, { seed: 42, onReport: (step, v) => {} });
 * @module
 */
import { availableParallelism } from 'node:os';
import type { Table } from '../data/table.js';
import { LeptonError } from '../errors.js';
import { classificationReport, regressionReport } from '../eval/metrics.js';
import type { FitData, Member } from '../models/member.js';
import type { NetInput } from '../models/net-family.js';
import { resolveParams, resourceKey, type FamilyName, type TableParams } from '../models/spec.js';
import { fitTable } from '../models/table-family.js';
import { Pipeline } from '../prep/pipeline.js';
import { stratifiedSplit } from '../prep/split.js';
import { fitTarget, type EncodedTarget, type Task } from '../prep/target.js';
import { loadInput, MIN_ROWS } from '../train/train.js';
import type { Direction } from './samplers.js';

/** Shares of labelled rows held out, as `train` holds them out. */
export const VAL_FRACTION = 0.15;
export const TEST_FRACTION = 0.15;

export interface ObjectiveInfo {
  task: Task;
  direction: Direction;
  metric: 'roc_auc' | 'rmse';
  numClasses: number;
}

export interface ObjectiveData extends ObjectiveInfo {
  train: FitData;
  val: FitData;
  numFeatures: number;
  /** Regression targets are standardised; predictions and losses are scaled back with these. */
  mean: number;
  std: number;
  rows: { train: number; val: number; test: number };
  /** A network study's network (src/tune/network-workers.ts): what every trial fits, instead of a table family. */
  network?: NetInput;
}

/** The study's metric and direction for a target (reads and checks the target only). */
export function objectiveInfo(encoded: EncodedTarget): ObjectiveInfo {
  if (encoded.rows.length < MIN_ROWS) {
    throw new LeptonError('E_TARGET', `only ${encoded.rows.length} rows have a value in '${encoded.encoder.column}'; at least ${MIN_ROWS} are needed`, 'add labelled rows');
  }
  const enc = encoded.encoder;
  return enc.task === 'classification'
    ? { task: 'classification', direction: 'maximize', metric: 'roc_auc', numClasses: enc.classes.length }
    : { task: 'regression', direction: 'minimize', metric: 'rmse', numClasses: 1 };
}

/** Reads the data and builds the fixed train/validation matrices every trial of the study uses. */
export async function prepareObjective(data: Table | string, options: { target: string; seed: number; task?: Task }): Promise<ObjectiveData> {
  const table = await loadInput(data);
  const encoded = fitTarget(table, options.target, options.task);
  const info = objectiveInfo(encoded);
  const split = stratifiedSplit(encoded.y, { val: VAL_FRACTION, test: TEST_FRACTION }, options.seed);
  if (split.val.length === 0) throw new LeptonError('E_TARGET', `the validation split of '${options.target}' is empty`, 'add labelled rows');
  const features = table.columnNames.filter((c) => c !== options.target);
  const rowsOf = (pos: Int32Array) => pos.map((p) => encoded.rows[p]!);
  const pick = (pos: Int32Array) => (encoded.y instanceof Int32Array ? Int32Array.from(pos, (p) => encoded.y[p]!) : Float32Array.from(pos, (p) => encoded.y[p]!));
  const pipeline = Pipeline.fit(table, features, rowsOf(split.train));
  const enc = encoded.encoder;
  return {
    ...info,
    train: { x: pipeline.transform(table, rowsOf(split.train)), y: pick(split.train) },
    val: { x: pipeline.transform(table, rowsOf(split.val)), y: pick(split.val) },
    numFeatures: pipeline.outputDim,
    mean: enc.task === 'regression' ? enc.mean : 0,
    std: enc.task === 'regression' ? enc.std : 1,
    rows: { train: split.train.length, val: split.val.length, test: split.test.length },
  };
}

export interface TrialRunOptions {
  seed: number;
  torchThreads?: number;
  xgbThreads?: number;
  /** XGBoost: report every this many rounds (default 10). Torch trials report every epoch. */
  reportEvery?: number;
  /** Called with (epochs or rounds done, intermediate value in the study's direction). */
  onReport?: (step: number, value: number) => void;
  signal?: AbortSignal;
}

export interface TrialOutcome {
  /** Validation ROC-AUC or RMSE. */
  value: number;
  /**
   * Validation log-loss (classification; null for regression). On a small validation split many
   * configurations share the top ROC-AUC; the log-loss tells them apart.
   */
  logLoss: number | null;
  epochs: number;
  bestEpoch: number;
  stopReason: string;
  seconds: number;
}

/** The validation value of a fitted member: ROC-AUC (−log-loss if undefined) or RMSE in target units. */
export async function validationValue(data: Pick<ObjectiveData, 'task' | 'numClasses' | 'val' | 'mean' | 'std'>, member: Member): Promise<number> {
  return (await validationScores(data, member)).value;
}

/** The validation value and, for classification, the log-loss that breaks ties between equal values. */
export async function validationScores(data: Pick<ObjectiveData, 'task' | 'numClasses' | 'val' | 'mean' | 'std'>, member: Member): Promise<Pick<TrialOutcome, 'value' | 'logLoss'>> {
  const out = await member.predict(data.val.x);
  if (data.task === 'regression') {
    return { value: regressionReport(out.map((v) => v * data.std + data.mean), (data.val.y as Float32Array).map((v) => v * data.std + data.mean)).rmse, logLoss: null };
  }
  const r = classificationReport(out, data.val.y as Int32Array, Array.from({ length: data.numClasses }, (_, i) => String(i)));
  return { value: r.rocAuc ?? -r.logLoss, logLoss: r.logLoss };
}

/** An engine's validation loss as an intermediate value in the study's direction (see the module doc). */
export function intermediateValue(data: Pick<ObjectiveData, 'task' | 'std'>, family: FamilyName, loss: number): number {
  if (data.task === 'classification') return -loss;
  // XGBoost boosters (xgboost, forest) report RMSE; the torch families report the mean squared error.
  return (resourceKey(family) === 'epochs' ? Math.sqrt(Math.max(0, loss)) : loss) * data.std;
}

/** Trains one trial; throws `E_CANCELLED` when `signal` aborts it (a prune or the end of the budget). */
export async function runTrial(data: ObjectiveData, family: FamilyName, params: Record<string, unknown>, options: TrialRunOptions): Promise<TrialOutcome> {
  const started = performance.now();
  let resolved: TableParams;
  try {
    resolved = resolveParams(family, params);
  } catch (e) {
    if (e instanceof Error && e.name === 'ZodError') throw new LeptonError('E_OPTION', `invalid ${family} parameters: ${e.message}`, 'check the search space ranges', { cause: e });
    throw e;
  }
  const every = Math.max(1, options.reportEvery ?? 10);
  const ctx = {
    task: data.task,
    numClasses: data.numClasses,
    numFeatures: data.numFeatures,
    seed: options.seed,
    torchThreads: options.torchThreads ?? 1,
    xgbThreads: options.xgbThreads ?? availableParallelism(),
    signal: options.signal,
    onEpoch: (p: { epoch: number; maxEpochs: number; valLoss: number | null }) => {
      if (p.valLoss === null || !options.onReport) return;
      if (family === 'xgboost' && p.epoch % every !== 0) return;
      options.onReport(p.epoch, intermediateValue(data, family, p.valLoss));
    },
  };
  const member = await fitTable(family, resolved, data.train, data.val, ctx);
  try {
    const { value, logLoss } = await validationScores(data, member);
    if (!Number.isFinite(value)) throw new LeptonError('E_VALUE', `the validation ${data.metric} is not a number (the training diverged)`, 'lower the learning rate range');
    return { value, logLoss, epochs: member.info.epochs, bestEpoch: member.info.bestEpoch, stopReason: member.info.stopReason, seconds: (performance.now() - started) / 1000 };
  } finally {
    member.dispose();
  }
}

/**
 * ASHA's first rung by default: 3 epochs, or 20 boosting rounds (a booster's first few rounds say
 * little about where it ends); never above the full resource `max`.
 */
export function minResource(family: FamilyName, max: number): number {
  return Math.min(max, resourceKey(family) === 'rounds' ? 20 : 3);
}

/** The full resource of a trial (ASHA's maxResource): epochs or boosting rounds; 1 for the forest (never pruned). */
export function maxResource(family: FamilyName, params: Record<string, unknown>): number {
  const key = resourceKey(family);
  return key ? (resolveParams(family, params) as unknown as Record<typeof key, number>)[key] : 1;
}
