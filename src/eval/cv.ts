/**
 * `crossValidate`: stratified k-fold cross-validation. In each fold the training part is split
 * again for early stopping and model choice, and the held-out fold is scored. Reports mean
 * and standard deviation of every metric, the way peers are compared.
 * @example
 *   const cv = await crossValidate('credit-g.arff', { target: 'class', folds: 5 });
 *   console.log(cv.summary.rocAuc); // { mean, std }
 * @module
 */
import type { Table } from '../data/table.js';
import { LeptonError } from '../errors.js';
import { fitTarget } from '../prep/target.js';
import { stratifiedFolds, stratifiedSplit } from '../prep/split.js';
import { fitCandidates } from '../train/candidates.js';
import { loadInput, MIN_ROWS, type TrainOptions } from '../train/train.js';
import { reportFor } from './evaluate.js';
import type { EvalReport } from './metrics.js';

export interface CvOptions extends Omit<TrainOptions, 'testFraction'> {
  folds?: number;
  /** Called after each fold with its report. */
  onFold?: (fold: number, report: EvalReport, selected: string) => void;
}

export interface CvResult {
  folds: { report: EvalReport; selected: string }[];
  /** mean ± std (sample std) per scalar metric across folds. */
  summary: Record<string, { mean: number; std: number }>;
}

export async function crossValidate(data: Table | string, options: CvOptions): Promise<CvResult> {
  const k = options.folds ?? 5;
  if (!Number.isInteger(k) || k < 2) throw new LeptonError('E_OPTION', `--folds must be an integer ≥ 2 (got ${k})`, 'use --folds 5');
  const table = await loadInput(data, options.drop);
  const encoded = fitTarget(table, options.target, options.task);
  if (encoded.rows.length < Math.max(MIN_ROWS, 2 * k)) {
    throw new LeptonError('E_TARGET', `only ${encoded.rows.length} labelled rows for ${k} folds`, 'use fewer folds or more data');
  }
  const features = table.columnNames.filter((c) => c !== options.target);
  const seed = options.seed ?? 42;
  const folds = stratifiedFolds(encoded.y, k, seed);
  const results: CvResult['folds'] = [];
  for (let f = 0; f < k; f++) {
    const held = folds[f]!;
    const rest = Int32Array.from(folds.flatMap((fold, i) => (i === f ? [] : Array.from(fold))));
    const ySub = encoded.y instanceof Int32Array ? Int32Array.from(rest, (p) => encoded.y[p]!) : Float32Array.from(rest, (p) => encoded.y[p]!);
    const inner = stratifiedSplit(ySub, { val: options.valFraction ?? 0.15, test: 0 }, seed + f);
    const { model, leaderboard } = await fitCandidates(table, encoded, features, inner.train.map((i) => rest[i]!), inner.val.map((i) => rest[i]!), { ...options, seed });
    try {
      const out = await model.predictFeatures(model.pipeline.transform(table, held.map((p) => encoded.rows[p]!)));
      const y = encoded.y instanceof Int32Array ? Int32Array.from(held, (p) => encoded.y[p]!) : Float32Array.from(held, (p) => encoded.y[p]!);
      const report = reportFor(model, out, y);
      const selected = leaderboard.find((e) => e.selected)!.name;
      results.push({ report, selected });
      options.onFold?.(f + 1, report, selected);
    } finally {
      model.dispose();
    }
  }
  return { folds: results, summary: summarise(results.map((r) => r.report)) };
}

/** Scalar metrics of a report, flattened with readable names. */
export function scalarMetrics(r: EvalReport): Record<string, number> {
  if (r.task === 'regression') return { rmse: r.rmse, mae: r.mae, r2: r.r2 };
  const m: Record<string, number> = { accuracy: r.accuracy, logLoss: r.logLoss, macroF1: r.macro.f1, weightedF1: r.weighted.f1, macroPrecision: r.macro.precision, macroRecall: r.macro.recall };
  if (r.rocAuc !== null) m.rocAuc = r.rocAuc;
  return m;
}

function summarise(reports: EvalReport[]): CvResult['summary'] {
  const all = reports.map(scalarMetrics);
  const out: CvResult['summary'] = {};
  for (const key of Object.keys(all[0] ?? {})) {
    const v = all.map((m) => m[key]).filter((x): x is number => x !== undefined);
    const mean = v.reduce((s, x) => s + x, 0) / v.length;
    const std = v.length > 1 ? Math.sqrt(v.reduce((s, x) => s + (x - mean) ** 2, 0) / (v.length - 1)) : 0;
    out[key] = { mean, std };
  }
  return out;
}
