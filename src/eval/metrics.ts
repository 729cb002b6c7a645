/**
 * Evaluation metrics over predicted probabilities / values: classification report, confusion
 * matrix, ROC-AUC (binary; one-vs-rest macro for multi-class), log-loss, accuracy; RMSE, MAE,
 * R² for regression. Plain O(n log n) bookkeeping; no tensor math happens here.
 * @module
 */

export interface ClassMetrics {
  label: string;
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

export interface ClassificationReport {
  task: 'classification';
  n: number;
  accuracy: number;
  /** null when only one class is present in the labels. */
  rocAuc: number | null;
  logLoss: number;
  perClass: ClassMetrics[];
  macro: Omit<ClassMetrics, 'label'>;
  weighted: Omit<ClassMetrics, 'label'>;
  /** confusion[actual][predicted] */
  confusion: number[][];
  classes: string[];
}

export interface RegressionReport {
  task: 'regression';
  n: number;
  rmse: number;
  mae: number;
  r2: number;
}

export type EvalReport = ClassificationReport | RegressionReport;

/** Area under the ROC curve from scores of positives vs negatives (Mann–Whitney U, ties averaged). */
export function rocAuc(scores: ArrayLike<number>, positive: ArrayLike<boolean>): number | null {
  const n = scores.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  let nPos = 0;
  let rankSum = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && scores[order[j + 1]!] === scores[order[i]!]) j++;
    const avgRank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) {
      if (positive[order[k]!]) {
        nPos++;
        rankSum += avgRank;
      }
    }
    i = j + 1;
  }
  const nNeg = n - nPos;
  if (nPos === 0 || nNeg === 0) return null;
  return (rankSum - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}

/** Macro one-vs-rest ROC-AUC over classes present in `y` (binary: AUC of class 1). */
export function multiclassAuc(proba: Float32Array, y: Int32Array, k: number): number | null {
  const col = (c: number) => Float64Array.from(y, (_, i) => proba[i * k + c]!);
  if (k === 2) return rocAuc(col(1), Array.from(y, (v) => v === 1));
  const aucs: number[] = [];
  for (let c = 0; c < k; c++) {
    const a = rocAuc(col(c), Array.from(y, (v) => v === c));
    if (a !== null) aucs.push(a);
  }
  return aucs.length ? aucs.reduce((s, a) => s + a, 0) / aucs.length : null;
}

export function logLoss(proba: Float32Array, y: Int32Array, k: number): number {
  const eps = 1e-15;
  let s = 0;
  for (let i = 0; i < y.length; i++) s -= Math.log(Math.min(1 - eps, Math.max(eps, proba[i * k + y[i]!]!)));
  return s / y.length;
}

export function argmax(proba: Float32Array, k: number): Int32Array {
  const n = proba.length / k;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < k; c++) if (proba[i * k + c]! > proba[i * k + best]!) best = c;
    out[i] = best;
  }
  return out;
}

export function classificationReport(proba: Float32Array, y: Int32Array, classes: string[]): ClassificationReport {
  const k = classes.length;
  const pred = argmax(proba, k);
  const confusion = classes.map(() => new Array<number>(k).fill(0));
  let correct = 0;
  y.forEach((a, i) => {
    confusion[a]![pred[i]!]!++;
    if (a === pred[i]) correct++;
  });
  const perClass = classes.map((label, c) => {
    const tp = confusion[c]![c]!;
    const support = confusion[c]!.reduce((s, v) => s + v, 0);
    const predicted = confusion.reduce((s, row) => s + row[c]!, 0);
    const precision = predicted ? tp / predicted : 0;
    const recall = support ? tp / support : 0;
    const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
    return { label, precision, recall, f1, support };
  });
  const avg = (w: (m: ClassMetrics) => number) => {
    const total = perClass.reduce((s, m) => s + w(m), 0) || 1;
    const mean = (f: (m: ClassMetrics) => number) => perClass.reduce((s, m) => s + f(m) * w(m), 0) / total;
    return { precision: mean((m) => m.precision), recall: mean((m) => m.recall), f1: mean((m) => m.f1), support: y.length };
  };
  return {
    task: 'classification',
    n: y.length,
    accuracy: correct / y.length,
    rocAuc: multiclassAuc(proba, y, k),
    logLoss: logLoss(proba, y, k),
    perClass,
    macro: avg(() => 1),
    weighted: avg((m) => m.support),
    confusion,
    classes,
  };
}

export function regressionReport(pred: ArrayLike<number>, y: ArrayLike<number>): RegressionReport {
  const n = y.length;
  let se = 0;
  let ae = 0;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += y[i]! / n;
  let ss = 0;
  for (let i = 0; i < n; i++) {
    const e = pred[i]! - y[i]!;
    se += e * e;
    ae += Math.abs(e);
    ss += (y[i]! - mean) ** 2;
  }
  return { task: 'regression', n, rmse: Math.sqrt(se / n), mae: ae / n, r2: ss > 0 ? 1 - se / ss : 0 };
}

/** The score model selection maximises: ROC-AUC (then -log-loss) or -RMSE. */
export function selectionScore(r: EvalReport): number {
  if (r.task === 'regression') return -r.rmse;
  return r.rocAuc ?? -r.logLoss;
}

/**
 * One standard error of the selection score on a validation set of this size: AUC by Hanley &
 * McNeil (1982), treating multi-class as one class against the rest; RMSE by RMSE/√(2n).
 * Model choice treats differences smaller than this as noise.
 */
export function selectionTolerance(r: EvalReport): number {
  if (r.task === 'regression') return r.rmse / Math.sqrt(2 * r.n);
  const a = r.rocAuc;
  if (a === null) return 0;
  const k = r.classes.length;
  const nPos = k === 2 ? r.perClass[1]!.support : r.n / k;
  const nNeg = r.n - nPos;
  if (nPos < 1 || nNeg < 1) return 0;
  const q1 = a / (2 - a);
  const q2 = (2 * a * a) / (1 + a);
  return Math.sqrt((a * (1 - a) + (nPos - 1) * (q1 - a * a) + (nNeg - 1) * (q2 - a * a)) / (nPos * nNeg));
}
