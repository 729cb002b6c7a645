/**
 * Logistic regression and MLP on the libtorch engine. Logistic regression is the MLP with no
 * hidden layer, so both share this file.
 * @module
 */
import { addon, callNative, callNativeSync, type NativeTorchMlp } from '../engine/addon.js';
import type { StTensor } from '../engine/safetensors.js';
import { throwIfCancelled, type FitContext, type FitData, type FitInfo, type Member } from './member.js';
import { loadWeights, trainTorchNet, weightsOf } from './torch-weights.js';
import type { TorchParams } from './spec.js';

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
  const info = await trainTorchNet(family, net, params, train, val, ctx, { compute: 'matmul' });
  return new TorchMember(family, params, info, net, ctx.task === 'classification');
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
