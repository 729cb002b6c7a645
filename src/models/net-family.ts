/**
 * The CNN family on the engine's generic TorchNet: layers from a JSON spec (default
 * DEFAULT_CNN for the images' shape), the same training loop, early stopping and state dicts
 * as the MLP. Inputs are n × channels × height × width floats in [0, 1]. The text family
 * ('textnet') runs the same way over n × seqLen token ids (default DEFAULT_TEXT_TRANSFORMER), and
 * the mixed family ('mixed') over pipeline rows [tabular features | token ids per text column]
 * (DEFAULT_MIXED_NET: one branch per kind of input, concatenated).
 * @module
 */
import { callNative, callNativeSync, type NativeTorchNet } from '../engine/addon.js';
import type { StTensor } from '../engine/safetensors.js';
import { throwIfCancelled, type FitContext, type FitData, type FitInfo, type Member } from './member.js';
import { buildNet, hasConvolution, DEFAULT_CNN, DEFAULT_SEQ_NET, DEFAULT_MIXED_NET, DEFAULT_TEXT_TRANSFORMER, type MixedLayout, type NetSpec } from './net-spec.js';
import { loadWeights, trainTorchNet, weightsOf } from './torch-weights.js';
import type { CnnParams, SeqNetParams, MixedNetParams, TextNetParams } from './spec.js';

export type ImageShape = [channels: number, height: number, width: number];

/** What a text member reads: ids of a vocabulary of `vocab` entries, `seqLen` per row. */
export interface TextShape {
  vocab: number;
  seqLen: number;
}

/** A fitted TorchNet (any family): softmax outputs, its state dict as the artifact's tensors. */
export class NetMember implements Member {
  constructor(
    readonly family: Member['family'],
    readonly params: Member['params'],
    readonly info: FitInfo,
    private readonly net: NativeTorchNet,
  ) {}

  predict(x: Float32Array): Promise<Float32Array> {
    return callNative(`${this.family} predict`, () => this.net.predict(x, { softmax: true }));
  }

  predictSync(x: Float32Array): Float32Array {
    return callNativeSync(`${this.family} predict`, () => this.net.predictSync(x, { softmax: true }));
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

async function fitSpec(family: 'cnn' | 'textnet' | 'seqnet' | 'mixed', params: CnnParams | TextNetParams | SeqNetParams | MixedNetParams, spec: NetSpec, train: FitData, val: FitData | undefined, ctx: FitContext, init?: (net: NativeTorchNet) => void): Promise<Member> {
  throwIfCancelled(ctx.signal, family);
  const net = buildNet(spec);
  init?.(net); // loadWeights frees the network if the weights do not fit
  const info = await trainTorchNet(family, net, params, train, val, { ...ctx, task: 'classification' }, {
    compute: hasConvolution(spec.layers) ? 'convolution' : 'matmul',
    augment: 'augment' in params ? params.augment : undefined,
  });
  return new NetMember(family, params, info, net);
}

export function fitNet(params: CnnParams, shape: ImageShape, train: FitData, val: FitData | undefined, ctx: FitContext): Promise<Member> {
  return fitSpec('cnn', params, netSpecFor(params, shape, ctx.numClasses, ctx.seed), train, val, ctx);
}

/**
 * The network a text member runs: the params' layers over [seqLen], or DEFAULT_TEXT_TRANSFORMER.
 * An `embedding` layer without `vocab` gets the fitted vocabulary's size (unknown before training).
 */
export function textNetSpecFor(params: TextNetParams, shape: TextShape, classes: number, seed: number): NetSpec {
  if (!params.layers) return DEFAULT_TEXT_TRANSFORMER(shape.vocab, shape.seqLen, classes, seed);
  const layers = params.layers.map((l) => (l['type'] === 'embedding' && l['vocab'] === undefined ? { ...l, vocab: shape.vocab } : l));
  return { inputShape: [shape.seqLen], layers: layers as NetSpec['layers'], outputDim: classes, seed } as NetSpec;
}

/** Trains a text member on n × seqLen token ids (train.x) with early stopping on `val`; `init` sets starting weights (a pretrained checkpoint's). */
export function fitTextNet(params: TextNetParams, shape: TextShape, train: FitData, val: FitData | undefined, ctx: FitContext, init?: (net: NativeTorchNet) => void): Promise<Member> {
  return fitSpec('textnet', params, textNetSpecFor(params, shape, ctx.numClasses, ctx.seed), train, val, ctx, init);
}

export function loadTextNet(params: TextNetParams, info: FitInfo, tensors: ReadonlyMap<string, StTensor>, prefix: string, shape: TextShape, classes: number, seed: number): Member {
  const net = buildNet(textNetSpecFor(params, shape, classes, seed));
  loadWeights(net, tensors, prefix, 'the model file is damaged or was written for a different network');
  return new NetMember('textnet', params, info, net);
}

/** Trains a mixed member on pipeline rows laid out as `layout` (Pipeline.layout) with early stopping on `val`. */
export function fitMixedNet(params: MixedNetParams, layout: MixedLayout, train: FitData, val: FitData | undefined, ctx: FitContext): Promise<Member> {
  return fitSpec('mixed', params, DEFAULT_MIXED_NET(layout, ctx.numClasses, ctx.seed, params.textEncoder), train, val, ctx);
}

export function loadMixedNet(params: MixedNetParams, info: FitInfo, tensors: ReadonlyMap<string, StTensor>, prefix: string, layout: MixedLayout, classes: number, seed: number): Member {
  const net = buildNet(DEFAULT_MIXED_NET(layout, classes, seed, params.textEncoder));
  loadWeights(net, tensors, prefix, 'the model file is damaged or was written for a different network');
  return new NetMember('mixed', params, info, net);
}

export function loadNet(params: CnnParams, info: FitInfo, tensors: ReadonlyMap<string, StTensor>, prefix: string, shape: ImageShape, classes: number, seed: number): Member {
  const net = buildNet(netSpecFor(params, shape, classes, seed));
  loadWeights(net, tensors, prefix, 'the model file is damaged or was written for a different network');
  return new NetMember('cnn', params, info, net);
}

/** What a sequence member reads: `seqLen` steps of `sensors` readings and a validity flag each. */
export interface SequenceShape {
  seqLen: number;
  sensors: number;
}

/** Trains a sequence member on n × seqLen × (sensors + 1) floats (src/data/sequences.ts) with early stopping on `val`. */
export function fitSeqNet(params: SeqNetParams, shape: SequenceShape, train: FitData, val: FitData | undefined, ctx: FitContext): Promise<Member> {
  return fitSpec('seqnet', params, DEFAULT_SEQ_NET(shape.seqLen, shape.sensors, ctx.numClasses, ctx.seed, params.cell), train, val, ctx);
}

export function loadSeqNet(params: SeqNetParams, info: FitInfo, tensors: ReadonlyMap<string, StTensor>, prefix: string, shape: SequenceShape, classes: number, seed: number): Member {
  const net = buildNet(DEFAULT_SEQ_NET(shape.seqLen, shape.sensors, classes, seed, params.cell));
  loadWeights(net, tensors, prefix, 'the model file is damaged or was written for a different network');
  return new NetMember('seqnet', params, info, net);
}

/**
 * Which network a trainer fits, as plain data: what a tuning worker process needs (beside the
 * tensors and the parsed parameters) to fit the same network, and the parent to load its weights.
 */
export type NetInput =
  | { family: 'cnn'; shape: ImageShape }
  | { family: 'textnet'; shape: TextShape }
  | { family: 'seqnet'; shape: SequenceShape }
  | { family: 'mixed'; layout: MixedLayout };

/** Fits the network `input` names with already parsed family parameters. */
export function fitNetwork(input: NetInput, params: Record<string, unknown>, train: FitData, val: FitData | undefined, ctx: FitContext): Promise<Member> {
  switch (input.family) {
    case 'cnn':
      return fitNet(params as CnnParams, input.shape, train, val, ctx);
    case 'textnet':
      return fitTextNet(params as TextNetParams, input.shape, train, val, ctx);
    case 'seqnet':
      return fitSeqNet(params as SeqNetParams, input.shape, train, val, ctx);
    case 'mixed':
      return fitMixedNet(params as MixedNetParams, input.layout, train, val, ctx);
  }
}

/** A fitted network back from its tensors (as `Member.tensors(prefix)` wrote them). */
export function loadNetwork(input: NetInput, params: Record<string, unknown>, info: FitInfo, tensors: ReadonlyMap<string, StTensor>, prefix: string, classes: number, seed: number): Member {
  switch (input.family) {
    case 'cnn':
      return loadNet(params as CnnParams, info, tensors, prefix, input.shape, classes, seed);
    case 'textnet':
      return loadTextNet(params as TextNetParams, info, tensors, prefix, input.shape, classes, seed);
    case 'seqnet':
      return loadSeqNet(params as SeqNetParams, info, tensors, prefix, input.shape, classes, seed);
    case 'mixed':
      return loadMixedNet(params as MixedNetParams, info, tensors, prefix, input.layout, classes, seed);
  }
}
