/**
 * How unsure a classifier is about a row, from its class probabilities: the scores active
 * learning ranks unlabelled rows by. Every score is in [0, 1], higher = more uncertain, so the
 * strategies are interchangeable.
 *
 * - `least-confident`: 1 − p(top class)
 * - `margin`: 1 − (p(top) − p(second)); the default, robust for two or many classes
 * - `entropy`: −Σ p·ln p / ln k (normalised by the entropy of k equal classes)
 * @example
 *   uncertainty([0.5, 0.5], 'margin');          // 1
 *   scoreRows(probs, 2, 'entropy');             // one score per row of a flat n × k array
 *   mostUncertain(scores, 20);                  // indices of the 20 most uncertain rows
 * @module
 */
import { LeptonError } from '../errors.js';

export const STRATEGIES = ['margin', 'entropy', 'least-confident'] as const;
export type Strategy = (typeof STRATEGIES)[number];

/** The strategy a user named, or an error listing the choices. */
export function parseStrategy(s: string): Strategy {
  if (!(STRATEGIES as readonly string[]).includes(s)) throw new LeptonError('E_OPTION', `unknown strategy '${s}'`, `use --strategy ${STRATEGIES.join(', ')}`);
  return s as Strategy;
}

/** Probabilities scaled to sum to 1 (float32 model outputs drift a little); negatives count as 0. */
function normalised(p: ArrayLike<number>): number[] {
  const v = Array.from(p, (x) => (Number.isFinite(x) && x > 0 ? x : 0));
  const sum = v.reduce((s, x) => s + x, 0);
  return sum > 0 ? v.map((x) => x / sum) : v.map(() => 1 / Math.max(1, v.length));
}

export function leastConfident(p: ArrayLike<number>): number {
  const v = normalised(p);
  return v.length === 0 ? 0 : 1 - Math.max(...v);
}

export function margin(p: ArrayLike<number>): number {
  const v = normalised(p).sort((a, b) => b - a);
  if (v.length < 2) return 0;
  return 1 - (v[0]! - v[1]!);
}

export function entropy(p: ArrayLike<number>): number {
  const v = normalised(p);
  if (v.length < 2) return 0;
  const h = v.reduce((s, x) => (x > 0 ? s - x * Math.log(x) : s), 0);
  return Math.min(1, Math.max(0, h / Math.log(v.length)));
}

/** The uncertainty of one row of class probabilities. */
export function uncertainty(p: ArrayLike<number>, strategy: Strategy): number {
  switch (strategy) {
    case 'margin':
      return margin(p);
    case 'entropy':
      return entropy(p);
    default:
      return leastConfident(p);
  }
}

/** One score per row of a flat row-major n × k probability array (what models return). */
export function scoreRows(probs: ArrayLike<number>, k: number, strategy: Strategy): Float64Array {
  if (k < 1 || probs.length % k !== 0) throw new LeptonError('E_VALUE', `${probs.length} probabilities do not make rows of ${k} classes`);
  const n = probs.length / k;
  const out = new Float64Array(n);
  const row = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < k; c++) row[c] = probs[i * k + c]!;
    out[i] = uncertainty(row, strategy);
  }
  return out;
}

/** Indices of the `count` highest scores, most uncertain first; ties keep the earlier index first. */
export function mostUncertain(scores: ArrayLike<number>, count: number): number[] {
  const idx = Array.from({ length: scores.length }, (_, i) => i);
  idx.sort((a, b) => scores[b]! - scores[a]! || a - b);
  return idx.slice(0, Math.max(0, count));
}
