/**
 * What every torch network (MLP or TorchNet, one engine core) needs from TypeScript, shared by
 * the torch families: training with cancellation and progress, and weights to and from the
 * artifact's tensors.
 * @module
 */
import { callNative, callNativeSync, type NamedTensor, type NativeImageAugment, type TorchFitData, type TorchFitOptions, type EpochReport, type FitSummary } from '../engine/addon.js';
import { balancedWeights, type FitContext, type FitData, type FitInfo } from './member.js';
import { lrSchedule, type TorchParams } from './spec.js';
import type { StTensor } from '../engine/safetensors.js';
import { threadSplit, type ComputeKind } from '../engine/threads.js';
import { LeptonError } from '../errors.js';

interface HasState {
  stateDict(): NamedTensor[];
  loadStateDict(tensors: NamedTensor[]): void;
  dispose(): void;
}

/** The network's state dict as artifact tensors named `prefix` + parameter name. */
export function weightsOf(net: HasState, prefix: string): Map<string, StTensor> {
  const out = new Map<string, StTensor>();
  for (const t of callNativeSync('stateDict', () => net.stateDict())) out.set(prefix + t.name, { dtype: 'F32', shape: t.shape, data: t.data });
  return out;
}

/** Loads the tensors under `prefix` into `net`; on failure frees it and names the mismatch. */
export function loadWeights(net: HasState, tensors: ReadonlyMap<string, StTensor>, prefix: string, hint: string): void {
  const state = [...tensors].filter(([name]) => name.startsWith(prefix)).map(([name, t]) => ({ name: name.slice(prefix.length), shape: t.shape, data: t.data as Float32Array }));
  try {
    callNativeSync('load weights', () => net.loadStateDict(state));
  } catch (e) {
    net.dispose();
    throw new LeptonError('E_MODEL_FILE', (e as Error).message, hint, { cause: e });
  }
}

interface Trainable {
  fit(data: TorchFitData, options: TorchFitOptions & { augment?: NativeImageAugment }, onEpoch?: (r: EpochReport) => void): Promise<FitSummary>;
  cancel(): void;
  dispose(): void;
}

/** The training options the torch families share (TorchParams, CnnParams and TextNetParams all have them). */
type TrainParams = Pick<TorchParams, 'epochs' | 'batchSize' | 'optimizer' | 'lr' | 'schedule' | 'weightDecay' | 'patience' | 'classWeights'>;

/**
 * Fits `net` with early stopping on `val`, wiring `ctx.signal` to the engine's cancel and its
 * epochs to `ctx.onEpoch`, and `ctx.torchThreads` to the thread pool `compute` runs on. On failure
 * (or cancellation) the network is disposed.
 */
export async function trainTorchNet(
  family: string,
  net: Trainable,
  params: TrainParams,
  train: FitData,
  val: FitData | undefined,
  ctx: FitContext,
  how: { compute: ComputeKind; augment?: NativeImageAugment },
): Promise<FitInfo> {
  const { augment } = how;
  const classification = ctx.task === 'classification';
  const onAbort = () => net.cancel();
  ctx.signal?.addEventListener('abort', onAbort);
  try {
    const summary = await callNative(`${family} fit`, () =>
      net.fit(
        { x: train.x, y: train.y, xVal: val?.x, yVal: val?.y },
        {
          task: ctx.task,
          epochs: params.epochs,
          batchSize: params.batchSize,
          optimizer: params.optimizer,
          lrPerEpoch: lrSchedule(params),
          weightDecay: params.weightDecay,
          patience: params.patience,
          classWeights: classification && params.classWeights === 'balanced' ? balancedWeights(train.y as Int32Array, ctx.numClasses) : undefined,
          seed: ctx.seed,
          ...threadSplit(ctx.torchThreads, how.compute),
          ...(augment ? { augment } : {}),
        },
        (r) => ctx.onEpoch?.({ epoch: r.epoch, maxEpochs: params.epochs, trainLoss: r.trainLoss, valLoss: r.valLoss }),
      ),
    );
    if (summary.stopReason === 'cancelled') throw new LeptonError('E_CANCELLED', `${family} training was cancelled`);
    return { epochs: summary.epochs, bestEpoch: summary.bestEpoch, stopReason: summary.stopReason };
  } catch (e) {
    net.dispose();
    throw e;
  } finally {
    ctx.signal?.removeEventListener('abort', onAbort);
  }
}
