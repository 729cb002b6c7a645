import { describe, expect, it } from 'vitest';
import type { TorchNetLayer } from '../../src/engine/addon.js';
import { buildNet, inferShapes, parseNetSpec } from '../../src/models/net-spec.js';

const F = 3; // sensors per step; each step also carries its 0/1 validity flag

/** n numeric sequences of random length in [2, seqLen], right-padded to `width` steps; pads hold `padValue` with flag 0. */
function sequences(n: number, seqLen: number, width: number, seed: number, padValue = (i: number) => 7 + Math.sin(i)): Float32Array {
  let r = seed;
  const rand = () => (r = (r * 1103515245 + 12345) % 2147483648) / 2147483648;
  const x = new Float32Array(n * width * (F + 1));
  for (let i = 0; i < n; i++) {
    const len = i === 0 ? seqLen : 2 + Math.floor(rand() * (seqLen - 1));
    for (let t = 0; t < width; t++) {
      const at = (i * width + t) * (F + 1);
      for (let f = 0; f < F; f++) x[at + f] = t < len ? rand() * 2 - 1 : padValue(at + f);
      x[at + F] = t < len ? 1 : 0;
    }
  }
  return x;
}

/** The same rows with `extra` more padded steps (garbage values, flag 0). */
function padSteps(x: Float32Array, width: number, extra: number): Float32Array {
  const row = width * (F + 1);
  const n = x.length / row;
  const out = new Float32Array(n * (width + extra) * (F + 1)).map((_, i) => ((i % (F + 1)) === F ? 0 : -3 + Math.cos(i)));
  for (let i = 0; i < n; i++) out.set(x.subarray(i * row, (i + 1) * row), i * (width + extra) * (F + 1));
  return out;
}

const maxDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);

const heads: Record<string, TorchNetLayer[]> = {
  'GRU, last': [{ type: 'gru', hidden: 8 }, { type: 'pool', mode: 'last' }],
  'LSTM ×2, last': [{ type: 'lstm', hidden: 6, layers: 2 }, { type: 'pool', mode: 'last' }],
  'bi-GRU, mean': [{ type: 'gru', hidden: 5, bidirectional: true }, { type: 'pool', mode: 'mean' }],
  'bi-LSTM, max': [{ type: 'lstm', hidden: 4, bidirectional: true }, { type: 'pool', mode: 'max' }],
  'transformer pre, mean': [{ type: 'transformer', heads: 1, ff: 8, layers: 2 }, { type: 'pool', mode: 'mean' }],
};

describe("engine: the 'mask' layer (numeric sequences with a validity flag)", () => {
  for (const [name, body] of Object.entries(heads)) {
    it(`${name}: appending padded steps, or changing the pads' values, does not change the output`, () => {
      const layers: TorchNetLayer[] = [{ type: 'mask' }, ...body, { type: 'linear', out: 2 }];
      const short = buildNet({ inputShape: [10, F + 1], layers, outputDim: 2, seed: 3 });
      const long = buildNet({ inputShape: [16, F + 1], layers, outputDim: 2, seed: 3 });
      const state = long.stateDict().map((t) => (t.name.endsWith('.pos') ? { ...t, shape: [10, t.shape[1]!], data: t.data.slice(0, 10 * t.shape[1]!) } : t));
      short.loadStateDict(state);
      const x = sequences(12, 10, 10, 1);
      const a = short.predictSync(x, { softmax: false });
      expect(maxDiff(a, long.predictSync(padSteps(x, 10, 6), { softmax: false }))).toBeLessThan(1e-5);
      expect(maxDiff(a, short.predictSync(sequences(12, 10, 10, 1, () => -100), { softmax: false }))).toBeLessThan(1e-5);
      // The valid steps do matter: other sequences, other outputs.
      expect(maxDiff(a, short.predictSync(sequences(12, 10, 10, 9), { softmax: false }))).toBeGreaterThan(1e-3);
      short.dispose();
      long.dispose();
    });
  }

  it('without the mask layer the pads count (which is why it exists)', () => {
    const layers: TorchNetLayer[] = [{ type: 'gru', hidden: 8 }, { type: 'pool', mode: 'last' }, { type: 'linear', out: 2 }];
    const net = buildNet({ inputShape: [10, F + 1], layers, outputDim: 2, seed: 3 });
    const x = sequences(12, 6, 10, 1);
    expect(maxDiff(net.predictSync(x), net.predictSync(sequences(12, 6, 10, 1, () => -100)))).toBeGreaterThan(1e-3);
    net.dispose();
  });

  it('shapes: the flag is dropped; a sequence without a feature besides it is refused', () => {
    const spec = parseNetSpec({ inputShape: [20, 5], layers: [{ type: 'mask' }, { type: 'gru', hidden: 7 }, { type: 'pool', mode: 'last' }, { type: 'linear', out: 2 }], outputDim: 2 });
    expect(inferShapes(spec).layers.map((l) => l.output)).toEqual([[20, 4], [20, 7], [7], [2]]);
    expect(() => parseNetSpec({ inputShape: [20, 1], layers: [{ type: 'mask' }, { type: 'pool', mode: 'last' }, { type: 'linear', out: 2 }], outputDim: 2 })).toThrow(/layers\[0\] \(mask\): needs at least one feature besides the validity flag/);
    expect(() => parseNetSpec({ inputShape: [20], layers: [{ type: 'mask' }, { type: 'linear', out: 2 }], outputDim: 2 })).toThrow(/needs a sequence/);
  });
});
