/**
 * Layer specs for the generic libtorch network (TorchNet): a network is JSON configuration, not
 * a class. `parseNetSpec` validates a spec with Zod and then follows the shape of one row
 * through every layer, so a spec that cannot run fails here, naming the layer, before anything
 * is built. The engine checks the same rules again (specs can reach it from elsewhere).
 * @example
 *   const spec = DEFAULT_CNN([1, 28, 28], 10); // Fashion-MNIST
 *   const net = buildNet(spec);
 *   await net.fit({ x, y }, options);
 * @module
 */
import { z } from 'zod';
import { addon, callNativeSync, type NativeTorchNet, type TorchNetLayer, type TorchNetSpec } from '../engine/addon.js';
import { LeptonError } from '../errors.js';

export const LAYER_TYPES = ['conv2d', 'batchnorm2d', 'relu', 'gelu', 'maxpool2d', 'avgpool2d', 'globalavgpool', 'dropout', 'flatten', 'linear', 'residual', 'branches', 'embedding', 'mask', 'lstm', 'gru', 'transformer', 'pool', 'bert'] as const;
export type LayerType = (typeof LAYER_TYPES)[number];
export type Layer = TorchNetLayer;

const got = (v: unknown) => (typeof v === 'number' || typeof v === 'string' ? JSON.stringify(v) : typeof v);
const intAtLeast = (min: number) => {
  const error = (i: { input: unknown }) => `must be ${min === 1 ? 'a positive integer' : `an integer of at least ${min}`}, got ${got(i.input)}`;
  return z.int({ error }).min(min, { error }).max(2 ** 24, { error: (i) => `must be at most ${2 ** 24}, got ${got(i.input)}` });
};
const size = intAtLeast(1);
const pool = { kernel: size, stride: size.optional() };
const prob = z.number({ error: (i) => `must be a number in [0, 1), got ${got(i.input)}` }).min(0, { error: (i) => `must be in [0, 1), got ${got(i.input)}` }).lt(1, { error: (i) => `must be in [0, 1), got ${got(i.input)}` });
const recurrent = { hidden: size, layers: size.optional(), bidirectional: z.boolean().optional(), dropout: prob.optional() };

const LayerZ: z.ZodType<TorchNetLayer> = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('conv2d'),
    out: size,
    kernel: size,
    stride: size.optional(),
    padding: z
      .custom<'same' | number>((v) => v === 'same' || (Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 2 ** 24), { error: (i) => `must be 'same' or a non-negative integer, got ${got(i.input)}` })
      .optional(),
  }),
  z.strictObject({ type: z.literal('batchnorm2d') }),
  z.strictObject({ type: z.literal('relu') }),
  z.strictObject({ type: z.literal('gelu') }),
  z.strictObject({ type: z.literal('maxpool2d'), ...pool }),
  z.strictObject({ type: z.literal('avgpool2d'), ...pool }),
  z.strictObject({ type: z.literal('globalavgpool') }),
  z.strictObject({ type: z.literal('dropout'), p: z.number().min(0).lt(1, { error: (i) => `must be in [0, 1), got ${got(i.input)}` }) }),
  z.strictObject({ type: z.literal('flatten') }),
  z.strictObject({ type: z.literal('linear'), out: size }),
  z.strictObject({ type: z.literal('embedding'), vocab: intAtLeast(2), dim: size, padIndex: intAtLeast(0).optional() }),
  z.strictObject({ type: z.literal('mask') }),
  z.strictObject({
    type: z.literal('bert'),
    vocab: intAtLeast(2),
    hidden: size,
    layers: size,
    heads: size,
    intermediate: size,
    maxPositions: size,
    typeVocab: size.optional(),
    layerNormEps: z.number().positive().optional(),
    dropout: prob.optional(),
    padIndex: intAtLeast(0).optional(),
    lora: z.strictObject({ r: size, alpha: z.number().positive().optional(), dropout: prob.optional(), targets: z.array(z.enum(['query', 'key', 'value', 'dense'])).min(1).optional() }).optional(),
  }),
  z.strictObject({ type: z.literal('lstm'), ...recurrent }),
  z.strictObject({ type: z.literal('gru'), ...recurrent }),
  z.strictObject({ type: z.literal('transformer'), heads: size, ff: size, layers: size.optional(), dropout: prob.optional(), norm: z.enum(['pre', 'post']).optional() }),
  z.strictObject({ type: z.literal('pool'), mode: z.enum(['mean', 'max', 'last', 'cls']) }),
  z.strictObject({
    type: z.literal('residual'),
    get layers() {
      return z.array(LayerZ).min(1, { error: 'a residual block needs at least one layer' });
    },
  }),
  z.strictObject({
    type: z.literal('branches'),
    get branches() {
      return z
        .array(
          z.strictObject({
            from: intAtLeast(0),
            to: size,
            shape: z.array(size).min(1).max(3, { error: 'must be [features], [seqLen], [seqLen, features] or [channels, height, width]' }),
            layers: z.array(LayerZ).min(1, { error: 'a branch needs at least one layer' }),
          }),
        )
        .min(1, { error: 'a branches layer needs at least one branch' });
    },
  }),
]);

/** Whether any layer, nested ones included, is a convolution (src/engine/threads.ts splits the cores by it). */
export function hasConvolution(layers: readonly Layer[]): boolean {
  return layers.some((l) => l.type === 'conv2d' || (l.type === 'residual' && hasConvolution(l.layers)) || (l.type === 'branches' && l.branches.some((b) => hasConvolution(b.layers))));
}

export const NetSpecZ = z.strictObject({
  /** One row: [channels, height, width] for images, [features] for flat rows or token ids [seqLen], [seqLen, features] for numeric sequences. */
  inputShape: z.array(size).refine((s) => s.length >= 1 && s.length <= 3, { error: 'must be [features] (or token ids [seqLen]), [seqLen, features] or [channels, height, width]' }),
  layers: z.array(LayerZ).min(1, { error: 'a network needs at least one layer' }),
  /** Classes (classification) or targets (regression): the last layer's width. */
  outputDim: size,
  seed: intAtLeast(0).max(2 ** 31 - 1).default(0),
});
export type NetSpec = TorchNetSpec;
export type NetSpecInput = z.input<typeof NetSpecZ>;

const HINT = `layer types: ${LAYER_TYPES.join(', ')}; shapes are per row ([channels, height, width], [seqLen, features] or [features])`;

function pathText(path: readonly PropertyKey[]): string {
  return path.map((k, i) => (typeof k === 'number' ? `[${k}]` : `${i ? '.' : ''}${String(k)}`)).join('');
}

/** The object at `path` inside `input`, or undefined. */
function at(input: unknown, path: readonly PropertyKey[]): unknown {
  let v = input;
  for (const k of path) v = v !== null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[k] : undefined;
  return v;
}

/** Validates a spec (Zod) and its shapes (inferShapes); errors name the layer, e.g. `layers[4].layers[0] (conv2d)`. */
export function parseNetSpec(input: unknown): NetSpec {
  const r = NetSpecZ.safeParse(input);
  if (!r.success) {
    const i = r.error.issues[0]!;
    if (i.code === 'invalid_union' && i.path.at(-1) === 'type') {
      const where = i.path.slice(0, -1);
      const type = at(input, [...where, 'type']);
      const what = type === undefined ? "a layer needs a 'type'" : `unknown layer type ${got(type)}`;
      throw new LeptonError('E_OPTION', `${pathText(where)}: ${what} (known: ${LAYER_TYPES.join(', ')})`, HINT);
    }
    // Name the layer an issue sits in: layers[3] (conv2d).kernel
    let cut = -1;
    for (let k = 0; k < i.path.length; k++) if (typeof i.path[k] === 'number' && i.path[k - 1] === 'layers') cut = k;
    const type = cut >= 0 ? at(input, [...i.path.slice(0, cut + 1), 'type']) : undefined;
    const rest = i.path.slice(cut + 1);
    const where = cut >= 0 && typeof type === 'string' ? `${pathText(i.path.slice(0, cut + 1))} (${type})${rest.length ? `.${pathText(rest)}` : ''}` : pathText(i.path) || 'net spec';
    throw new LeptonError('E_OPTION', `${where}: ${i.message}`, HINT);
  }
  const spec = r.data;
  const out = inferShapes(spec).output;
  if (out.length !== 1 || out[0] !== spec.outputDim) {
    throw new LeptonError('E_OPTION', `the layers end with output [${out.join(', ')}], but outputDim is ${spec.outputDim}`, `end with { type: 'linear', out: ${spec.outputDim} }`);
  }
  return spec;
}

export interface LayerShape {
  /** Where the layer is in the spec, e.g. `layers[4].layers[0]`. */
  path: string;
  type: LayerType;
  input: number[];
  output: number[];
}

/**
 * The shape of one row after every layer (nested layers included, in order). Throws a
 * LeptonError naming the first layer whose input it cannot take.
 */
export function inferShapes(spec: Pick<NetSpec, 'inputShape' | 'layers'>): { layers: LayerShape[]; output: number[] } {
  const layers: LayerShape[] = [];
  const output = follow(spec.layers, 'layers', [...spec.inputShape], layers);
  return { layers, output };
}

const dims = (s: readonly number[]) => `[${s.join(', ')}]`;

function follow(list: readonly Layer[], path: string, shape: number[], out: LayerShape[]): number[] {
  let s = shape;
  list.forEach((layer, i) => {
    const where = `${path}[${i}]`;
    const fail = (why: string, hint = HINT): never => {
      throw new LeptonError('E_OPTION', `${where} (${layer.type}): ${why}`, hint);
    };
    const image = (): [number, number, number] => {
      if (s.length !== 3) fail(`needs a channels × height × width input, got ${dims(s)}`, s.length === 1 ? 'give inputShape as [channels, height, width] for images' : HINT);
      return s as [number, number, number];
    };
    // Cells a window of `kernel` covers sliding by `stride` over `n` cells padded by `pad` on each side.
    const slide = (n: number, kernel: number, stride: number, pad: number, [, h, w]: number[]) => {
      if (n + 2 * pad < kernel) fail(`kernel ${kernel} is larger than the ${pad ? 'padded ' : ''}${h}×${w} input${pad ? ` (padding ${pad})` : ''}`, 'use a smaller kernel, or fewer pooling layers before this one');
      return Math.floor((n + 2 * pad - kernel) / stride) + 1;
    };
    const sequence = (): [number, number] => {
      if (s.length !== 2) fail(`needs a sequence [seqLen, features], got ${dims(s)}`, s.length === 1 ? "token ids need { type: 'embedding', vocab, dim } first" : HINT);
      return s as [number, number];
    };
    const input = s;
    switch (layer.type) {
      case 'embedding':
        if (s.length !== 1) fail(`needs token ids [seqLen], got ${dims(s)}`, 'an embedding reads rows of token ids: inputShape [seqLen]');
        if ((layer.padIndex ?? 0) >= layer.vocab) fail(`padIndex ${layer.padIndex ?? 0} must be below vocab ${layer.vocab}`);
        s = [s[0]!, layer.dim];
        break;
      case 'mask': {
        const [l, f] = sequence();
        if (f < 2) fail(`needs at least one feature besides the validity flag, got ${dims(s)}`, 'the last feature of each step is the 0/1 validity flag');
        s = [l, f - 1];
        break;
      }
      case 'bert':
        if (s.length !== 1) fail(`needs token ids [seqLen], got ${dims(s)}`, 'a bert layer reads rows of token ids: inputShape [seqLen]');
        if (s[0]! > layer.maxPositions) fail(`seqLen ${s[0]} is longer than maxPositions ${layer.maxPositions}`, `use seqLen ≤ ${layer.maxPositions} (the tokenizer truncates longer texts)`);
        if (layer.hidden % layer.heads !== 0) fail(`hidden ${layer.hidden} must be a multiple of heads ${layer.heads}`);
        if ((layer.padIndex ?? 0) >= layer.vocab) fail(`padIndex ${layer.padIndex ?? 0} must be below vocab ${layer.vocab}`);
        s = [layer.hidden];
        break;
      case 'lstm':
      case 'gru':
        s = [sequence()[0], layer.hidden * (layer.bidirectional ? 2 : 1)];
        break;
      case 'transformer': {
        const [, d] = sequence();
        if (d % layer.heads !== 0) fail(`the width ${d} must be a multiple of heads ${layer.heads}`, 'pick an embedding dim divisible by heads');
        break;
      }
      case 'pool':
        s = [sequence()[1]];
        break;
      case 'conv2d': {
        const [, h, w] = image();
        const stride = layer.stride ?? 1;
        if (layer.padding === 'same') {
          if (stride !== 1) fail(`padding 'same' needs stride 1 (got stride ${stride})`);
          s = [layer.out, h, w];
        } else {
          const pad = layer.padding ?? 0;
          s = [layer.out, slide(h, layer.kernel, stride, pad, s), slide(w, layer.kernel, stride, pad, s)];
        }
        break;
      }
      case 'maxpool2d':
      case 'avgpool2d': {
        const [c, h, w] = image();
        const stride = layer.stride ?? layer.kernel;
        s = [c, slide(h, layer.kernel, stride, 0, s), slide(w, layer.kernel, stride, 0, s)];
        break;
      }
      case 'batchnorm2d':
        image();
        break;
      case 'globalavgpool':
        s = [image()[0]];
        break;
      case 'flatten':
        s = [s.reduce((a, b) => a * b, 1)];
        break;
      case 'linear':
        if (s.length !== 1) fail(`needs a flat input, got ${dims(s)}`, "put { type: 'flatten' } or { type: 'globalavgpool' } before it");
        s = [layer.out];
        break;
      case 'residual': {
        const end = follow(layer.layers, `${where}.layers`, s, out);
        const why = residualMismatch(s, end);
        if (why) fail(`${why} (input ${dims(s)}, block output ${dims(end)})`, 'a residual block must keep the rank; a shortcut can change channels, width, or shrink height and width by a stride');
        s = end;
        break;
      }
      case 'branches':
        s = followBranches(layer.branches, where, s, out);
        break;
      case 'relu':
      case 'gelu':
      case 'dropout':
        break;
    }
    out.push({ path: where, type: layer.type, input, output: s });
  });
  return s;
}

/**
 * A `branches` layer: each branch reads columns [from, to) of the flat row as its `shape`, runs its
 * layers and must end flat; the outputs are concatenated. Errors name the branch
 * (`layers[0].branches[1]`) or, through `follow`, the layer inside it.
 */
function followBranches(branches: Extract<Layer, { type: 'branches' }>['branches'], where: string, row: number[], out: LayerShape[]): number[] {
  if (row.length !== 1) throw new LeptonError('E_OPTION', `${where} (branches): needs a flat row [features], got ${dims(row)}`, 'put the branches layer first, over inputShape [features]');
  let total = 0;
  branches.forEach((b, j) => {
    const at = `${where}.branches[${j}]`;
    const fail = (why: string, hint: string): never => {
      throw new LeptonError('E_OPTION', `${at}: ${why}`, hint);
    };
    if (b.to <= b.from || b.to > row[0]!) fail(`columns [${b.from}, ${b.to}) must be a non-empty range inside the row of ${row[0]}`, 'from is the first column, to is one past the last');
    const size = b.shape.reduce((a, c) => a * c, 1);
    if (size !== b.to - b.from) fail(`shape ${dims(b.shape)} holds ${size} values, but columns [${b.from}, ${b.to}) are ${b.to - b.from}`, 'the shape must hold exactly to - from values');
    const end = follow(b.layers, `${at}.layers`, [...b.shape], out);
    if (end.length !== 1) fail(`a branch must end flat, got ${dims(end)}`, "end it with { type: 'pool' }, { type: 'flatten' } or { type: 'linear' }");
    total += end[0]!;
  });
  return [total];
}

/** Why no shortcut (identity, 1×1 strided convolution, linear map of the features) takes `a` to `b`, or undefined. */
function residualMismatch(a: readonly number[], b: readonly number[]): string | undefined {
  if (a.length !== b.length) return 'the block must keep the rank of its input';
  if (a.length === 1) return undefined;
  if (a.length === 2) return a[0] === b[0] ? undefined : 'a block over a sequence must keep its length';
  for (const d of [1, 2]) {
    const n = a[d]!;
    const m = b[d]!;
    if (m > n) return 'a shortcut cannot grow the spatial size';
    const stride = Math.ceil(n / m);
    if (Math.floor((n - 1) / stride) + 1 !== m) return "no strided 1×1 projection maps the input's height and width onto the output's";
  }
  return undefined;
}

/**
 * The default image classifier: two convolution blocks (3×3 conv 32 → batch norm → ReLU → 2×2
 * max-pool; the same with 64 channels), then dropout 0.25, dense 128 → ReLU → dense `classes`.
 * About 420k parameters on 1×28×28 inputs.
 */
export function DEFAULT_CNN(inputShape: readonly [channels: number, height: number, width: number], classes: number, seed = 0): NetSpec {
  const block = (out: number): Layer[] => [{ type: 'conv2d', out, kernel: 3, padding: 'same' }, { type: 'batchnorm2d' }, { type: 'relu' }, { type: 'maxpool2d', kernel: 2 }];
  return parseNetSpec({
    inputShape: [...inputShape],
    layers: [...block(32), ...block(64), { type: 'flatten' }, { type: 'dropout', p: 0.25 }, { type: 'linear', out: 128 }, { type: 'relu' }, { type: 'linear', out: classes }],
    outputDim: classes,
    seed,
  });
}

/**
 * A text classifier over token ids [seqLen] (padIndex 0, e.g. from src/text/tokenizer.ts):
 * embedding 64 → bidirectional GRU 64 → masked mean pooling → dropout 0.2 → dense `classes`.
 */
export function DEFAULT_TEXT_GRU(vocab: number, seqLen: number, classes: number, seed = 0): NetSpec {
  return parseNetSpec({
    inputShape: [seqLen],
    layers: [{ type: 'embedding', vocab, dim: 64 }, { type: 'gru', hidden: 64, bidirectional: true }, { type: 'pool', mode: 'mean' }, { type: 'dropout', p: 0.2 }, { type: 'linear', out: classes }],
    outputDim: classes,
    seed,
  });
}

/**
 * A small transformer text classifier over token ids [seqLen]: embedding 64 → 2 pre-norm encoder
 * blocks (4 heads, feed-forward 128, dropout 0.1, learned positions) → pooling (`mean` over the
 * unpadded tokens, or `cls`: the first token, for inputs encoded with a leading [CLS]) → dense `classes`.
 */
export function DEFAULT_TEXT_TRANSFORMER(vocab: number, seqLen: number, classes: number, seed = 0, pooling: 'mean' | 'cls' = 'mean'): NetSpec {
  return parseNetSpec({
    inputShape: [seqLen],
    layers: [{ type: 'embedding', vocab, dim: 64 }, { type: 'transformer', heads: 4, ff: 128, layers: 2, dropout: 0.1, norm: 'pre' }, { type: 'pool', mode: pooling }, { type: 'linear', out: classes }],
    outputDim: classes,
    seed,
  });
}

/**
 * A numeric-sequence classifier over [seqLen, sensors + 1] (each step's sensors, then its 0/1
 * validity flag; src/data/sequences.ts): mask → GRU 64 (or LSTM) → the last valid step → dense
 * `classes`.
 */
export function DEFAULT_SEQ_NET(seqLen: number, sensors: number, classes: number, seed = 0, cell: 'gru' | 'lstm' = 'gru'): NetSpec {
  return parseNetSpec({
    inputShape: [seqLen, sensors + 1],
    layers: [{ type: 'mask' }, { type: cell, hidden: 64 }, { type: 'pool', mode: 'last' }, { type: 'linear', out: classes }],
    outputDim: classes,
    seed,
  });
}

/**
 * Where a mixed row's inputs sit (Pipeline.layout): tabular features in [0, tabular), then each
 * text column's seqLen ids from `from`, then each image column's channels × height × width pixels.
 */
export interface MixedLayout {
  tabular: number;
  texts: readonly { from: number; seqLen: number; vocab: number }[];
  images?: readonly { from: number; channels: number; height: number; width: number }[];
}

/**
 * A classifier over mixed rows, Ludwig-style: a `branches` layer with a dense 64 → ReLU branch
 * for the tabular features and, per text column, embedding 64 → one encoder layer (a pre-norm
 * transformer block, 4 heads, feed-forward 128; or a bidirectional GRU 32 per direction) → masked
 * mean pooling; per image column, a small CNN (3×3 conv 16 → ReLU → 2×2 max-pool → 3×3 conv 32 →
 * ReLU → global average pool); the branch outputs concatenated → dropout 0.1 → dense 64 → ReLU →
 * dense `classes`.
 */
export function DEFAULT_MIXED_NET(layout: MixedLayout, classes: number, seed = 0, textEncoder: 'transformer' | 'gru' = 'transformer'): NetSpec {
  const images = layout.images ?? [];
  const width = layout.tabular + layout.texts.reduce((s, t) => s + t.seqLen, 0) + images.reduce((s, m) => s + m.channels * m.height * m.width, 0);
  const branches: Extract<Layer, { type: 'branches' }>['branches'] = [];
  if (layout.tabular > 0) branches.push({ from: 0, to: layout.tabular, shape: [layout.tabular], layers: [{ type: 'linear', out: 64 }, { type: 'relu' }] });
  for (const t of layout.texts) {
    const encoder: Layer = textEncoder === 'gru' ? { type: 'gru', hidden: 32, bidirectional: true } : { type: 'transformer', heads: 4, ff: 128, layers: 1, dropout: 0.1, norm: 'pre' };
    branches.push({ from: t.from, to: t.from + t.seqLen, shape: [t.seqLen], layers: [{ type: 'embedding', vocab: t.vocab, dim: 64 }, encoder, { type: 'pool', mode: 'mean' }] });
  }
  for (const m of images) {
    const conv = (out: number): Layer[] => [{ type: 'conv2d', out, kernel: 3, padding: 'same' }, { type: 'relu' }];
    branches.push({ from: m.from, to: m.from + m.channels * m.height * m.width, shape: [m.channels, m.height, m.width], layers: [...conv(16), { type: 'maxpool2d', kernel: 2 }, ...conv(32), { type: 'globalavgpool' }] });
  }
  return parseNetSpec({
    inputShape: [width],
    layers: [{ type: 'branches', branches }, { type: 'dropout', p: 0.1 }, { type: 'linear', out: 64 }, { type: 'relu' }, { type: 'linear', out: classes }],
    outputDim: classes,
    seed,
  });
}

/** Validates a spec and builds its network on the engine (weights seeded by `spec.seed`). */
export function buildNet(input: NetSpecInput | NetSpec): NativeTorchNet {
  const spec = parseNetSpec(input);
  const { TorchNet } = addon();
  return callNativeSync('build network', () => new TorchNet(spec));
}
