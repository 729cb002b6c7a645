/**
 * A bagged member: the K models AutoML trained for its out-of-fold predictions (one per fold,
 * each on the other K − 1 folds), kept and averaged instead of one model refitted on every row —
 * k-fold bagging, as AutoGluon ships its models. The average has lower variance than a refit
 * (an MLP or boosted trees differ from fold to fold), and it is exactly the model whose
 * out-of-fold predictions chose the ensemble weights. It costs K predictions per row.
 * @example
 *   const m = new BaggedMember(foldModels);   // same family and parameters, one per fold
 *   const p = await m.predict(x);             // their mean
 * @module
 */
import type { StTensor } from '../engine/safetensors.js';
import { blend } from './blend.js';
import type { FitInfo, Member } from './member.js';

export class BaggedMember implements Member {
  readonly family: Member['family'];
  readonly params: Member['params'];
  readonly info: FitInfo;

  /** Takes ownership of `folds` (disposed with this member). */
  constructor(readonly folds: readonly Member[]) {
    const first = folds[0];
    // Internal invariants (AutoML and the loader build these), not user input.
    if (!first || folds.some((m) => m.family !== first.family)) throw new Error('a bagged member averages one or more models of one family');
    [this.family, this.params, this.info] = [first.family, first.params, first.info];
  }

  // One fold after another: each prediction already uses the engine's threads.
  async predict(x: Float32Array): Promise<Float32Array> {
    const outs: Float32Array[] = [];
    for (const m of this.folds) outs.push(await m.predict(x));
    return average(outs);
  }

  predictSync(x: Float32Array): Float32Array {
    return average(this.folds.map((m) => m.predictSync(x)));
  }

  /** Fold j's tensors under `${prefix}f${j}.` (the artifact's member entry records the count). */
  tensors(prefix: string): Map<string, StTensor> {
    const out = new Map<string, StTensor>();
    this.folds.forEach((m, j) => {
      for (const [k, v] of m.tensors(`${prefix}f${j}.`)) out.set(k, v);
    });
    return out;
  }

  dispose(): void {
    for (const m of this.folds) m.dispose();
  }
}

const average = (outs: readonly Float32Array[]): Float32Array => (outs.length === 1 ? outs[0]! : blend(outs, outs.map(() => 1)));
