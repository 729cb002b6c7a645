/**
 * What every model family produces: a fitted member that predicts, exports its tensors for
 * the artifact, and frees its native memory on `dispose()`.
 * @module
 */
import type { StTensor } from '../engine/safetensors.js';
import { LeptonError } from '../errors.js';
import type { Task } from '../prep/target.js';
import type { RecommendFamilyName, RecommendParams } from '../recommend/families.js';
import type { CnnParams, FamilyName, ImageFamilyName, SeqNetParams, SequenceFamilyName, MixedFamilyName, MixedNetParams, TableParams, TextFamilyName, TextNetParams } from './spec.js';

export interface FitData {
  /** Row-major features, n × numFeatures. */
  x: Float32Array;
  /** Class indices (classification) or standardised targets (regression). */
  y: Int32Array | Float32Array;
}

export interface EpochProgress {
  epoch: number;
  maxEpochs: number;
  trainLoss: number | null;
  valLoss: number | null;
}

export interface FitContext {
  task: Task;
  numClasses: number;
  numFeatures: number;
  seed: number;
  /** Intra-op threads for libtorch. One is fastest for small tabular networks (ENGINE-NOTES). */
  torchThreads: number;
  xgbThreads: number;
  onEpoch?: (p: EpochProgress) => void;
  signal?: AbortSignal;
}

export interface FitInfo {
  epochs: number;
  bestEpoch: number;
  stopReason: string;
}

export interface Member {
  readonly family: FamilyName | ImageFamilyName | TextFamilyName | SequenceFamilyName | MixedFamilyName | RecommendFamilyName;
  readonly params: TableParams | CnnParams | TextNetParams | SeqNetParams | MixedNetParams | RecommendParams;
  readonly info: FitInfo;
  /** n × numClasses probabilities, or n × 1 standardised regression outputs. */
  predict(x: Float32Array): Promise<Float32Array>;
  /** The same on the calling thread, for a few rows (serving at low traffic). */
  predictSync(x: Float32Array): Float32Array;
  /** Tensors to store in the artifact, names prefixed with `prefix`. */
  tensors(prefix: string): Map<string, StTensor>;
  dispose(): void;
}

/** Inverse-frequency class weights, normalised so that they average to one per sample. */
export function balancedWeights(y: Int32Array, numClasses: number): Float32Array {
  const counts = new Float64Array(numClasses);
  for (const c of y) counts[c]!++;
  return Float32Array.from(counts, (c) => (c > 0 ? y.length / (numClasses * c) : 0));
}

/** Throws the cancellation error when `signal` was aborted before a fit started. */
export function throwIfCancelled(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) throw new LeptonError('E_CANCELLED', `${what} training was cancelled`);
}
