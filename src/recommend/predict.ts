/**
 * Recommendations for one history of item names: the model's top-k items with their scores,
 * the history's own items left out. Names the model does not know are ignored and listed (a
 * catalogue grows; one new item should not fail a request). An empty history (or one of unknown
 * items only) gets the most popular training items, flagged `coldStart`.
 * @example
 *   const r = await recommend(model, ['tea', 'biscuits'], 5);
 *   // { items: [{ item: 'milk-cream', score: 0.12 }, …], unknown: [], coldStart: false, warnings: [] }
 * @module
 */
import { LeptonError } from '../errors.js';
import type { LeptonModel } from '../models/model.js';
import { encodeHistories } from './histories.js';
import { topK } from './metrics.js';
import { historyInputOf } from './recommend.js';

export interface Recommendation {
  item: string;
  score: number;
}

export interface RecommendResult {
  items: Recommendation[];
  /** History entries the model does not know (ignored). */
  unknown: string[];
  /** True when no known item was left: the most popular items were returned. */
  coldStart: boolean;
  warnings: string[];
}

/** The model's item ids for `history` (n=1 row of token ids), with the unknown names; validates input. */
export function encodeHistory(model: LeptonModel, history: readonly unknown[], k: number): { ids: Float32Array; known: number[]; unknown: string[] } {
  const want = historyInputOf(model);
  if (!Array.isArray(history)) throw new LeptonError('E_VALUE', 'history must be an array of item names', 'e.g. {"history": ["tea", "biscuits"], "k": 10}');
  if (!Number.isInteger(k) || k < 1) throw new LeptonError('E_VALUE', `k must be a positive integer (got ${JSON.stringify(k)})`, 'e.g. k = 10');
  const index = new Map(want.items.map((name, i) => [name, i]));
  const known: number[] = [];
  const unknown: string[] = [];
  history.forEach((name, i) => {
    if (typeof name !== 'string') throw new LeptonError('E_VALUE', `history[${i}] is not a string`, 'give each item by its name');
    const j = index.get(name);
    if (j === undefined) unknown.push(name);
    else known.push(j);
  });
  return { ids: encodeHistories([known], want.seqLen), known, unknown };
}

/** Ranks the scores of one history (from `model.predictFeatures(ids)`) into the result. */
export function rankRecommendations(model: LeptonModel, scores: Float32Array, enc: { known: number[]; unknown: string[] }, k: number): RecommendResult {
  const want = historyInputOf(model);
  const warnings: string[] = [];
  if (enc.unknown.length) warnings.push(`ignored ${enc.unknown.length} item${enc.unknown.length === 1 ? '' : 's'} the model does not know: ${enc.unknown.slice(0, 5).map((n) => `'${n}'`).join(', ')}${enc.unknown.length > 5 ? ', …' : ''}`);
  if (!enc.known.length) {
    warnings.push('no known item in the history: returning the most popular items');
    return { items: want.popular.slice(0, k).map(([i, share]) => ({ item: want.items[i]!, score: share })), unknown: enc.unknown, coldStart: true, warnings };
  }
  const best = topK(scores, k, new Set(enc.known));
  return { items: best.map((i) => ({ item: want.items[i]!, score: scores[i]! })), unknown: enc.unknown, coldStart: false, warnings };
}

/** Top-k items for a history of item names (oldest first). */
export async function recommend(model: LeptonModel, history: readonly string[], k = 10): Promise<RecommendResult> {
  const enc = encodeHistory(model, history, k);
  const scores = enc.known.length ? await model.predictFeatures(enc.ids) : new Float32Array(0);
  return rankRecommendations(model, scores, enc, k);
}
