/**
 * Item-item co-occurrence in history order: how many training histories hold item i somewhere
 * before item j ("bought i, then j"; for randomly ordered baskets this is half the symmetric
 * count in expectation), normalised; a history scores item j by the rows of its items, the item
 * `a` steps back from the most recent weighted decay^a (1: all items alike, 0: only the last one,
 * an item-to-item Markov chain). Dense items × items, so it suits catalogues up to ~20,000 items.
 * - count: raw counts (favours popular items);
 * - conditional: count / nᵢ (nᵢ = histories holding i), the share of i's histories where j follows;
 * - cosine: count / √(nᵢ·nⱼ);
 * - lift: count · N / (nᵢ·nⱼ) (favours rare items);
 * - ease: the item-item weights of EASE (Steck 2019), a ridge regression of every item on all the
 *   others over the order-free co-occurrence (Gram) matrix G, in closed form: P = (G + λI)⁻¹,
 *   B = -P / diag(P) by column, diag(B) = 0; λ a multiple of G's mean diagonal. Unlike the
 *   counts it discounts items that are only explained by other items of the history.
 * A tiny popularity term breaks ties, so items that never co-occur still rank by popularity.
 * Parameters left open are chosen on the validation cases (best HR@10, then NDCG@10) among the
 * normalisations (λ among three multiples for ease) and decays 1, 0.5 and 0.
 * @module
 */
import { z } from 'zod';
import { addon, callNativeSync } from '../engine/addon.js';
import type { StTensor } from '../engine/safetensors.js';
import { LeptonError } from '../errors.js';
import type { Member } from '../models/member.js';
import { encodeHistories, type Case } from './histories.js';
import { rankingMetrics } from './metrics.js';
import { itemShares, ScoreMember, storedTensor } from './popularity.js';

export const NORMALISATIONS = ['count', 'conditional', 'cosine', 'lift', 'ease'] as const;
type Normalisation = (typeof NORMALISATIONS)[number];
const DECAYS = [1, 0.5, 0];
/** EASE's λ as multiples of the Gram matrix's mean diagonal (histories per item). */
const EASE_LAMBDAS = [0.1, 0.3, 1];
/** The inverse is items³ work on the event loop: EASE stops here. */
const MAX_EASE_ITEMS = 4_000;
export const CooccurrenceParams = z.strictObject({ normalise: z.enum(NORMALISATIONS).optional(), decay: z.number().min(0).max(1).optional(), lambda: z.number().positive().optional() });
export type CooccurrenceParams = z.infer<typeof CooccurrenceParams>;

const MAX_ITEMS = 20_000;
const TIE_BREAK = 1e-6;

class CooccurrenceMember extends ScoreMember {
  constructor(
    private readonly chosen: { normalise: Normalisation; decay: number; lambda?: number },
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

function normalised(kind: Exclude<Normalisation, 'ease'>, c: { pairs: Float64Array; holding: Float64Array }, m: number, histories: number): Float32Array {
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

/** EASE's weights B from the order-free counts: G[i][j] = histories holding both, G[i][i] = holding i. */
function easeWeights(c: { pairs: Float64Array; holding: Float64Array }, m: number, lambda: number): Float32Array {
  const g = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < m; j++) g[i * m + j] = i === j ? c.holding[i]! + lambda : c.pairs[i * m + j]! + c.pairs[j * m + i]!;
  }
  const p = callNativeSync('EASE item weights', () => addon().inverse(g, m));
  const out = new Float32Array(m * m);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < m; j++) if (i !== j) out[i * m + j] = -p[i * m + j]! / p[j * m + j]!;
  }
  return out;
}

/** Fits on the training sequences; `val` chooses the normalisation when the params leave it open. */
export function fitCooccurrence(params: CooccurrenceParams, train: readonly number[][], items: number, seqLen: number, val: readonly Case[]): Member {
  if (items > MAX_ITEMS) throw new LeptonError('E_OPTION', `co-occurrence keeps a dense ${items} × ${items} matrix; it is limited to ${MAX_ITEMS} items`, 'use --model gru or --model sasrec for large catalogues');
  const counts = countPairs(train, items);
  const shares = itemShares(train, items);
  const meanHolding = counts.holding.reduce((a, b) => a + b, 0) / items || 1;
  const matrices = new Map<string, Float32Array>();
  const build = (normalise: Normalisation, decay: number, lambda: number | undefined) => {
    const key = `${normalise} ${lambda ?? ''}`;
    if (!matrices.has(key)) matrices.set(key, normalise === 'ease' ? easeWeights(counts, items, lambda!) : normalised(normalise, counts, items, train.length));
    return new CooccurrenceMember({ normalise, decay, ...(lambda !== undefined ? { lambda } : {}) }, seqLen, shares, matrices.get(key)!);
  };
  const easeOk = items <= MAX_EASE_ITEMS;
  if (params.normalise === 'ease' && !easeOk) throw new LeptonError('E_OPTION', `EASE inverts a ${items} × ${items} matrix; it is limited to ${MAX_EASE_ITEMS} items`, 'use another normalisation (count, conditional, cosine, lift) or --model gru');
  const x = encodeHistories(val.map((c) => c.history), seqLen);
  let best: { member: Member; hr: number; ndcg: number } | undefined;
  for (const normalise of params.normalise ? [params.normalise] : NORMALISATIONS.filter((n) => n !== 'ease' || easeOk)) {
    const lambdas = normalise !== 'ease' ? [undefined] : params.lambda !== undefined ? [params.lambda] : EASE_LAMBDAS.map((f) => f * meanHolding);
    for (const lambda of lambdas) {
      for (const decay of params.decay !== undefined ? [params.decay] : DECAYS) {
        const member = build(normalise, decay, lambda);
        if (!val.length) return member;
        const r = rankingMetrics(member.predictSync(x), val, 10);
        if (!best || r.hr > best.hr || (r.hr === best.hr && r.ndcg > best.ndcg)) best = { member, hr: r.hr, ndcg: r.ndcg };
      }
    }
  }
  return best!.member;
}

export function loadCooccurrence(params: CooccurrenceParams, tensors: ReadonlyMap<string, StTensor>, prefix: string, items: number, seqLen: number): Member {
  const shares = storedTensor(tensors, `${prefix}shares`, [items]);
  return new CooccurrenceMember({ normalise: params.normalise ?? 'cosine', decay: params.decay ?? 1, ...(params.lambda !== undefined ? { lambda: params.lambda } : {}) }, seqLen, shares, storedTensor(tensors, `${prefix}matrix`, [items, items]));
}
