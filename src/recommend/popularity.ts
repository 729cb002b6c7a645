/**
 * The popularity baseline: every history gets the same scores, each item's share of the
 * training interactions. It is also the cold-start answer of every recommender (an empty
 * history) and the tie-break of co-occurrence scores.
 * @module
 */
import { z } from 'zod';
import type { StTensor } from '../engine/safetensors.js';
import { LeptonError } from '../errors.js';
import type { FitInfo, Member } from '../models/member.js';
import { decodeHistories } from './histories.js';

export const PopularityParams = z.strictObject({});
export type PopularityParams = z.infer<typeof PopularityParams>;

/** Each item's share of the items in `sequences` (sums to 1; all zero only for empty data). */
export function itemShares(sequences: readonly number[][], items: number): Float32Array {
  const counts = new Float64Array(items);
  let total = 0;
  for (const s of sequences) for (const i of s) (counts[i]!++, total++);
  return Float32Array.from(counts, (c) => (total ? c / total : 0));
}

/** A member whose scores for a row depend on the row's items through stored tables (no network). */
export abstract class ScoreMember implements Member {
  readonly info: FitInfo = { epochs: 0, bestEpoch: 0, stopReason: 'counted' };
  constructor(
    readonly family: 'popularity' | 'cooccurrence',
    readonly params: Record<string, unknown>,
    protected readonly seqLen: number,
    protected readonly shares: Float32Array,
  ) {}

  /** Scores of every item for one history. */
  protected abstract score(history: readonly number[], out: Float32Array): void;

  predictSync(x: Float32Array): Float32Array {
    const rows = decodeHistories(x, this.seqLen);
    const m = this.shares.length;
    const out = new Float32Array(rows.length * m);
    rows.forEach((h, r) => this.score(h, out.subarray(r * m, (r + 1) * m)));
    return out;
  }

  predict(x: Float32Array): Promise<Float32Array> {
    return Promise.resolve(this.predictSync(x));
  }

  tensors(prefix: string): Map<string, StTensor> {
    return new Map([[`${prefix}shares`, { dtype: 'F32', shape: [this.shares.length], data: this.shares }]]);
  }

  dispose(): void {}
}

class PopularityMember extends ScoreMember {
  protected score(_history: readonly number[], out: Float32Array): void {
    out.set(this.shares);
  }
}

export function fitPopularity(train: readonly number[][], items: number, seqLen: number): Member {
  return new PopularityMember('popularity', {}, seqLen, itemShares(train, items));
}

/** A stored tensor of the expected shape, or E_MODEL_FILE. */
export function storedTensor(tensors: ReadonlyMap<string, StTensor>, name: string, shape: readonly number[]): Float32Array {
  const t = tensors.get(name);
  if (!t || t.dtype !== 'F32' || t.shape.join() !== shape.join()) {
    throw new LeptonError('E_MODEL_FILE', `the model file lacks tensor '${name}' [${shape.join(', ')}] or it has another shape`, 'train the model again');
  }
  return t.data as Float32Array;
}

export function loadPopularity(tensors: ReadonlyMap<string, StTensor>, prefix: string, items: number, seqLen: number): Member {
  return new PopularityMember('popularity', {}, seqLen, storedTensor(tensors, `${prefix}shares`, [items]));
}
