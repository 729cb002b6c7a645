import { describe, expect, it } from 'vitest';
import { addon, type TorchFitOptions, type TorchNetLayer } from '../../src/engine/addon.js';
import { buildNet, DEFAULT_TEXT_GRU, DEFAULT_TEXT_TRANSFORMER, inferShapes, parseNetSpec } from '../../src/models/net-spec.js';

const opts: TorchFitOptions = { task: 'classification', epochs: 3, batchSize: 16, optimizer: 'adam', lrPerEpoch: new Float64Array([3e-3]), weightDecay: 0, patience: 0, seed: 5, threads: 1 };

/** n rows of token ids (vocab 20, ids 3–19), each of a random length in [3, valid], right-padded with 0 to seqLen. */
function tokens(n: number, valid: number, seqLen: number, seed = 1): Float32Array {
  let r = seed;
  const rand = () => (r = (r * 1103515245 + 12345) % 2147483648) / 2147483648;
  const x = new Float32Array(n * seqLen);
  for (let i = 0; i < n; i++) {
    const len = 3 + Math.floor(rand() * (valid - 2));
    for (let t = 0; t < len; t++) x[i * seqLen + t] = 3 + Math.floor(rand() * 17);
  }
  return x;
}

/** The same rows, each right-padded with `extra` more pads. */
function padRows(x: Float32Array, seqLen: number, extra: number): Float32Array {
  const n = x.length / seqLen;
  const out = new Float32Array(n * (seqLen + extra));
  for (let i = 0; i < n; i++) out.set(x.subarray(i * seqLen, (i + 1) * seqLen), i * (seqLen + extra));
  return out;
}

const maxDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);

const heads: Record<string, TorchNetLayer[]> = {
  'GRU, mean': [{ type: 'gru', hidden: 8 }, { type: 'pool', mode: 'mean' }],
  'LSTM ×2, last': [{ type: 'lstm', hidden: 6, layers: 2 }, { type: 'pool', mode: 'last' }],
  'bi-LSTM ×2, last': [{ type: 'lstm', hidden: 6, layers: 2, bidirectional: true }, { type: 'pool', mode: 'last' }],
  'bi-GRU, max': [{ type: 'gru', hidden: 5, bidirectional: true }, { type: 'pool', mode: 'max' }],
  'transformer pre, mean': [{ type: 'transformer', heads: 2, ff: 16, layers: 2, norm: 'pre' }, { type: 'pool', mode: 'mean' }],
  'residual [gru → gelu] + projection, mean': [{ type: 'residual', layers: [{ type: 'gru', hidden: 6 }, { type: 'gelu' }] }, { type: 'pool', mode: 'mean' }],
  'transformer post, cls': [{ type: 'transformer', heads: 4, ff: 16, norm: 'post' }, { type: 'pool', mode: 'cls' }],
};

describe('engine: sequence layers (embedding, lstm, gru, transformer, pool)', () => {
  for (const [name, body] of Object.entries(heads)) {
    it(`${name}: appending pads does not change the output (padding mask)`, () => {
      const layers: TorchNetLayer[] = [{ type: 'embedding', vocab: 20, dim: 8 }, ...body, { type: 'linear', out: 3 }];
      const short = buildNet({ inputShape: [10], layers, outputDim: 3, seed: 2 });
      const long = buildNet({ inputShape: [16], layers, outputDim: 3, seed: 2 });
      // The long network's weights in the short one (a transformer's position table cut to 10 steps).
      const state = long.stateDict().map((t) => (t.name.endsWith('.pos') ? { ...t, shape: [10, t.shape[1]!], data: t.data.slice(0, 10 * t.shape[1]!) } : t));
      short.loadStateDict(state);
      const x = tokens(12, 10, 10);
      for (let t = 0; t < 10; t++) x[t] = 3 + t; // row 0 fills the row: no padding
      const a = short.predictSync(x, { softmax: false });
      const b = long.predictSync(padRows(x, 10, 6), { softmax: false });
      expect(maxDiff(a, b)).toBeLessThan(1e-5);
      // Row by row (an unpadded row alone takes the fused path) as in the batch.
      const one = new Float32Array(a.length);
      for (let i = 0; i < 12; i++) one.set(short.predictSync(x.subarray(i * 10, i * 10 + 10), { softmax: false }), i * 3);
      expect(maxDiff(a, one)).toBeLessThan(1e-5);
      // …while the pads do matter when they are not masked: the outputs depend on the row's content.
      const c = long.predictSync(padRows(tokens(12, 10, 10, 9), 10, 6), { softmax: false });
      expect(maxDiff(b, c)).toBeGreaterThan(1e-3);
      short.dispose();
      long.dispose();
    });
  }

  it('shapes: inferShapes follows [seqLen] ids through embedding, recurrent, transformer and pool layers', () => {
    const spec = parseNetSpec({
      inputShape: [32],
      layers: [{ type: 'embedding', vocab: 100, dim: 16 }, { type: 'lstm', hidden: 12, bidirectional: true }, { type: 'transformer', heads: 4, ff: 32 }, { type: 'pool', mode: 'mean' }, { type: 'linear', out: 2 }],
      outputDim: 2,
    });
    expect(inferShapes(spec).layers.map((l) => l.output)).toEqual([[32, 16], [32, 24], [32, 24], [24], [2]]);
    const net = buildNet(spec);
    expect(net.predictSync(tokens(3, 20, 32)).length).toBe(6);
    net.dispose();
  });

  it('numeric sequences [seqLen, features] without an embedding: no mask, every step counts', () => {
    const net = buildNet({ inputShape: [6, 3], layers: [{ type: 'gru', hidden: 4 }, { type: 'pool', mode: 'last' }, { type: 'linear', out: 2 }], outputDim: 2, seed: 1 });
    const x = Float32Array.from({ length: 2 * 18 }, (_, i) => Math.sin(i));
    const p = net.predictSync(x);
    expect(p.length).toBe(4);
    const y = x.slice();
    y.fill(0, 15, 18); // zeros at the last step of the first row change its output
    expect(maxDiff(net.predictSync(y).subarray(0, 2), p.subarray(0, 2))).toBeGreaterThan(1e-6);
    net.dispose();
  });

  it('parameter names are stable (torch.nn names for embedding, LSTM and GRU)', () => {
    const net = buildNet({
      inputShape: [8],
      layers: [{ type: 'embedding', vocab: 10, dim: 4 }, { type: 'lstm', hidden: 4, bidirectional: true }, { type: 'gru', hidden: 4 }, { type: 'transformer', heads: 2, ff: 8, norm: 'pre' }, { type: 'pool', mode: 'mean' }, { type: 'linear', out: 2 }],
      outputDim: 2,
    });
    const names = net.stateDict().map((t) => t.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'layers.0.weight', 'layers.1.weight_ih_l0', 'layers.1.weight_hh_l0_reverse', 'layers.1.bias_ih_l0_reverse', 'layers.2.weight_ih_l0', 'layers.2.bias_hh_l0',
        'layers.3.pos', 'layers.3.blocks.0.attn.in_proj_weight', 'layers.3.blocks.0.attn.out_proj.weight', 'layers.3.blocks.0.ff1.weight', 'layers.3.blocks.0.ff2.bias',
        'layers.3.blocks.0.norm1.weight', 'layers.3.blocks.0.norm2.bias', 'layers.3.norm.weight', 'layers.5.weight',
      ]),
    );
    expect(net.stateDict().find((t) => t.name === 'layers.0.weight')!.data.subarray(0, 4)).toEqual(new Float32Array(4)); // the pad row is zero
    net.dispose();
  });

  it('training is deterministic under a seed, and a state dict round-trips the predictions', async () => {
    const x = tokens(64, 12, 12, 3);
    const y = Int32Array.from({ length: 64 }, (_, i) => (x[i * 12]! > 10 ? 1 : 0));
    const run = async () => {
      const net = buildNet(DEFAULT_TEXT_TRANSFORMER(20, 12, 2, 4));
      await net.fit({ x, y }, opts);
      return net;
    };
    const a = await run();
    const b = await run();
    const pa = a.predictSync(x);
    expect(maxDiff(pa, b.predictSync(x))).toBe(0);
    const c = buildNet(DEFAULT_TEXT_TRANSFORMER(20, 12, 2, 99));
    c.loadStateDict(a.stateDict());
    expect(maxDiff(pa, c.predictSync(x))).toBe(0);
    const g = buildNet(DEFAULT_TEXT_GRU(20, 12, 2, 1));
    await g.fit({ x, y }, opts);
    const h = buildNet(DEFAULT_TEXT_GRU(20, 12, 2, 2));
    h.loadStateDict(g.stateDict());
    expect(maxDiff(g.predictSync(x), h.predictSync(x))).toBe(0);
    for (const n of [a, b, c, g, h]) n.dispose();
  });

  it('errors name the layer: spec and engine', () => {
    expect(() => parseNetSpec({ inputShape: [8], layers: [{ type: 'lstm', hidden: 4 }, { type: 'pool', mode: 'mean' }, { type: 'linear', out: 2 }], outputDim: 2 })).toThrow(/layers\[0\] \(lstm\): needs a sequence \[seqLen, features\], got \[8\]/);
    expect(() => parseNetSpec({ inputShape: [8], layers: [{ type: 'embedding', vocab: 10, dim: 6 }, { type: 'transformer', heads: 4, ff: 8 }, { type: 'pool', mode: 'mean' }, { type: 'linear', out: 2 }], outputDim: 2 })).toThrow(/layers\[1\] \(transformer\): the width 6 must be a multiple of heads 4/);
    expect(() => parseNetSpec({ inputShape: [8], layers: [{ type: 'embedding', vocab: 10, dim: 6 }, { type: 'pool', mode: 'sum' }], outputDim: 6 })).toThrow(/layers\[1\] \(pool\)\.mode/);
    expect(() => parseNetSpec({ inputShape: [8], layers: [{ type: 'embedding', vocab: 10, dim: 6 }, { type: 'residual', layers: [{ type: 'pool', mode: 'mean' }] }], outputDim: 6 })).toThrow(/layers\[1\] \(residual\): the block must keep the rank/);
    expect(inferShapes({ inputShape: [8], layers: [{ type: 'embedding', vocab: 10, dim: 6 }, { type: 'residual', layers: [{ type: 'lstm', hidden: 4 }] }] }).output).toEqual([8, 4]);
    const { TorchNet } = addon();
    expect(() => new TorchNet({ inputShape: [8], layers: [{ type: 'embedding', vocab: 10, dim: 6 }, { type: 'transformer', heads: 4, ff: 8 }, { type: 'pool', mode: 'mean' }, { type: 'linear', out: 2 }], outputDim: 2, seed: 0 })).toThrow(
      /spec\.layers\[1\] \(transformer\): the width 6 must be a multiple of heads 4/,
    );
    const net = buildNet({ inputShape: [4], layers: [{ type: 'embedding', vocab: 10, dim: 4 }, { type: 'pool', mode: 'mean' }, { type: 'linear', out: 2 }], outputDim: 2 });
    expect(() => net.predictSync(new Float32Array([1, 2, 12, 0]))).toThrow(/token ids must be integers in \[0, 10\), got 12/);
    net.dispose();
  });
});
