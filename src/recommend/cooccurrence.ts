/**
 * Item-item co-occurrence in history order: how many training histories hold item i somewhere
 * before item j ("bought i, then j"; for randomly ordered baskets this is half the symmetric
 * count in expectation), normalised; a history scores item j by the rows of its items, the item
 * `a` steps back from the most recent weighted decay^a (1: all items alike, 0: only the last one,
 * an item-to-item Markov chain). Dense items × items, so it suits catalogues up to ~20,000 items.
 * - count: raw counts (favours popular items);
 * - conditional: count / nᵢ (nᵢ = histories holding i), the share of i's histories where j follows;
 * - cosine: count / √(nᵢ·nⱼ);
 * - lift: count · N / (nᵢ·nⱼ) (favours rare items).
 * A tiny popularity term breaks ties, so items that never co-occur still rank by popularity.
 * Parameters left open are chosen on the validation cases (best HR@10, then NDCG@10) among the
 * four normalisations and decays 1, 0.5 and 0.
 * @module
 */
import { z } from 'zod';
import type { StTensor } from '../engine/safetensors.js';
import { LeptonError } from '../errors.js';
import type { Member } from '../models/member.js';
import { encodeHistories, type Case } from './histories.js';
import { rankingMetrics } from './metrics.js';
import { itemShares, ScoreMember, storedTensor } from './popularity.js';

export const NORMALISATIONS = ['count', 'conditional', 'cosine', 'lift'] as const;
const DECAYS = [1, 0.5, 0];
export const CooccurrenceParams = z.strictObject({ normalise: z.enum(NORMALISATIONS).optional(), decay: z.number().min(0).max(1).optional() });
export type CooccurrenceParams = z.infer<typeof CooccurrenceParams>;

const MAX_ITEMS = 20_000;
const TIE_BREAK = 1e-6;

class CooccurrenceMember extends ScoreMember {
  constructor(
    private readonly chosen: { normalise: (typeof NORMALISATIONS)[number]; decay: number },
    seqLen: number,
    shares: Float32Array,
    private readonly matrix: Float32Array,
  ) {
    super('cooccurrence', chosen, seqLen, shares);
  }

  protected score(history: readonly number[], out: Float32Array): void {
    const m = this.shares.length;
    for (let j = 0; j < m; j++) out[j] = TIE_BREAK * this.shares[j]!;
    const decay = this.chosen.decay;
    let w = 1;
    for (let a = history.length - 1; a >= 0 && w > 0; a--, w *= decay) {
      const i = history[a]!;
      const row = this.matrix.subarray(i * m, (i + 1) * m);
      for (let j = 0; j < m; j++) out[j] = out[j]! + w * row[j]!;
    }
  }

  override tensors(prefix: string): Map<string, StTensor> {
    const m = this.shares.length;
    return super.tensors(prefix).set(`${prefix}matrix`, { dtype: 'F32', shape: [m, m], data: this.matrix });
  }
}

/** Histories holding i before j (each history once per pair, i ≠ j) and histories holding i. */
function countPairs(train: readonly number[][], m: number): { pairs: Float64Array; holding: Float64Array } {
  const pairs = new Float64Array(m * m);
  const holding = new Float64Array(m);
  const seen = new Uint8Array(m * m);
  for (const s of train) {
    const touched: number[] = [];
    const before = new Set<number>();
    for (const j of s) {
      for (const i of before) {
        if (i === j || seen[i * m + j]) continue;
        seen[i * m + j] = 1;
        touched.push(i * m + j);
        pairs[i * m + j]!++;
      }
      if (!before.has(j)) (before.add(j), holding[j]!++);
    }
    for (const t of touched) seen[t] = 0;
  }
  return { pairs, holding };
}

function normalised(kind: (typeof NORMALISATIONS)[number], c: { pairs: Float64Array; holding: Float64Array }, m: number, histories: number): Float32Array {
  const out = new Float32Array(m * m);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < m; j++) {
      const v = c.pairs[i * m + j]!;
      if (!v) continue;
      const ni = c.holding[i]!;
      const nj = c.holding[j]!;
      out[i * m + j] = kind === 'count' ? v : kind === 'conditional' ? v / ni : kind === 'cosine' ? v / Math.sqrt(ni * nj) : (v * histories) / (ni * nj);
    }
  }
  return out;
}

/** Fits on the training sequences; `val` chooses the normalisation when the params leave it open. */
export function fitCooccurrence(params: CooccurrenceParams, train: readonly number[][], items: number, seqLen: number, val: readonly Case[]): Member {
  if (items > MAX_ITEMS) throw new LeptonError('E_OPTION', `co-occurrence keeps a dense ${items} × ${items} matrix; it is limited to ${MAX_ITEMS} items`, 'use --model gru or --model sasrec for large catalogues');
  const counts = countPairs(train, items);
  const shares = itemShares(train, items);
  const matrices = new Map<string, Float32Array>();
  const build = (normalise: (typeof NORMALISATIONS)[number], decay: number) => {
    if (!matrices.has(normalise)) matrices.set(normalise, normalised(normalise, counts, items, train.length));
    return new CooccurrenceMember({ normalise, decay }, seqLen, shares, matrices.get(normalise)!);
  };
  const x = encodeHistories(val.map((c) => c.history), seqLen);
  let best: { member: Member; hr: number; ndcg: number } | undefined;
  for (const normalise of params.normalise ? [params.normalise] : NORMALISATIONS) {
    for (const decay of params.decay !== undefined ? [params.decay] : DECAYS) {
      const member = build(normalise, decay);
      if (!val.length) return member;
      const r = rankingMetrics(member.predictSync(x), val, 10);
      if (!best || r.hr > best.hr || (r.hr === best.hr && r.ndcg > best.ndcg)) best = { member, hr: r.hr, ndcg: r.ndcg };
    }
  }
  return best!.member;
}

export function loadCooccurrence(params: CooccurrenceParams, tensors: ReadonlyMap<string, StTensor>, prefix: string, items: number, seqLen: number): Member {
  const shares = storedTensor(tensors, `${prefix}shares`, [items]);
  return new CooccurrenceMember({ normalise: params.normalise ?? 'cosine', decay: params.decay ?? 1 }, seqLen, shares, storedTensor(tensors, `${prefix}matrix`, [items, items]));
}
