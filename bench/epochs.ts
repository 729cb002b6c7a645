/**
 * Lepton's side of the training-throughput benchmarks: one fit with the loop every peer
 * mirrors (Adam, lr 1e-3, no validation, no early stopping), timed per epoch by the engine.
 * @module
 */
import type { EpochReport, FitSummary, TorchFitData, TorchFitOptions } from '../src/engine/addon.js';
import { threadSplit, type ComputeKind } from '../src/engine/threads.js';

/** Seconds per epoch of `net.fit` on (x, y), with `cfg.threads` cores split as the product splits them. */
export async function leptonEpochSeconds(
  net: { fit(data: TorchFitData, options: TorchFitOptions, onEpoch?: (r: EpochReport) => void): Promise<FitSummary> },
  x: Float32Array,
  y: Int32Array,
  cfg: { epochs: number; batchSize: number; threads: number; compute?: ComputeKind },
): Promise<number[]> {
  const seconds: number[] = [];
  let last = 0;
  await net.fit({ x, y }, { task: 'classification', epochs: cfg.epochs, batchSize: cfg.batchSize, optimizer: 'adam', lrPerEpoch: new Float64Array([1e-3]), weightDecay: 0, patience: 0, seed: 0, ...threadSplit(cfg.threads, cfg.compute ?? 'matmul') }, (e) => {
    seconds.push(e.seconds - last);
    last = e.seconds;
  });
  return seconds;
}
