/**
 * Logistic regression and MLP on the libtorch engine. Logistic regression is the MLP with no
 * hidden layer, so both share this file.
 * @module
 */
import { addon, callNative, callNativeSync, type NativeTorchMlp } from '../engine/addon.js';
import type { StTensor } from '../engine/safetensors.js';
import { LeptonError } from '../errors.js';
import { balancedWeights, throwIfCancelled, type FitContext, type FitData, type FitInfo, type Member } from './member.js';
import { loadWeights, weightsOf } from './torch-weights.js';
import { lrSchedule, type TorchParams } from './spec.js';

class TorchMember implements Member {
  constructor(
    readonly family: 'logistic' | 'mlp',
    readonly params: TorchParams,
    readonly info: FitInfo,
    private readonly net: NativeTorchMlp,
    private readonly classification: boolean,
  ) {}

  predict(x: Float32Array): Promise<Float32Array> {
    return callNative(`${this.family} predict`, () => this.net.predict(x, { softmax: this.classification }));
  }

  predictSync(x: Float32Array): Float32Array {
    return callNativeSync(`${this.family} predict`, () => this.net.predictSync(x, { softmax: this.classification }));
  }

  tensors(prefix: string): Map<string, StTensor> {
    return weightsOf(this.net, prefix);
  }

  dispose(): void {
    this.net.dispose();
  }
}

function build(params: TorchParams, ctx: Pick<FitContext, 'numFeatures' | 'numClasses' | 'task' | 'seed'>): NativeTorchMlp {
  const { TorchMlp } = addon();
  return callNativeSync('build network', () => new TorchMlp({
    inputDim: ctx.numFeatures,
    outputDim: ctx.task === 'classification' ? ctx.numClasses : 1,
    hidden: params.hidden,
    activation: params.activation,
    dropout: params.dropout,
    batchNorm: params.batchNorm,
    seed: ctx.seed,
  }));
}

export async function fitTorch(family: 'logistic' | 'mlp', params: TorchParams, train: FitData, val: FitData | undefined, ctx: FitContext): Promise<Member> {
  // An abort before this point has no listener to hear it.
  throwIfCancelled(ctx.signal, family);
  const net = build(params, ctx);
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
          threads: ctx.torchThreads,
        },
        (r) => ctx.onEpoch?.({ epoch: r.epoch, maxEpochs: params.epochs, trainLoss: r.trainLoss, valLoss: r.valLoss }),
      ),
    );
    if (summary.stopReason === 'cancelled') throw new LeptonError('E_CANCELLED', `${family} training was cancelled`);
    return new TorchMember(family, params, { epochs: summary.epochs, bestEpoch: summary.bestEpoch, stopReason: summary.stopReason }, net, classification);
  } catch (e) {
    net.dispose();
    throw e;
  } finally {
    ctx.signal?.removeEventListener('abort', onAbort);
  }
}

export function loadTorch(
  family: 'logistic' | 'mlp',
  params: TorchParams,
  info: FitInfo,
  tensors: ReadonlyMap<string, StTensor>,
  prefix: string,
  ctx: Pick<FitContext, 'numFeatures' | 'numClasses' | 'task' | 'seed'>,
): Member {
  const net = build(params, ctx);
  loadWeights(net, tensors, prefix, 'the model file is damaged or was written for a different spec');
  return new TorchMember(family, params, info, net, ctx.task === 'classification');
}
