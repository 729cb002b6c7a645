import { describe, expect, it } from 'vitest';
import { addon } from '../../src/engine/addon.js';
import { buildNet, DEFAULT_MIXED_NET, inferShapes, parseNetSpec, type Layer, type NetSpecInput } from '../../src/models/net-spec.js';

type Branch = Extract<Layer, { type: 'branches' }>['branches'][number];

// A row of 4 tabular features | 6 token ids | a 2 × 3 × 3 image.
const TABULAR: Branch = { from: 0, to: 4, shape: [4], layers: [{ type: 'linear', out: 5 }, { type: 'relu' }] };
const TEXT: Branch = { from: 4, to: 10, shape: [6], layers: [{ type: 'embedding', vocab: 9, dim: 8 }, { type: 'gru', hidden: 3, bidirectional: true }, { type: 'pool', mode: 'mean' }] };
const IMAGE: Branch = { from: 10, to: 28, shape: [2, 3, 3], layers: [{ type: 'conv2d', out: 4, kernel: 2 }, { type: 'globalavgpool' }] };
const ROW = 28;

const branches = (list: unknown[], inputShape: number[] = [ROW], outputDim = 15) => ({ inputShape, layers: [{ type: 'branches', branches: list }], outputDim }) as NetSpecInput;

const fails = (input: unknown, message: RegExp) => expect(() => parseNetSpec(input)).toThrow(message);

/** Seeded rows: tabular values, token ids with right padding (0), pixels. */
function rows(n: number): Float32Array {
  let s = 3;
  const rand = () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
  const x = new Float32Array(n * ROW);
  for (let i = 0; i < n; i++) {
    const r = x.subarray(i * ROW, (i + 1) * ROW);
    for (let j = 0; j < 4; j++) r[j] = rand() * 2 - 1;
    const len = 1 + (i % 6);
    for (let t = 0; t < len; t++) r[4 + t] = 1 + Math.floor(rand() * 8);
    for (let j = 10; j < ROW; j++) r[j] = rand();
  }
  return x;
}

describe('models: the branches layer (mixed inputs)', () => {
  it('follows each branch from its slice of the row and concatenates their widths', () => {
    const { layers, output } = inferShapes(parseNetSpec(branches([TABULAR, TEXT, IMAGE])));
    expect(output).toEqual([5 + 6 + 4]);
    expect(layers.map((l) => `${l.path} ${l.type} [${l.output.join(',')}]`)).toEqual([
      'layers[0].branches[0].layers[0] linear [5]',
      'layers[0].branches[0].layers[1] relu [5]',
      'layers[0].branches[1].layers[0] embedding [6,8]',
      'layers[0].branches[1].layers[1] gru [6,6]',
      'layers[0].branches[1].layers[2] pool [6]',
      'layers[0].branches[2].layers[0] conv2d [4,2,2]',
      'layers[0].branches[2].layers[1] globalavgpool [4]',
      'layers[0] branches [15]',
    ]);
    const mixed = DEFAULT_MIXED_NET({ tabular: 7, texts: [{ from: 7, seqLen: 12, vocab: 50 }] }, 3);
    expect(mixed.inputShape).toEqual([19]);
    expect(inferShapes(mixed).layers.find((l) => l.type === 'branches')!.output).toEqual([128]);
  });

  it('names the branch, or the layer inside it, whose input does not fit', () => {
    fails(branches([TABULAR, { ...TEXT, shape: [5] }]), /^layers\[0\]\.branches\[1\]: shape \[5\] holds 5 values, but columns \[4, 10\) are 6$/);
    fails(branches([{ ...TABULAR, to: 30 }]), /^layers\[0\]\.branches\[0\]: columns \[0, 30\) must be a non-empty range inside the row of 28$/);
    fails(branches([TABULAR, { ...TEXT, layers: [TEXT.layers[0]!, TEXT.layers[1]!] }]), /^layers\[0\]\.branches\[1\]: a branch must end flat, got \[6, 6\]$/);
    fails(branches([TABULAR, { ...IMAGE, layers: [{ type: 'linear', out: 2 }] }]), /^layers\[0\]\.branches\[1\]\.layers\[0\] \(linear\): needs a flat input, got \[2, 3, 3\]$/);
    fails(branches([{ ...TABULAR, layers: [{ type: 'linear', out: 0 }] }]), /^layers\[0\]\.branches\[0\]\.layers\[0\] \(linear\)\.out: must be a positive integer, got 0$/);
    fails(branches([]), /a branches layer needs at least one branch/);
    fails(branches([TABULAR], [2, 14]), /^layers\[0\] \(branches\): needs a flat row \[features\], got \[2, 14\]$/);
    // The engine checks the same rules when a spec reaches it unvalidated.
    const { TorchNet } = addon();
    const raw = (list: Branch[]) => () => new TorchNet({ inputShape: [ROW], layers: [{ type: 'branches', branches: list }], outputDim: 15, seed: 0 });
    expect(raw([TABULAR, { ...TEXT, shape: [5] }])).toThrow(/spec\.layers\[0\]\.branches\[1\]: 'shape' \[5\] holds 5 values, but columns \[4, 10\) are 6/);
    expect(raw([TABULAR, { ...IMAGE, layers: [{ type: 'linear', out: 2 }] }])).toThrow(/spec\.layers\[0\]\.branches\[1\]\.layers\[0\] \(linear\): needs a flat input/);
    expect(raw([TABULAR, { ...TEXT, layers: [TEXT.layers[0]!] }])).toThrow(/spec\.layers\[0\]\.branches\[1\]: a branch must end flat, got \[6, 8\]/);
  });

  it('equals running each branch as its own network on its columns and concatenating', async () => {
    const net = buildNet(branches([TABULAR, TEXT, IMAGE]));
    const state = net.stateDict();
    expect(state.map((t) => t.name)).toContain('layers.0.branches.1.layers.0.weight');
    const n = 12;
    const x = rows(n);
    const out = await net.predict(x, { softmax: false });
    expect(out).toHaveLength(n * 15);
    let at = 0;
    for (const [j, b] of [TABULAR, TEXT, IMAGE].entries()) {
      const width = inferShapes({ inputShape: b.shape, layers: b.layers }).output[0]!;
      const alone = buildNet({ inputShape: b.shape, layers: b.layers, outputDim: width });
      const prefix = `layers.0.branches.${j}.`;
      alone.loadStateDict(state.filter((t) => t.name.startsWith(prefix)).map((t) => ({ ...t, name: t.name.slice(prefix.length) })));
      const slice = new Float32Array(n * (b.to - b.from));
      for (let i = 0; i < n; i++) slice.set(x.subarray(i * ROW + b.from, i * ROW + b.to), i * (b.to - b.from));
      const own = await alone.predict(slice, { softmax: false });
      for (let i = 0; i < n; i++) {
        const got = Array.from(out.subarray(i * 15 + at, i * 15 + at + width));
        const want = Array.from(own.subarray(i * width, (i + 1) * width));
        got.forEach((v, k) => expect(v).toBeCloseTo(want[k]!, 5));
      }
      at += width;
      alone.dispose();
    }
    net.dispose();
  });

  it('trains end to end: the weights of every branch move', async () => {
    const spec = parseNetSpec({ inputShape: [ROW], layers: [{ type: 'branches', branches: [TABULAR, TEXT, IMAGE] }, { type: 'linear', out: 2 }], outputDim: 2 });
    const net = buildNet(spec);
    const before = new Map(net.stateDict().map((t) => [t.name, Float32Array.from(t.data)]));
    const x = rows(64);
    const y = Int32Array.from({ length: 64 }, (_, i) => (x[i * ROW]! > 0 ? 1 : 0));
    await net.fit({ x, y }, { task: 'classification', epochs: 2, batchSize: 16, optimizer: 'adam', lrPerEpoch: new Float64Array([1e-2]), weightDecay: 0, patience: 0, seed: 1, threads: 1 });
    for (const t of net.stateDict()) {
      expect(Array.from(t.data), t.name).not.toEqual(Array.from(before.get(t.name)!));
    }
    net.dispose();
  });
});
