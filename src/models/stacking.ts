/**
 * A stacked ensemble's combiner, as the model format stores it (manifest `stack`): a linear
 * meta-model over the members' outputs that AutoML fits on out-of-fold predictions
 * (src/automl/ensemble.ts). Features per member: the log-odds of the positive class (two
 * classes), the log-probability of each class (more), or the standardised value (regression);
 * standardised with the stored means and deviations, then softmax(coef · z + intercept) for
 * classes or coef · z + intercept for a value.
 * @module
 */
import { z } from 'zod';
import type { Task } from '../prep/target.js';

export const StackZ = z.object({
  /** Feature means and deviations the meta-model standardises with. */
  mean: z.array(z.number()),
  std: z.array(z.number().positive()),
  /** One row of coefficients per output (class, or the one value). */
  coef: z.array(z.array(z.number())),
  intercept: z.array(z.number()),
});
export type Stack = z.infer<typeof StackZ>;

/** Meta-features of member outputs (n × k each), row-major n × d. */
export function metaFeatures(outs: readonly ArrayLike<number>[], n: number, k: number, task: Task): { x: Float64Array; d: number } {
  const per = task === 'classification' ? (k === 2 ? 1 : k) : 1;
  const d = outs.length * per;
  const x = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    outs.forEach((o, j) => {
      if (task === 'regression') x[i * d + j] = o[i]!;
      else if (k === 2) {
        const p = Math.min(1 - 1e-7, Math.max(1e-7, o[i * 2 + 1]!));
        x[i * d + j] = Math.log(p / (1 - p));
      } else for (let c = 0; c < k; c++) x[i * d + j * k + c] = Math.log(Math.max(1e-7, o[i * k + c]!));
    });
  }
  return { x, d };
}

/** The meta-model's outputs for row i of standardised features z (n × d): probabilities, or the value. */
function metaScores(coef: readonly ArrayLike<number>[], intercept: ArrayLike<number>, z: Float64Array, i: number, d: number, task: Task): Float64Array {
  const out = coef.length;
  const s = new Float64Array(out);
  for (let c = 0; c < out; c++) {
    let v = intercept[c]!;
    for (let f = 0; f < d; f++) v += coef[c]![f]! * z[i * d + f]!;
    s[c] = v;
  }
  if (task === 'classification') {
    const m = Math.max(...s);
    let t = 0;
    for (let c = 0; c < out; c++) t += s[c] = Math.exp(s[c]! - m);
    for (let c = 0; c < out; c++) s[c] = s[c]! / t;
  }
  return s;
}

/** The stack's outputs (n × outputs) for meta-features x (n × d). */
export function applyStack(stack: Stack, x: Float64Array, n: number, task: Task): Float32Array {
  const d = stack.mean.length;
  const zz = Float64Array.from(x, (v, idx) => (v - stack.mean[idx % d]!) / stack.std[idx % d]!);
  const out = stack.coef.length;
  const res = new Float32Array(n * out);
  for (let i = 0; i < n; i++) res.set(metaScores(stack.coef, stack.intercept, zz, i, d, task), i * out);
  return res;
}

/** The stacked prediction from the members' outputs (each n × k). */
export function predictStack(stack: Stack, outs: readonly Float32Array[], k: number, task: Task): Float32Array {
  const n = outs[0]!.length / k;
  return applyStack(stack, metaFeatures(outs, n, k, task).x, n, task);
}
