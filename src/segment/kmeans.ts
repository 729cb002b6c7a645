/**
 * Segmentation: k-means on the engine (greedy k-means++ seeding, Lloyd iterations, best of
 * several restarts), the silhouette score, choosing k by the best silhouette over a range, and
 * `segment()`, which featurises a table (the training pipeline: median imputation +
 * standardisation, one-hot categories), clusters it and profiles every cluster in the data's
 * own units. Deterministic under a seed (and a thread count).
 * @module
 */
import type { Table } from '../data/table.js';
import { isAllMissing } from '../data/table.js';
import { addon, callNative, type NativeKmeansResult } from '../engine/addon.js';
import { threadSplit } from '../engine/threads.js';
import { LeptonError, listNames } from '../errors.js';
import { Pipeline } from '../prep/pipeline.js';
import { clusterProfiles, type ClusterProfile } from './profile.js';

export interface KmeansOptions {
  /** Lloyd iterations per restart (default 300). */
  maxIter?: number;
  /** Relative tolerance on the centroid shift (default 1e-4). */
  tol?: number;
  /** k-means++ restarts, best inertia wins (default 3). */
  nInit?: number;
  seed?: number;
  /** Cores (default 1): distances are matrix products, so they go to BLAS (src/engine/threads.ts). */
  threads?: number;
}

export type KmeansResult = NativeKmeansResult;

/** k-means on n × d row-major features. */
export async function kmeans(x: Float32Array, n: number, d: number, k: number, options: KmeansOptions = {}): Promise<KmeansResult> {
  checkK(k, n);
  const { threads, ...rest } = options;
  return callNative('k-means', () => addon().kmeans(x, n, d, k, { ...rest, ...threadSplit(threads ?? 1, 'matmul') }));
}

export interface SilhouetteOptions {
  /** Rows scored exactly up to this many; above it, a seeded sample of this size (default 10000). */
  sampleSize?: number;
  seed?: number;
  threads?: number;
}

/** Mean silhouette coefficient (Euclidean) of a labelling, in [-1, 1]. */
export async function silhouetteScore(x: Float32Array, n: number, d: number, labels: Int32Array, options: SilhouetteOptions = {}): Promise<number> {
  const { threads, ...rest } = options;
  return callNative('silhouette', () => addon().silhouette(x, n, d, labels, { ...rest, ...threadSplit(threads ?? 1, 'matmul') }));
}

export interface KScore {
  k: number;
  inertia: number;
  /** null when undefined (fewer than 2 non-empty clusters). */
  silhouette: number | null;
  iterations: number;
}

export interface ChooseKResult {
  k: number;
  scores: KScore[];
  /** The clustering at the chosen k. */
  result: KmeansResult;
}

/** Runs k-means for every k in [lo, hi] and keeps the k with the best silhouette (ties: the smaller k). */
export async function chooseK(
  x: Float32Array,
  n: number,
  d: number,
  range: readonly [number, number],
  options: KmeansOptions & { silhouetteSample?: number } = {},
): Promise<ChooseKResult> {
  const [lo, hi] = range;
  checkRange(lo, hi, n);
  const scores: KScore[] = [];
  let best: { k: number; silhouette: number | null; result: KmeansResult } | undefined;
  for (let k = lo; k <= hi; k++) {
    const r = await kmeans(x, n, d, k, options);
    const sil = await silhouetteOf(x, n, d, r.labels, k, options);
    scores.push({ k, inertia: r.inertia, silhouette: sil, iterations: r.iterations });
    if (!best || (sil !== null && (best.silhouette === null || sil > best.silhouette))) best = { k, silhouette: sil, result: r };
  }
  return { k: best!.k, scores, result: best!.result };
}

export interface SegmentOptions extends KmeansOptions {
  /** Number of clusters, or 'auto' (default): the best silhouette over `kRange`. */
  k?: number | 'auto';
  /** Range of k tried when k is 'auto' (default [2, 10], cut to rows − 1). */
  kRange?: [number, number];
  /** Columns left out of the clustering (ids, targets). */
  exclude?: string[];
  /** Rows the silhouette scores exactly; larger tables are sampled (default 10000). */
  silhouetteSample?: number;
  /** Distinctive numeric columns listed per cluster (default 3). */
  top?: number;
}

export interface SegmentResult {
  k: number;
  /** 'auto' when k was chosen by silhouette over a range. */
  chosenBy: 'auto' | 'fixed';
  /** Every k tried, with its inertia and silhouette (one entry for a fixed k). */
  scores: KScore[];
  labels: Int32Array;
  /** k × featureNames.length, in the standardised feature space. */
  centroids: Float32Array;
  featureNames: string[];
  sizes: number[];
  inertia: number;
  silhouette: number | null;
  iterations: number;
  rows: number;
  /** Columns clustered on. */
  columns: string[];
  /** Columns left out, with the reason (excluded ones are not listed). */
  skipped: { column: string; reason: string }[];
  profiles: ClusterProfile[];
}

export const DEFAULT_K_RANGE: [number, number] = [2, 10];

/** Featurises `table` (every column but `exclude`), clusters the rows and profiles the clusters. */
export async function segment(table: Table, options: SegmentOptions = {}): Promise<SegmentResult> {
  const n = table.numRows;
  const exclude = options.exclude ?? [];
  const unknown = exclude.filter((c) => !table.has(c));
  if (unknown.length > 0) {
    throw new LeptonError(
      'E_COLUMN',
      `cannot exclude ${unknown.length > 1 ? 'columns' : 'column'} ${listNames(unknown)}: not in ${table.source ?? 'the data'}; the columns are ${listNames(table.columnNames)}`,
      'check the spelling (names are case-sensitive)',
    );
  }
  const skipped: SegmentResult['skipped'] = [];
  const candidates: string[] = [];
  for (const c of table.columns) {
    if (exclude.includes(c.name)) continue;
    if (isAllMissing(c)) skipped.push({ column: c.name, reason: 'empty in every row' });
    else candidates.push(c.name);
  }
  if (candidates.length === 0) {
    throw new LeptonError('E_COLUMN', 'no columns left to cluster on', 'exclude fewer columns');
  }
  const k = options.k ?? 'auto';
  if (k === 'auto') {
    if (n < 3) throw new LeptonError('E_VALUE', `choosing k needs at least 3 rows; ${table.source ?? 'the data'} has ${n}`, 'give a fixed --k, or more rows');
    const [lo, hi] = options.kRange ?? [DEFAULT_K_RANGE[0], Math.min(DEFAULT_K_RANGE[1], n - 1)];
    checkRange(lo, hi, n);
  } else {
    checkK(k, n);
  }

  const all = Int32Array.from({ length: n }, (_, i) => i);
  const pipeline = Pipeline.fit(table, candidates, all);
  skipped.push(...pipeline.state.skipped);
  const columns = pipeline.state.inputs.map((s) => s.name);
  const x = pipeline.transform(table);
  const d = pipeline.outputDim;
  const kmOpts: KmeansOptions = { maxIter: options.maxIter, tol: options.tol, nInit: options.nInit, seed: options.seed ?? 0, threads: options.threads };

  let chosen: ChooseKResult;
  if (k === 'auto') {
    const range = options.kRange ?? [DEFAULT_K_RANGE[0], Math.min(DEFAULT_K_RANGE[1], n - 1)];
    chosen = await chooseK(x, n, d, range, { ...kmOpts, silhouetteSample: options.silhouetteSample });
  } else {
    const r = await kmeans(x, n, d, k, kmOpts);
    const sil = await silhouetteOf(x, n, d, r.labels, k, { ...kmOpts, silhouetteSample: options.silhouetteSample });
    chosen = { k, scores: [{ k, inertia: r.inertia, silhouette: sil, iterations: r.iterations }], result: r };
  }
  const { result } = chosen;
  const profiles = clusterProfiles(table, result.labels, chosen.k, columns, options.top ?? 3);
  return {
    k: chosen.k,
    chosenBy: k === 'auto' ? 'auto' : 'fixed',
    scores: chosen.scores,
    labels: result.labels,
    centroids: result.centroids,
    featureNames: pipeline.featureNames,
    sizes: profiles.map((p) => p.size),
    inertia: result.inertia,
    silhouette: chosen.scores.find((s) => s.k === chosen.k)!.silhouette,
    iterations: result.iterations,
    rows: n,
    columns,
    skipped,
    profiles,
  };
}

/** The silhouette when it is defined: 2 ≤ non-empty clusters ≤ rows − 1. */
async function silhouetteOf(
  x: Float32Array,
  n: number,
  d: number,
  labels: Int32Array,
  k: number,
  options: KmeansOptions & { silhouetteSample?: number },
): Promise<number | null> {
  const sizes = new Int32Array(k);
  for (const l of labels) sizes[l]!++;
  const used = sizes.filter((s) => s > 0).length;
  if (used < 2 || used > Math.min(n, options.silhouetteSample ?? 10000) - 1) return null;
  return silhouetteScore(x, n, d, labels, { sampleSize: options.silhouetteSample, seed: options.seed, threads: options.threads });
}

function checkK(k: number, n: number): void {
  if (!Number.isInteger(k) || k < 2) {
    throw new LeptonError('E_OPTION', `k must be an integer of at least 2 (got ${k})`, 'give --k 2 or more, or --k auto');
  }
  if (k > n) {
    throw new LeptonError('E_OPTION', `k = ${k} is more than the number of rows (${n}): every cluster needs at least one row`, `give --k ${Math.max(2, Math.min(n - 1, 10))} or fewer`);
  }
}

function checkRange(lo: number, hi: number, n: number): void {
  if (!Number.isInteger(lo) || !Number.isInteger(hi) || lo > hi) {
    throw new LeptonError('E_OPTION', `the k range must be two integers lo-hi with lo ≤ hi (got ${lo}-${hi})`, 'e.g. --k-range 2-8');
  }
  if (lo < 2) {
    throw new LeptonError('E_OPTION', `the k range must start at 2 or more (got ${lo}-${hi}): the silhouette that chooses k needs at least 2 clusters`, `e.g. --k-range 2-${Math.max(hi, 2)}`);
  }
  if (hi > n - 1) {
    throw new LeptonError('E_OPTION', `the k range ${lo}-${hi} goes past ${n - 1}: the silhouette needs fewer clusters than the ${n} rows`, `e.g. --k-range ${lo}-${Math.max(lo, n - 1)}`);
  }
}
