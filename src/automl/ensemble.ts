/**
 * Ensembling from out-of-fold (OOF) predictions: the per-row loss, a weighted average chosen by
 * greedy forward selection with replacement (Caruana et al. 2004, "Ensemble Selection from
 * Libraries of Models", as auto-sklearn does it), stacking with a (multinomial) logistic or
 * linear meta-model, and the rule that decides whether an ensemble is kept.
 *
 * Numeric code on plain arrays, unit-tested on constructed predictions; the one fit, the
 * stacking meta-model, is the engine's (L-BFGS logistic or linear regression).
 *
 * Outputs are row-major n × k: class probabilities (classification, k = number of classes) or
 * standardised values (regression, k = 1), as `Member.predict` returns them.
 * @module
 */
import { applyStack, metaFeatures, type Stack } from '../models/stacking.js';
import { resolveParams, type TorchParams } from '../models/spec.js';
import { fitTorch } from '../models/torch-family.js';
import type { Task } from '../prep/target.js';

const EPS = 1e-15;

/**
 * Per-row loss of predictions: log-loss (classification) or squared error (regression). Both are
 * proper scores that average over rows, so paired per-row differences give a standard error.
 */
export function rowLosses(out: ArrayLike<number>, y: ArrayLike<number>, k: number, task: Task): Float64Array {
  const n = y.length;
  const loss = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    if (task === 'classification') loss[i] = -Math.log(Math.min(1 - EPS, Math.max(EPS, out[i * k + y[i]!]!)));
    else loss[i] = (out[i]! - y[i]!) ** 2;
  }
  return loss;
}

export const mean = (v: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]!;
  return v.length ? s / v.length : NaN;
};

/** Weighted average of member outputs (weights need not be normalised); the model's own, re-exported. */
export { blend } from '../models/blend.js';

/**
 * Non-negative weights summing to one that minimise the mean OOF loss of the weighted average:
 * greedy forward selection with replacement, `steps` times (default 50, so weights are multiples
 * of 1/50), starting from the best single member. Each step adds the member whose addition gives
 * the lowest loss; ties go to the earlier member. A member that never helps keeps weight 0.
 */
export function greedyWeights(outs: readonly ArrayLike<number>[], y: ArrayLike<number>, k: number, task: Task, steps = 50): number[] {
  const m = outs.length;
  const counts = new Array<number>(m).fill(0);
  const len = outs[0]!.length;
  const sum = new Float64Array(len);
  for (let s = 0; s < steps; s++) {
    let best = -1;
    let bestLoss = Infinity;
    for (let j = 0; j < m; j++) {
      const o = outs[j]!;
      const trial = new Float64Array(len);
      for (let i = 0; i < len; i++) trial[i] = (sum[i]! + o[i]!) / (s + 1);
      const l = mean(rowLosses(trial, y, k, task));
      if (l < bestLoss - 1e-12) [best, bestLoss] = [j, l];
    }
    counts[best]!++;
    const o = outs[best]!;
    for (let i = 0; i < len; i++) sum[i] = sum[i]! + o[i]!;
  }
  return counts.map((c) => c / steps);
}

/** Mean and standard error of paired per-row differences a − b. */
export function pairedDifference(a: ArrayLike<number>, b: ArrayLike<number>): { mean: number; se: number } {
  const n = a.length;
  const d = Float64Array.from({ length: n }, (_, i) => a[i]! - b[i]!);
  const mu = mean(d);
  let ss = 0;
  for (const v of d) ss += (v - mu) ** 2;
  const sd = n > 1 ? Math.sqrt(ss / (n - 1)) : 0;
  return { mean: mu, se: n > 0 ? sd / Math.sqrt(n) : 0 };
}

export interface KeepDecision {
  keep: boolean;
  /** Mean per-row loss improvement of the ensemble over the best single member (positive = better). */
  gain: number;
  /** One standard error of that improvement. */
  se: number;
  reason: string;
}

/**
 * The keep rule: an ensemble replaces the best single member only when its mean OOF loss is lower
 * by MORE than one standard error of the paired per-row difference, and it has at least two
 * members with positive weight. Weights chosen on the same OOF rows are optimistic; the one-SE
 * margin (the rule `train` uses between candidates) absorbs that and plain noise.
 */
export function keepEnsemble(bestSingle: ArrayLike<number>, ensemble: ArrayLike<number>, members: number): KeepDecision {
  const { mean: gain, se } = pairedDifference(bestSingle, ensemble);
  if (members < 2) return { keep: false, gain, se, reason: 'the weights put everything on one member' };
  if (gain > se) return { keep: true, gain, se, reason: `the ensemble lowers the OOF loss by ${gain.toFixed(4)} > 1 SE (${se.toFixed(4)})` };
  return { keep: false, gain, se, reason: `the ensemble lowers the OOF loss by ${gain.toFixed(4)}, not more than 1 SE (${se.toFixed(4)}): within noise` };
}

// ── stacking ───────────────────────────────────────────────────────────────

export interface LinearMeta extends Stack {
  predict(x: Float64Array, n: number): Float32Array;
}

/**
 * Fits the meta-model on standardised features with a small L2 penalty on the coefficients
 * (the intercepts free): multinomial logistic regression on log-loss (classification) or least
 * squares (regression), solved by the engine's L-BFGS (the logistic family, src/models/torch-family.ts).
 * It returns the stored `Stack` (coefficients per output after standardising the features,
 * intercepts, the standardisation) with its predict.
 */
export async function fitMeta(x: Float64Array, n: number, d: number, y: ArrayLike<number>, k: number, task: Task, options: { l2?: number } = {}): Promise<LinearMeta> {
  const mu = new Float64Array(d);
  const sd = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let f = 0; f < d; f++) mu[f] = mu[f]! + x[i * d + f]! / n;
  for (let i = 0; i < n; i++) for (let f = 0; f < d; f++) sd[f] = sd[f]! + (x[i * d + f]! - mu[f]!) ** 2 / n;
  for (let f = 0; f < d; f++) sd[f] = Math.sqrt(sd[f]!) || 1;
  const z = Float32Array.from(x, (v, idx) => (v - mu[idx % d]!) / sd[idx % d]!);
  const classification = task === 'classification';
  const labels = classification ? Int32Array.from(y) : Float32Array.from(y);
  const params = resolveParams('logistic', { weightDecay: options.l2 ?? 1e-3 }) as TorchParams;
  const member = await fitTorch('logistic', params, { x: z, y: labels }, undefined, { task, numClasses: classification ? k : 1, numFeatures: d, seed: 0, torchThreads: 1, xgbThreads: 1 });
  let weight: Float32Array;
  let bias: Float32Array;
  try {
    const t = member.tensors('');
    weight = t.get('0.weight')!.data as Float32Array;
    bias = t.get('0.bias')!.data as Float32Array;
  } finally {
    member.dispose();
  }
  const out = bias.length;
  const stack: Stack = { mean: Array.from(mu), std: Array.from(sd), coef: Array.from({ length: out }, (_, c) => Array.from(weight.subarray(c * d, c * d + d))), intercept: Array.from(bias) };
  return { ...stack, predict: (xx: Float64Array, nn: number) => applyStack(stack, xx, nn, task) };
}

/**
 * Cross-validated stacking: for each fold, the meta-model is fitted on the other folds' OOF
 * outputs and predicts this fold, so its score is an honest OOF score comparable to the others.
 * Returns those predictions and the meta-model fitted on all rows (for the report).
 */
export async function stackOof(outs: readonly ArrayLike<number>[], y: ArrayLike<number>, folds: readonly Int32Array[], k: number, task: Task): Promise<{ oof: Float32Array; meta: LinearMeta }> {
  const n = y.length;
  const out = task === 'classification' ? k : 1;
  const { x, d } = metaFeatures(outs, n, k, task);
  const oof = new Float32Array(n * out);
  const take = (pos: Int32Array) => {
    const xs = new Float64Array(pos.length * d);
    pos.forEach((p, i) => xs.set(x.subarray(p * d, p * d + d), i * d));
    return xs;
  };
  for (const [f, held] of folds.entries()) {
    const rest = Int32Array.from(folds.flatMap((fold, i) => (i === f ? [] : Array.from(fold))));
    const meta = await fitMeta(take(rest), rest.length, d, Array.from(rest, (p) => y[p]!), k, task);
    const pred = meta.predict(take(held), held.length);
    held.forEach((p, i) => oof.set(pred.subarray(i * out, i * out + out), p * out));
  }
  return { oof, meta: await fitMeta(x, n, d, y, k, task) };
}
