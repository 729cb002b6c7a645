/**
 * The predict route's recommendation requests: {"history": ["item", …], "k": 10} → the top-k items
 * with scores, the history's own items left out, unknown names ignored and listed, an empty
 * history answered with the most popular items (`coldStart`).
 * @module
 */
import { LeptonError } from '../errors.js';
import type { LeptonModel } from '../models/model.js';
import { encodeHistory, rankRecommendations, type Recommendation } from '../recommend/predict.js';

export interface RecommendResponse {
  recommendations: Recommendation[];
  unknown: string[];
  coldStart: boolean;
}

/** Answers a history request; `score` runs the model on token ids (through the route's batcher). */
export async function recommendRequest(model: LeptonModel, body: { history?: string[]; k?: number }, score: (ids: Float32Array) => Promise<Float32Array>): Promise<RecommendResponse> {
  if (!model.historyInput) {
    const reads = model.imageInput ? 'images' : model.textInput ? 'texts' : 'table rows';
    throw new LeptonError('E_VALUE', `this model reads ${reads}, not item histories`, reads === 'images' ? 'send {"images": [...]}' : reads === 'texts' ? 'send {"texts": [...]}' : 'send {"row": {...}} or {"rows": [...]}');
  }
  if (body.history === undefined) throw new LeptonError('E_VALUE', 'this is a recommendation model: send {"history": ["item", …], "k": 10}', 'list the user\'s items, oldest first');
  const k = body.k ?? 10;
  const enc = encodeHistory(model, body.history, k);
  const scores = enc.known.length ? await score(enc.ids) : new Float32Array(0);
  const r = rankRecommendations(model, scores, enc, k);
  return { recommendations: r.items, unknown: r.unknown, coldStart: r.coldStart };
}
