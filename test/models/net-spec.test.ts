import { describe, expect, it } from 'vitest';
import { LeptonError } from '../../src/errors.js';
import { buildNet, DEFAULT_CNN, DEFAULT_TEXT_TRANSFORMER, hasConvolution, inferShapes, parseNetSpec, type Layer, type NetSpecInput } from '../../src/models/net-spec.js';

const spec = (layers: unknown[], outputDim = 3, inputShape: unknown = [1, 8, 8]) => ({ inputShape, layers, outputDim }) as NetSpecInput;
const fails = (input: unknown, message: RegExp) => {
  let err: unknown;
  try {
    parseNetSpec(input);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(LeptonError);
  expect((err as LeptonError).code).toBe('E_OPTION');
  expect((err as LeptonError).message).toMatch(message);
  expect((err as LeptonError).hint).toBeTruthy();
};

describe('models: network layer specs', () => {
  it('DEFAULT_CNN is two conv blocks and a dense head, shapes followed layer by layer', () => {
    const cnn = DEFAULT_CNN([1, 28, 28], 10);
    expect(cnn.seed).toBe(0);
    expect(cnn.layers.map((l) => l.type)).toEqual(['conv2d', 'batchnorm2d', 'relu', 'maxpool2d', 'conv2d', 'batchnorm2d', 'relu', 'maxpool2d', 'flatten', 'dropout', 'linear', 'relu', 'linear']);
    const { layers, output } = inferShapes(cnn);
    expect(layers.map((l) => l.output)).toEqual([[32, 28, 28], [32, 28, 28], [32, 28, 28], [32, 14, 14], [64, 14, 14], [64, 14, 14], [64, 14, 14], [64, 7, 7], [3136], [3136], [128], [128], [10]]);
    expect(output).toEqual([10]);
    // The engine builds the same shapes: 3136 → 128 in the first dense layer.
    const net = buildNet(cnn);
    expect(net.stateDict().find((t) => t.name === 'layers.10.weight')!.shape).toEqual([128, 3136]);
    expect(net.numParameters).toBe(32 * 9 + 32 + 2 * 32 + 64 * 32 * 9 + 64 + 2 * 64 + 3136 * 128 + 128 + 128 * 10 + 10);
    net.dispose();
  });

  it('follows strides, padding, pools and residual shortcuts', () => {
    const { layers } = inferShapes({
      inputShape: [3, 9, 9],
      layers: [
        { type: 'conv2d', out: 8, kernel: 3, stride: 2 },
        { type: 'residual', layers: [{ type: 'conv2d', out: 16, kernel: 3, stride: 2, padding: 1 }, { type: 'relu' }] },
        { type: 'avgpool2d', kernel: 2, stride: 1 },
        { type: 'globalavgpool' },
      ],
    });
    expect(layers.map((l) => `${l.path} ${l.type} [${l.output.join(',')}]`)).toEqual([
      'layers[0] conv2d [8,4,4]',
      'layers[1].layers[0] conv2d [16,2,2]',
      'layers[1].layers[1] relu [16,2,2]',
      'layers[1] residual [16,2,2]',
      'layers[2] avgpool2d [16,1,1]',
      'layers[3] globalavgpool [16]',
    ]);
  });

  it('names the layer whose input does not fit: kernels larger than the input, unflat dense inputs, the wrong width', () => {
    fails(spec([{ type: 'conv2d', out: 4, kernel: 9 }]), /^layers\[0\] \(conv2d\): kernel 9 is larger than the 8×8 input$/);
    fails(spec([{ type: 'conv2d', out: 4, kernel: 11, padding: 1 }]), /layers\[0\] \(conv2d\): kernel 11 is larger than the padded 8×8 input \(padding 1\)/);
    expect(() => DEFAULT_CNN([1, 3, 3], 10)).toThrow(/^layers\[7\] \(maxpool2d\): kernel 2 is larger than the 1×1 input$/);
    fails(spec([{ type: 'linear', out: 3 }]), /^layers\[0\] \(linear\): needs a flat input, got \[1, 8, 8\]$/);
    fails(spec([{ type: 'flatten' }, { type: 'batchnorm2d' }]), /^layers\[1\] \(batchnorm2d\): needs a channels × height × width input, got \[64\]$/);
    fails(spec([{ type: 'conv2d', out: 4, kernel: 3, stride: 2, padding: 'same' }]), /layers\[0\] \(conv2d\): padding 'same' needs stride 1/);
    fails(spec([{ type: 'flatten' }, { type: 'linear', out: 4 }]), /the layers end with output \[4\], but outputDim is 3/);
    fails(spec([{ type: 'residual', layers: [{ type: 'conv2d', out: 4, kernel: 3, padding: 2 }] }]), /^layers\[0\] \(residual\): a shortcut cannot grow the spatial size \(input \[1, 8, 8\], block output \[4, 10, 10\]\)$/);
    fails(spec([{ type: 'residual', layers: [{ type: 'flatten' }] }]), /layers\[0\] \(residual\): the block must keep the rank of its input/);
    fails(spec([{ type: 'flatten' }, { type: 'residual', layers: [{ type: 'relu' }, { type: 'maxpool2d', kernel: 2 }] }]), /^layers\[1\]\.layers\[1\] \(maxpool2d\): needs a channels × height × width input, got \[64\]$/);
  });

  it('rejects negative or fractional sizes, unknown layer types and keys, naming where', () => {
    fails(spec([{ type: 'conv2d', out: -4, kernel: 3 }]), /^layers\[0\] \(conv2d\)\.out: must be a positive integer, got -4$/);
    fails(spec([{ type: 'maxpool2d', kernel: 1.5 }]), /^layers\[0\] \(maxpool2d\)\.kernel: must be a positive integer, got 1\.5$/);
    fails(spec([{ type: 'conv2d', out: 4, kernel: 3, padding: -1 }]), /layers\[0\] \(conv2d\)\.padding: must be 'same' or a non-negative integer, got -1/);
    fails(spec([{ type: 'dropout', p: 1 }]), /layers\[0\] \(dropout\)\.p: must be in \[0, 1\), got 1/);
    fails(spec([{ type: 'flatten' }], 3, [1, -8, 8]), /^inputShape\[1\]: must be a positive integer, got -8$/);
    fails(spec([{ type: 'flatten' }], 3, [2, 2, 8, 8]), /^inputShape: must be \[features\] \(or token ids \[seqLen\]\), \[seqLen, features\] or \[channels, height, width\]$/);
    fails(spec([{ type: 'relu' }, { type: 'conv3d', out: 4 }]), /^layers\[1\]: unknown layer type "conv3d" \(known: conv2d, batchnorm2d, relu, gelu, maxpool2d, avgpool2d, globalavgpool, dropout, flatten, linear, residual, branches, embedding, mask, lstm, gru, transformer, pool, bert\)$/);
    fails(spec([{ type: 'residual', layers: [{ type: 'relu' }, { type: 'rnn' }] }]), /^layers\[0\]\.layers\[1\]: unknown layer type "rnn"/);
    fails(spec([{ type: 'lstm', hidden: 0 }]), /^layers\[0\] \(lstm\)\.hidden: must be a positive integer, got 0$/);
    fails(spec([{ type: 'transformer', heads: 2, ff: 8, norm: 'sandwich' }]), /^layers\[0\] \(transformer\)\.norm: /);
    fails(spec([{ type: 'embedding', vocab: 10, dim: 4 }]), /^layers\[0\] \(embedding\): needs token ids \[seqLen\], got \[1, 8, 8\]$/);
    fails({ inputShape: [8], layers: [{ type: 'embedding', vocab: 10, dim: 4, padIndex: 10 }, { type: 'pool', mode: 'mean' }], outputDim: 4 }, /^layers\[0\] \(embedding\): padIndex 10 must be below vocab 10$/);
    fails({ inputShape: [8, 3], layers: [{ type: 'gru', hidden: 4, dropout: 1 }, { type: 'pool', mode: 'last' }], outputDim: 4 }, /^layers\[0\] \(gru\)\.dropout: must be in \[0, 1\), got 1$/);
    fails(spec([{ out: 4 }]), /^layers\[0\]: a layer needs a 'type' \(known: conv2d/);
    fails(spec([{ type: 'relu', inplace: true }]), /^layers\[0\] \(relu\): Unrecognized key: "inplace"/);
    fails(spec([]), /^layers: a network needs at least one layer$/);
    fails({ ...spec([{ type: 'flatten' }, { type: 'linear', out: 3 }]), classes: 3 }, /Unrecognized key: "classes"/);
  });

  it('finds a convolution wherever it is nested (residual blocks, branches), so fits split their threads by it', () => {
    const conv: Layer = { type: 'conv2d', out: 4, kernel: 3 };
    expect(hasConvolution(DEFAULT_CNN([1, 28, 28], 10).layers)).toBe(true);
    expect(hasConvolution(DEFAULT_TEXT_TRANSFORMER(100, 8, 2).layers)).toBe(false);
    expect(hasConvolution([{ type: 'residual', layers: [{ type: 'relu' }, { type: 'residual', layers: [conv] }] }])).toBe(true);
    expect(hasConvolution([{ type: 'branches', branches: [{ from: 0, to: 4, shape: [4], layers: [{ type: 'linear', out: 2 }] }, { from: 4, to: 68, shape: [1, 8, 8], layers: [conv, { type: 'globalavgpool' }] }] }])).toBe(true);
    expect(hasConvolution([{ type: 'branches', branches: [{ from: 0, to: 4, shape: [4], layers: [{ type: 'linear', out: 2 }] }] }])).toBe(false);
  });
});
