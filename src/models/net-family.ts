/**
 * The CNN family on the engine's generic TorchNet: layers from a JSON spec (default
 * DEFAULT_CNN for the images' shape), the same training loop, early stopping and state dicts
 * as the MLP. Inputs are n × channels × height × width floats in [0, 1].
 * @module
 */
import { callNative, callNativeSync, type NativeTorchNet } from '../engine/addon.js';
import type { StTensor } from '../engine/safetensors.js';
import { LeptonError } from '../errors.js';
import { balancedWeights, throwIfCancelled, type FitContext, type FitData, type FitInfo, type Member } from './member.js';
import { buildNet, DEFAULT_CNN, type NetSpec } from './net-spec.js';
import { loadWeights, weightsOf } from './torch-weights.js';
import { lrSchedule, type CnnParams } from './spec.js';

export type ImageShape = [channels: number, height: number, width: number];

class NetMember implements Member {
  readonly family = 'cnn' as const;
  constructor(
    readonly params: CnnParams,
    readonly info: FitInfo,
    private readonly net: NativeTorchNet,
  ) {}

  predict(x: Float32Array): Promise<Float32Array> {
    return callNative('cnn predict', () => this.net.predict(x, { softmax: true }));
  }

  predictSync(x: Float32Array): Float32Array {
    return callNativeSync('cnn predict', () => this.net.predictSync(x, { softmax: true }));
  }

  tensors(prefix: string): Map<string, StTensor> {
    return weightsOf(this.net, prefix);
  }

  dispose(): void {
    this.net.dispose();
  }
}

/** The network a CNN member runs: the params' layers, or the default for this shape. */
export function netSpecFor(params: CnnParams, shape: ImageShape, classes: number, seed: number): NetSpec {
  if (!params.layers) return DEFAULT_CNN(shape, classes, seed);
  return { inputShape: [...shape], layers: params.layers as NetSpec['layers'], outputDim: classes, seed } as NetSpec;
}

export async function fitNet(params: CnnParams, shape: ImageShape, train: FitData, val: FitData | undefined, ctx: FitContext): Promise<Member> {
  throwIfCancelled(ctx.signal, 'cnn');
  const net = buildNet(netSpecFor(params, shape, ctx.numClasses, ctx.seed));
  const onAbort = () => net.cancel();
  ctx.signal?.addEventListener('abort', onAbort);
  try {
    const summary = await callNative('cnn fit', () =>
      net.fit(
        { x: train.x, y: train.y, xVal: val?.x, yVal: val?.y },
        {
          task: 'classification',
          epochs: params.epochs,
          batchSize: params.batchSize,
          optimizer: params.optimizer,
          lrPerEpoch: lrSchedule(params),
          weightDecay: params.weightDecay,
          patience: params.patience,
          classWeights: params.classWeights === 'balanced' ? balancedWeights(train.y as Int32Array, ctx.numClasses) : undefined,
          seed: ctx.seed,
          threads: ctx.torchThreads,
          augment: params.augment,
        },
        (r) => ctx.onEpoch?.({ epoch: r.epoch, maxEpochs: params.epochs, trainLoss: r.trainLoss, valLoss: r.valLoss }),
      ),
    );
    if (summary.stopReason === 'cancelled') throw new LeptonError('E_CANCELLED', 'cnn training was cancelled');
    return new NetMember(params, { epochs: summary.epochs, bestEpoch: summary.bestEpoch, stopReason: summary.stopReason }, net);
  } catch (e) {
    net.dispose();
    throw e;
  } finally {
    ctx.signal?.removeEventListener('abort', onAbort);
  }
}

export function loadNet(params: CnnParams, info: FitInfo, tensors: ReadonlyMap<string, StTensor>, prefix: string, shape: ImageShape, classes: number, seed: number): Member {
  const net = buildNet(netSpecFor(params, shape, classes, seed));
  loadWeights(net, tensors, prefix, 'the model file is damaged or was written for a different network');
  return new NetMember(params, info, net);
}
