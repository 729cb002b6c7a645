/**
 * The recommendation families and how each comes back from a model file. A recommendation
 * model's manifest has a `history` input and classes = the item names; its member scores every
 * item for n × seqLen token ids (item + 1, 0 = padding).
 * @module
 */
import type { StTensor } from '../engine/safetensors.js';
import { LeptonError } from '../errors.js';
import type { FitInfo, Member } from '../models/member.js';
import { CooccurrenceParams, loadCooccurrence } from './cooccurrence.js';
import { loadPopularity, PopularityParams } from './popularity.js';
import { loadSequence, SequenceParams } from './sequence.js';

export const RECOMMEND_FAMILIES = ['popularity', 'cooccurrence', 'gru', 'sasrec'] as const;
export type RecommendFamilyName = (typeof RECOMMEND_FAMILIES)[number];
export type RecommendParams = SequenceParams | CooccurrenceParams | PopularityParams;

export function isRecommendFamily(f: string): f is RecommendFamilyName {
  return (RECOMMEND_FAMILIES as readonly string[]).includes(f);
}

/** A stored recommendation member; `input` is the manifest's input (it must be a history input). */
export function loadRecommendMember(family: RecommendFamilyName, params: Record<string, unknown>, info: FitInfo, tensors: ReadonlyMap<string, StTensor>, prefix: string, input: { kind: string; seqLen?: number } | undefined, items: number, seed: number, path: string): Member {
  if (input?.kind !== 'history' || input.seqLen === undefined) throw new LeptonError('E_MODEL_FILE', `${path} has a ${family} member but no history input`, 'train the model again');
  const seqLen = input.seqLen;
  if (family === 'popularity') return loadPopularity(tensors, prefix, items, seqLen);
  if (family === 'cooccurrence') return loadCooccurrence(CooccurrenceParams.parse(params), tensors, prefix, items, seqLen);
  return loadSequence(family, SequenceParams.parse(params), info, tensors, prefix, items, seqLen, seed);
}
