/**
 * Ranking metrics for next-item prediction with the leave-last-out protocol: every case ranks
 * all items (no sampled negatives), items already in the case's history left out, ties broken
 * by item index (the order `topK` returns). HR@K is the share of cases whose held-out item is
 * in the top K; NDCG@K gives a hit at rank r the gain 1 / log2(r + 1) (one relevant item, so
 * the ideal DCG is 1).
 * @example
 *   const r = rankingMetrics(scores, cases, 10); // { hr: 0.41, ndcg: 0.22, cases: 4000 }
 * @module
 */
import type { Case } from './histories.js';

export interface RankingMetrics {
  /** Hit rate at K. */
  hr: number;
  /** Normalised discounted cumulative gain at K. */
  ndcg: number;
  k: number;
  cases: number;
}

/** 1-based rank of `target` among the items of `scores` not in `exclude` (higher score first, ties by index). */
export function rankOf(scores: ArrayLike<number>, target: number, exclude: ReadonlySet<number>): number {
  const s = scores[target]!;
  let rank = 1;
  for (let j = 0; j < scores.length; j++) {
    if (j === target || exclude.has(j)) continue;
    const v = scores[j]!;
    if (v > s || (v === s && j < target)) rank++;
  }
  return rank;
}

/** The k best items of `scores` not in `exclude`, best first (ties by index). */
export function topK(scores: ArrayLike<number>, k: number, exclude: ReadonlySet<number> = new Set()): number[] {
  const idx: number[] = [];
  for (let j = 0; j < scores.length; j++) if (!exclude.has(j)) idx.push(j);
  idx.sort((a, b) => scores[b]! - scores[a]! || a - b);
  return idx.slice(0, k);
}

export function hitRate(ranks: readonly number[], k: number): number {
  return ranks.length ? ranks.filter((r) => r <= k).length / ranks.length : Number.NaN;
}

export function ndcg(ranks: readonly number[], k: number): number {
  return ranks.length ? ranks.reduce((s, r) => s + (r <= k ? 1 / Math.log2(r + 1) : 0), 0) / ranks.length : Number.NaN;
}

/** HR@k and NDCG@k of n × items `scores` (row i scores `cases[i]`). */
export function rankingMetrics(scores: Float32Array, cases: readonly Case[], k = 10): RankingMetrics {
  const items = cases.length ? scores.length / cases.length : 0;
  const ranks = cases.map((c, i) => {
    // A history that holds the target (repeat purchases in event data) still ranks it: only the
    // other history items are left out, so a repeat is not an automatic miss.
    const exclude = new Set(c.history.filter((h) => h !== c.target));
    return rankOf(scores.subarray(i * items, (i + 1) * items), c.target, exclude);
  });
  return { hr: hitRate(ranks, k), ndcg: ndcg(ranks, k), k, cases: cases.length };
}
