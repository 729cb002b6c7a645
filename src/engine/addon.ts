/**
 * The typed seam over the native addon: the only file that loads `lepton_engine.node`.
 * Everything else in Lepton sees these interfaces, never the raw binding.
 * @module
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { LeptonError } from '../errors.js';
import { packageRoot } from '../package-root.js';

export interface EpochReport {
  epoch: number;
  trainLoss: number;
  valLoss: number | null;
  lr: number;
  seconds: number;
}

export interface FitSummary {
  epochs: number;
  bestEpoch: number;
  bestLoss: number;
  stopReason: 'early_stopping' | 'max_epochs' | 'converged' | 'cancelled';
}

export interface TorchMlpSpec {
  inputDim: number;
  outputDim: number;
  hidden: number[];
  activation: 'relu' | 'gelu' | 'tanh' | 'silu';
  dropout: number;
  batchNorm: boolean;
  seed: number;
}

export interface TorchFitData {
  x: Float32Array;
  y: Int32Array | Float32Array;
  xVal?: Float32Array;
  yVal?: Int32Array | Float32Array;
}

export interface TorchFitOptions {
  task: 'classification' | 'regression';
  epochs: number;
  batchSize: number;
  optimizer: 'adam' | 'adamw' | 'sgd' | 'lbfgs';
  lrPerEpoch: Float64Array;
  weightDecay: number;
  momentum?: number;
  patience: number;
  minDelta?: number;
  classWeights?: Float32Array;
  seed: number;
  /** libtorch intra-op (OpenMP) threads. */
  threads: number;
  /** OpenBLAS threads (default: `threads`); src/engine/threads.ts decides the split. */
  blasThreads?: number;
}

export interface NamedTensor {
  name: string;
  shape: number[];
  data: Float32Array;
}

export interface NativeTorchMlp {
  fit(data: TorchFitData, options: TorchFitOptions, onEpoch?: (r: EpochReport) => void): Promise<FitSummary>;
  predict(x: Float32Array, options?: { softmax?: boolean }): Promise<Float32Array>;
  /** On the calling thread: only for a few rows, where the thread-pool hop costs more than the work. */
  predictSync(x: Float32Array, options?: { softmax?: boolean }): Float32Array;
  cancel(): void;
  stateDict(): NamedTensor[];
  loadStateDict(tensors: NamedTensor[]): void;
  dispose(): void;
  readonly disposed: boolean;
  readonly numParameters: number;
}

/** LoRA adapters on a bert layer: rank r, scaling alpha / r (default alpha = r), dropout on the adapter input, the linear maps they attach to (default query and value). */
export interface LoraOptions {
  r: number;
  alpha?: number;
  dropout?: number;
  targets?: ('query' | 'key' | 'value' | 'dense')[];
}

/**
 * One layer of a TorchNet. Shapes are per row: [channels, height, width] for images, [features]
 * once flat. `padding` defaults to 0 and `stride` to 1 (pools: to `kernel`); a residual block adds
 * its input to its output, through a 1×1 convolution (or a linear map, for flat rows) when the
 * block changes channels, size or width. src/models/net-spec.ts validates specs and infers shapes.
 */
export type TorchNetLayer =
  | { type: 'conv2d'; out: number; kernel: number; stride?: number; padding?: 'same' | number }
  | { type: 'batchnorm2d' }
  | { type: 'relu' }
  | { type: 'gelu' }
  | { type: 'maxpool2d'; kernel: number; stride?: number }
  | { type: 'avgpool2d'; kernel: number; stride?: number }
  | { type: 'globalavgpool' }
  | { type: 'dropout'; p: number }
  | { type: 'flatten' }
  | { type: 'linear'; out: number }
  | { type: 'residual'; layers: TorchNetLayer[] }
  /**
   * [features] -> [d_0 + d_1 + …]: each branch reads columns [from, to) of the row as `shape`, runs its own
   * layers (own padding mask) and ends flat; outputs are concatenated. Weights `layers.0.branches.1.layers.2.weight`.
   */
  | { type: 'branches'; branches: { from: number; to: number; shape: number[]; layers: TorchNetLayer[] }[] }
  /** Token ids [seqLen] (floats holding integers in [0, vocab)) -> [seqLen, dim]; right padding with padIndex (default 0) masks the later layers. */
  | { type: 'embedding'; vocab: number; dim: number; padIndex?: number }
  /**
   * Token ids [seqLen] -> [hidden]: a BERT encoder laid out and named as Hugging Face's BertModel
   * (padIndex → attention mask, token types 0, positions 0..seqLen-1), output tanh(pooler.dense(h[CLS])).
   * With `lora`, query/value (or `targets`) gain adapters and every base weight of the layer is frozen.
   */
  | { type: 'bert'; vocab: number; hidden: number; layers: number; heads: number; intermediate: number; maxPositions: number; typeVocab?: number; layerNormEps?: number; dropout?: number; padIndex?: number; lora?: LoraOptions }
  /** [seqLen, features] -> [seqLen, features - 1]: numeric sequences right-padded to seqLen; the last feature is a 0/1 validity flag that masks the later layers as padIndex does. */
  | { type: 'mask' }
  /** [seqLen, features] -> [seqLen, hidden × (bidirectional ? 2 : 1)]; packed by the padding mask, so pads never enter the recurrence. */
  | { type: 'lstm'; hidden: number; layers?: number; bidirectional?: boolean; dropout?: number }
  | { type: 'gru'; hidden: number; layers?: number; bidirectional?: boolean; dropout?: number }
  /** [seqLen, dim] -> [seqLen, dim]: learned position embedding, then `layers` encoder blocks (dim % heads === 0); padded keys are masked. */
  | { type: 'transformer'; heads: number; ff: number; layers?: number; dropout?: number; norm?: 'pre' | 'post' }
  /** [seqLen, features] -> [features] over the unpadded steps: mean, max, the last step, or the first ([CLS]) step. */
  | { type: 'pool'; mode: 'mean' | 'max' | 'last' | 'cls' };

/** A network from layers; the last layer must output [outputDim]. State-dict names read `layers.3.weight`. */
export interface TorchNetSpec {
  /** One row: [channels, height, width], [features], token ids [seqLen] or a numeric sequence [seqLen, features]; inputs are n × prod(inputShape) floats. */
  inputShape: number[];
  layers: TorchNetLayer[];
  outputDim: number;
  seed: number;
}

/** TorchNet's fit options: the MLP's, plus `augment` for image rows: every training batch is augmented afresh (seeded from `seed`). */
export type TorchNetFitOptions = TorchFitOptions & { augment?: NativeImageAugment };

/** The MLP's methods, from the model core in native/torch_net.h (fit loop, predict, state dicts). */
export interface NativeTorchNet extends Omit<NativeTorchMlp, 'fit'> {
  fit(data: TorchFitData, options: TorchNetFitOptions, onEpoch?: (r: EpochReport) => void): Promise<FitSummary>;
}

export interface RoundReport {
  round: number;
  valScore: number | null;
  seconds: number;
}

export interface XgbFitSummary {
  rounds: number;
  bestIteration: number;
  bestScore: number | null;
  stopReason: 'early_stopping' | 'max_rounds' | 'cancelled';
}

export interface NativeXgbModel {
  fit(
    data: { x: Float32Array; y: Float32Array; weight?: Float32Array; xVal?: Float32Array; yVal?: Float32Array; numFeatures: number },
    options: { params: Record<string, string>; rounds: number; earlyStoppingRounds: number; maximize?: boolean },
    onRound?: (r: RoundReport) => void,
  ): Promise<XgbFitSummary>;
  predict(x: Float32Array, options?: { output?: 'value' | 'margin' | 'contribs' }): Promise<{ data: Float32Array; shape: number[] }>;
  predictSync(x: Float32Array, options?: { output?: 'value' | 'margin' | 'contribs' }): { data: Float32Array; shape: number[] };
  save(format?: 'ubj' | 'json'): Buffer;
  cancel(): void;
  dispose(): void;
  readonly disposed: boolean;
  readonly numFeatures: number;
}

/** Image augmentation switches as the addon reads them; every one is off when absent or 0. */
export interface NativeImageAugment {
  hflip?: number;
  vflip?: number;
  cropPadding?: number;
  cropPaddingMode?: 'zeros' | 'reflect';
  rotateDegrees?: number;
  brightness?: number;
  contrast?: number;
  noiseStd?: number;
}

/** kmeans() options; the engine's defaults are maxIter 300, tol 1e-4, nInit 3, seed 0, threads 1. */
export interface NativeKmeansOptions {
  maxIter?: number;
  /** Stop when the summed squared centroid shift is below tol × the mean feature variance. */
  tol?: number;
  /** k-means++ restarts; the one with the lowest inertia wins. */
  nInit?: number;
  seed?: number;
  threads?: number;
  /** OpenBLAS threads (default: `threads`). */
  blasThreads?: number;
}

export interface NativeKmeansResult {
  /** k × d, row-major. */
  centroids: Float32Array;
  labels: Int32Array;
  /** Sum of squared distances of the rows to their centroids. */
  inertia: number;
  iterations: number;
}

export interface Addon {
  TorchMlp: new (spec: TorchMlpSpec) => NativeTorchMlp;
  TorchNet: new (spec: TorchNetSpec) => NativeTorchNet;
  XgbModel: new (saved?: Uint8Array) => NativeXgbModel;
  versions(): { torch: string; xgboost: string; torchThreads: number; blasThreads: number | null };
  /** For each row (n × dim), its k nearest other rows, nearest first (libtorch cdist + topk). */
  nearestNeighbors(x: Float32Array, dim: number, k: number): Int32Array;
  /** The inverse of the n × n matrix a (row-major), in double precision (libtorch linalg_inv). */
  inverse(a: Float64Array, n: number): Float64Array;
  /** Returns the free memory of glibc's malloc arenas to the OS, so resident memory shows what is in use. */
  trimMemory(): void;
  /** A seeded, augmented copy of n × c × h × w images (NCHW): padded crop, flips, rotation, brightness, contrast, noise. */
  augmentImages(pixels: Float32Array, n: number, c: number, h: number, w: number, options: NativeImageAugment, seed: number): Float32Array;
  /** k-means (greedy k-means++ seeding, Lloyd iterations) on n × d rows, on a worker thread. */
  kmeans(x: Float32Array, n: number, d: number, k: number, options?: NativeKmeansOptions): Promise<NativeKmeansResult>;
  /** Mean silhouette coefficient (Euclidean): exact for n ≤ sampleSize (default 10000), else on a seeded sample. */
  silhouette(x: Float32Array, n: number, d: number, labels: Int32Array, options?: { sampleSize?: number; seed?: number; threads?: number; blasThreads?: number }): Promise<number>;
}

let cached: Addon | undefined;

/** Loads the addon once; a missing build is a LeptonError that says how to build it. */
export function addon(): Addon {
  if (cached) return cached;
  const root = packageRoot();
  const path = join(root, 'build', 'Release', 'lepton_engine.node');
  if (!existsSync(path)) {
    throw new LeptonError(
      'E_ENGINE',
      `the native engine is not built (no ${path})`,
      'run `make setup` in the Lepton folder (it installs libtorch-dev and libxgboost-dev and builds the addon)',
    );
  }
  const require = createRequire(import.meta.url);
  cached = withOneOmpThreadByDefault(() => require(path) as Addon);
  return cached;
}

/**
 * Loads the libraries with OpenMP's default team size at one thread, unless the user set
 * OMP_NUM_THREADS. libgomp keeps a team for every thread that ever started one — a libuv worker
 * running a CNN prediction or any large torch op without a thread count of its own gets one of
 * every core — and once the teams' threads outnumber the cores every barrier in the process
 * sleeps instead of spinning: XGBoost fits ran 7× slower (0.03 → 0.23 s) after three CNN
 * predictions. Fits ask for their threads explicitly (at::set_num_threads, XGBoost's nthread),
 * so only those accidental teams go; a CNN prediction of 4,096 images took 1.0–1.5 s either way.
 * OpenBLAS falls back on OMP_NUM_THREADS when OPENBLAS_NUM_THREADS is unset, so that one is set
 * to its own default (every core). Both are read once, as the libraries load, and removed after,
 * so child processes (the Python peers, tuning workers) start with the user's environment.
 */
function withOneOmpThreadByDefault<T>(load: () => T): T {
  const setIfUnset = (name: string, value: string): boolean => {
    if (process.env[name] !== undefined) return false;
    process.env[name] = value;
    return true;
  };
  const omp = setIfUnset('OMP_NUM_THREADS', '1');
  const blas = omp && setIfUnset('OPENBLAS_NUM_THREADS', String(availableParallelism()));
  try {
    return load();
  } finally {
    if (omp) delete process.env.OMP_NUM_THREADS;
    if (blas) delete process.env.OPENBLAS_NUM_THREADS;
  }
}

/**
 * Native errors carry a `code` (E_ARG, E_TORCH, E_XGB, E_OOM, E_BUSY, E_DISPOSED, E_SHAPE,
 * E_DIVERGED). These wrappers re-throw them as LeptonErrors created here, in the caller's
 * (async) stack, so users see their own line. The stack is only captured on failure: these
 * calls sit on the serving hot path.
 */
export async function callNative<T>(what: string, fn: () => Promise<T> | T): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw rewrap(what, e);
  }
}

export function callNativeSync<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw rewrap(what, e);
  }
}

function rewrap(what: string, e: unknown): Error {
  if (e instanceof LeptonError) return e;
  const err = e as { code?: string; message?: string };
  const out = new LeptonError('E_ENGINE', `${what}: ${err.message ?? String(e)}`, hintFor(err.code), { cause: e });
  (out as { nativeCode?: string }).nativeCode = err.code;
  return out;
}

function hintFor(code: string | undefined): string | undefined {
  switch (code) {
    case 'E_OOM':
      return 'reduce --batch-size or the number of rows';
    case 'E_DIVERGED':
      return 'lower the learning rate (--lr) or check the data for extreme values';
    case 'E_DISPOSED':
      return 'load the model again; a disposed model cannot be used';
    case 'E_BUSY':
      return 'await the running fit() or predict() before this call';
    default:
      return undefined;
  }
}
