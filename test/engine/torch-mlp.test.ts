import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { addon } from '../../src/engine/addon.js';
import { blobs } from '../helpers.js';

const { TorchMlp } = addon();
const spec = { inputDim: 10, outputDim: 2, hidden: [32], activation: 'relu' as const, dropout: 0.1, batchNorm: false, seed: 7 };
const PYTHON = process.env.PEER_PYTHON ?? '/usr/bin/python3';
const opts = { task: 'classification' as const, epochs: 30, batchSize: 64, optimizer: 'adam' as 'adam' | 'lbfgs', lrPerEpoch: new Float64Array(30).fill(0.01), weightDecay: 0, patience: 5, seed: 3, threads: 1 };

describe('engine: TorchMlp', () => {
  it('learns a separable problem, stops early on validation loss and reports every epoch', async () => {
    const { x, y } = blobs(2000, 10);
    const m = new TorchMlp(spec);
    const epochs: number[] = [];
    const r = await m.fit({ x: x.subarray(0, 1500 * 10), y: y.subarray(0, 1500), xVal: x.subarray(1500 * 10), yVal: y.subarray(1500) }, { ...opts, epochs: 200, lrPerEpoch: new Float64Array(200).fill(0.01) }, (e) => epochs.push(e.epoch));
    expect(r.stopReason).toBe('early_stopping');
    expect(r.epochs).toBeLessThan(200);
    expect(epochs).toEqual(Array.from({ length: r.epochs }, (_, i) => i + 1));
    const p = await m.predict(x.subarray(1500 * 10));
    let correct = 0;
    for (let i = 0; i < 500; i++) if ((p[2 * i + 1]! > 0.5 ? 1 : 0) === y[1500 + i]) correct++;
    expect(correct / 500).toBeGreaterThan(0.95);
    expect(p[0]! + p[1]!).toBeCloseTo(1, 5);
    m.dispose();
  });

  // scikit-learn's LogisticRegression minimises mean log-loss + ||w||² / (2 C n); our softmax
  // network with the penalty λ/2 Σ||W_k||² on its weight rows is the same problem for C = 1/(λ n)
  // with several classes, and for C = 2/(λ n) with two (the two rows settle at w/2 and −w/2).
  it.each([2, 3])('lbfgs reaches scikit-learn\'s logistic regression optimum (%i classes)', async (k) => {
    const n = 300, d = 5, lambda = 0.01;
    const { x } = blobs(n, d, 11);
    const y = Int32Array.from({ length: n }, (_, i) => (k === 3 && x[i * d]! > 0.3 ? 2 : x[i * d]! + 0.5 * x[i * d + 1]! + 0.3 * x[i * d + 2]! > 0 ? 1 : 0));
    const m = new TorchMlp({ ...spec, inputDim: d, outputDim: k, hidden: [], dropout: 0 });
    const r = await m.fit({ x, y }, { ...opts, optimizer: 'lbfgs', epochs: 100, weightDecay: lambda });
    expect(r.stopReason).toBe('converged');
    const ours = Array.from(await m.predict(x));
    m.dispose();
    const C = (k === 2 ? 2 : 1) / (lambda * n);
    const script = `import json,sys; from sklearn.linear_model import LogisticRegression as L; import numpy as np
a=json.load(sys.stdin); X=np.array(a['x']).reshape(-1,${d}); m=L(C=${C},tol=1e-10,max_iter=10000).fit(X,a['y'])
print(json.dumps(m.predict_proba(X).ravel().tolist()))`;
    const py = spawnSync(PYTHON, ['-c', script], { input: JSON.stringify({ x: Array.from(x), y: Array.from(y) }), encoding: 'utf8' });
    expect(py.status, py.stderr).toBe(0);
    const theirs = JSON.parse(py.stdout) as number[];
    expect(theirs).toHaveLength(ours.length);
    const worst = Math.max(...ours.map((p, i) => Math.abs(p - theirs[i]!)));
    expect(worst).toBeLessThan(1e-3);
  });

  // Debian's libtorch multiplies with OpenBLAS, whose pool ignores at::set_num_threads: a
  // one-thread fit must size it too, or small fits beside a busy process crawl.
  it('sizes the BLAS thread pool with the fit\'s blasThreads (default: its threads)', async () => {
    const { x, y } = blobs(200, 10);
    const before = addon().versions().blasThreads;
    expect(typeof before, 'the engine links OpenBLAS (Debian libtorch-dev): its pool is visible').toBe('number');
    for (const [threads, blasThreads, expected] of [[1, undefined, 1], [2, undefined, 2], [2, 1, 1], [1, 2, 2], [1, undefined, 1]] as const) {
      const m = new TorchMlp(spec);
      await m.fit({ x, y }, { ...opts, epochs: 2, threads, ...(blasThreads ? { blasThreads } : {}) });
      m.dispose();
      expect(addon().versions().blasThreads, `threads ${threads}, blasThreads ${blasThreads}`).toBe(expected);
    }
  });

  it('trains off the event loop: a timer keeps firing during fit', async () => {
    const { x, y } = blobs(20000, 10);
    const m = new TorchMlp({ ...spec, hidden: [256, 256] });
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    const started = Date.now();
    await m.fit({ x, y }, { ...opts, epochs: 5, lrPerEpoch: new Float64Array(5).fill(0.001) });
    clearInterval(timer);
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThan(100);
    // A blocked loop would tick at most once; a free one ticks about elapsed/5 times.
    expect(ticks).toBeGreaterThan(elapsed / 5 / 4);
    m.dispose();
  });

  it('cancel() stops training and resolves with stopReason cancelled', async () => {
    const { x, y } = blobs(20000, 10);
    const m = new TorchMlp({ ...spec, hidden: [256, 256] });
    const run = m.fit({ x, y }, { ...opts, epochs: 1000, lrPerEpoch: new Float64Array([0.001]) }, (e) => {
      if (e.epoch === 2) m.cancel();
    });
    const r = await run;
    expect(r.stopReason).toBe('cancelled');
    expect(r.epochs).toBeLessThan(10);
    m.dispose();
  });

  it('the same seed gives the same weights and metrics', async () => {
    const { x, y } = blobs(1000, 10);
    const run = async () => {
      const m = new TorchMlp(spec);
      const losses: number[] = [];
      await m.fit({ x, y, xVal: x.subarray(0, 2000), yVal: y.subarray(0, 200) }, opts, (e) => losses.push(e.valLoss!));
      const out = await m.predict(x.subarray(0, 100));
      m.dispose();
      return { losses, out: Array.from(out) };
    };
    const a = await run();
    const b = await run();
    expect(a.losses).toEqual(b.losses);
    expect(a.out).toEqual(b.out);
  });

  it('names wrong dtypes, shapes, labels and options in its errors', async () => {
    const m = new TorchMlp(spec);
    const { x, y } = blobs(10, 10);
    expect(() => m.fit({ x: new Float64Array(100) as unknown as Float32Array, y }, opts)).toThrow(/x must be a Float32Array \(got Float64Array\)/);
    expect(() => m.fit({ x: new Float32Array(95), y }, opts)).toThrow(/x has 95 elements, not a non-empty multiple of inputDim 10/);
    expect(() => m.fit({ x, y: new Int32Array(9) }, opts)).toThrow(/y \(class indices\) has 9 elements, expected 10/);
    expect(() => m.fit({ x, y: Float32Array.from(y) }, opts)).toThrow(/must be a Int32Array \(got Float32Array\)/);
    expect(() => m.fit({ x, y }, { ...opts, optimizer: 'adagrad' as 'adam' })).toThrow(/optimizer' must be adam, adamw, sgd or lbfgs/);
    await expect(m.fit({ x, y: new Int32Array(10).fill(5) }, opts)).rejects.toThrow(/class index 5 outside \[0, 2\)/);
    expect(() => new TorchMlp({ ...spec, activation: 'swish' as 'relu' })).toThrow(/activation must be one of/);
    expect(() => m.predict(new Float32Array(7))).toThrow(/not a multiple of inputDim 10/);
    try {
      m.predict(new Float32Array(7));
    } catch (e) {
      expect((e as { code: string }).code).toBe('E_ARG');
    }
    m.dispose();
    expect(() => m.predict(x)).toThrow(/disposed/);
  });

  it('round-trips weights through stateDict/loadStateDict and rejects mismatched shapes', async () => {
    const { x, y } = blobs(500, 10);
    const a = new TorchMlp({ ...spec, batchNorm: true });
    await a.fit({ x, y }, { ...opts, epochs: 3 });
    const state = a.stateDict();
    expect(state.map((t) => t.name)).toContain('1.running_mean');
    const b = new TorchMlp({ ...spec, batchNorm: true, seed: 99 });
    b.loadStateDict(state);
    expect(Array.from(await b.predict(x))).toEqual(Array.from(await a.predict(x)));
    const c = new TorchMlp({ ...spec, hidden: [16], batchNorm: true });
    expect(() => c.loadStateDict(state)).toThrow(/tensor '0.weight' has 320 values; the model expects shape \[16, 10\]/);
    for (const m of [a, b, c]) m.dispose();
  });
});
