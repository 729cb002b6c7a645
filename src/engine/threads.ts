/**
 * How one fit's cores are split between libtorch's two thread pools. Debian's libtorch runs
 * element-wise work and oneDNN convolutions on OpenMP threads (`at::set_num_threads`), and matrix
 * products on OpenBLAS's own pthread pool. Given more than one thread each, the pools spin against
 * each other: measured on 2 cores (bench/threads.ts, README), `--threads 2` trained an MLP at 10–12k
 * samples/s against 26k on one thread, and an LSTM at 215 against 617; with the cores given to one
 * pool and the other held at one thread, the same fits ran at 32.5k and 802.
 * @example
 *   threadSplit(2, 'matmul');      // { threads: 1, blasThreads: 2 }  MLP, LSTM/GRU, Transformer, k-means
 *   threadSplit(2, 'convolution'); // { threads: 2, blasThreads: 1 }  CNNs
 * @module
 */
import { addon } from './addon.js';

/** What dominates a fit's time: convolutions (oneDNN, OpenMP) or matrix products (BLAS). */
export type ComputeKind = 'convolution' | 'matmul';

/** The engine's two thread counts for one fit. */
export interface ThreadSplit {
  /** libtorch intra-op (OpenMP) threads. */
  threads: number;
  /** OpenBLAS threads. */
  blasThreads: number;
}

let blasIsOpenBlas: boolean | undefined;

/**
 * The split that gives `cores` to the pool `kind` runs on and one thread to the other. When the
 * BLAS is not OpenBLAS (the engine cannot size it) every core goes to libtorch's own pool.
 */
export function threadSplit(cores: number, kind: ComputeKind): ThreadSplit {
  blasIsOpenBlas ??= addon().versions().blasThreads !== null;
  if (cores <= 1) return { threads: 1, blasThreads: 1 };
  if (kind === 'convolution' || !blasIsOpenBlas) return { threads: cores, blasThreads: 1 };
  return { threads: 1, blasThreads: cores };
}
