import { describe, expect, it } from 'vitest';
import { addon } from '../../src/engine/addon.js';
import { blobs, processThreads as threads } from '../helpers.js';

const { XgbModel } = addon();
const params = { objective: 'binary:logistic', eval_metric: 'logloss', max_depth: '3', eta: '0.3', nthread: '1', seed: '1' };

describe('engine: XgbModel', () => {
  it('stops early on the validation set and keeps only the best rounds', async () => {
    const { x, y } = blobs(1500, 6);
    // Label noise makes validation loss turn up after a while.
    const noisy = Float32Array.from(y, (v, i) => (i % 5 === 0 ? 1 - v : v));
    const m = new XgbModel();
    const rounds: number[] = [];
    const r = await m.fit(
      { x: x.subarray(0, 1000 * 6), y: noisy.subarray(0, 1000), xVal: x.subarray(1000 * 6), yVal: noisy.subarray(1000), numFeatures: 6 },
      { params, rounds: 500, earlyStoppingRounds: 10 },
      (e) => rounds.push(e.round),
    );
    expect(r.stopReason).toBe('early_stopping');
    expect(r.rounds).toBe(r.bestIteration + 11);
    expect(rounds.length).toBe(r.rounds);
    // Sliced to the best iteration: the saved model has bestIteration + 1 trees.
    const json = JSON.parse(m.save('json').toString()) as { learner: { gradient_booster: { model: { trees: unknown[] } } } };
    expect(json.learner.gradient_booster.model.trees.length).toBe(r.bestIteration + 1);
    m.dispose();
  });

  it('predicts probabilities, SHAP contributions that sum to the margin, and survives save/load', async () => {
    const { x, y } = blobs(800, 6);
    const m = new XgbModel();
    await m.fit({ x, y: Float32Array.from(y), numFeatures: 6 }, { params, rounds: 30, earlyStoppingRounds: 0 });
    const rows = x.subarray(0, 5 * 6);
    const p = await m.predict(rows);
    expect(p.shape).toEqual([5]);
    const margin = await m.predict(rows, { output: 'margin' });
    const contribs = await m.predict(rows, { output: 'contribs' });
    expect(contribs.shape).toEqual([5, 7]);
    for (let i = 0; i < 5; i++) {
      const sum = contribs.data.subarray(i * 7, i * 7 + 7).reduce((s, v) => s + v, 0);
      expect(sum).toBeCloseTo(margin.data[i]!, 4);
      expect(p.data[i]).toBeCloseTo(1 / (1 + Math.exp(-margin.data[i]!)), 5);
    }
    const loaded = new XgbModel(m.save('ubj'));
    expect(loaded.numFeatures).toBe(6);
    expect(Array.from((await loaded.predict(rows)).data)).toEqual(Array.from(p.data));
    m.dispose();
    loaded.dispose();
  });

  it('turns XGBoost and argument failures into coded errors', async () => {
    const { x, y } = blobs(100, 6);
    const m = new XgbModel();
    expect(() => m.predict(x)).toThrow(/not been trained/);
    await expect(m.fit({ x, y: Float32Array.from(y), numFeatures: 6 }, { params: { ...params, max_depth: 'deep' }, rounds: 5, earlyStoppingRounds: 0 })).rejects.toMatchObject({ code: 'E_XGB' });
    expect(() => m.fit({ x, y: Float32Array.from(y), numFeatures: 6 }, { params: { max_depth: 3 as unknown as string }, rounds: 5, earlyStoppingRounds: 0 })).toThrow(/parameter 'max_depth' must be passed as a string/);
    expect(() => m.fit({ x, y: Float32Array.from(y).subarray(1), numFeatures: 6 }, { params, rounds: 5, earlyStoppingRounds: 0 })).toThrow(/y has 99 elements, expected 100/);
    expect(() => new XgbModel(Buffer.from('not a model'))).toThrow(/XGBoosterLoadModelFromBuffer/);
    await m.fit({ x, y: Float32Array.from(y), numFeatures: 6 }, { params, rounds: 5, earlyStoppingRounds: 0 });
    expect(() => m.predict(new Float32Array(5))).toThrow(/model's 6 features/);
    m.dispose();
  });

  it('runs fits one after another on its own thread, and a prediction does not wait for a running fit', async () => {
    const { x, y } = blobs(800, 6);
    const small = new XgbModel();
    await small.fit({ x, y: Float32Array.from(y), numFeatures: 6 }, { params, rounds: 10, earlyStoppingRounds: 0 });
    const big = blobs(20_000, 20);
    const long = new XgbModel();
    const longer = new XgbModel();
    const order: string[] = [];
    const data = { x: big.x, y: Float32Array.from(big.y), numFeatures: 20 };
    const fit1 = long.fit(data, { params: { ...params, max_depth: '8', nthread: '2' }, rounds: 300, earlyStoppingRounds: 0 }, (r) => r.round === 1 && order.push('fit 1 started')).then(() => order.push('fit 1 done'));
    const fit2 = longer.fit(data, { params: { ...params, max_depth: '8', nthread: '2' }, rounds: 5, earlyStoppingRounds: 0 }, (r) => r.round === 1 && order.push('fit 2 started')).then(() => order.push('fit 2 done'));
    while (!order.includes('fit 1 started')) await new Promise((r) => setTimeout(r, 5));
    const p = await small.predict(x.subarray(0, 6 * 4));
    order.push('predicted');
    expect(p.shape).toEqual([4]);
    await Promise.all([fit1, fit2]);
    // The prediction ran beside fit 1; fit 2 queued behind it (one OpenMP team per process).
    expect(order).toEqual(['fit 1 started', 'predicted', 'fit 1 done', 'fit 2 started', 'fit 2 done']);
    for (const m of [small, long, longer]) m.dispose();
  });

  it('starts no OpenMP team outside its own thread: predicting beside a fit, saving and loading run on one thread there', async () => {
    // Each thread that starts a two-thread team keeps it; once libgomp's threads outnumber the
    // cores every barrier sleeps, and XGBoost fits in the process ran 10x slower for good.
    const twoThreads = { ...params, nthread: '2' };
    const { x, y } = blobs(2000, 6);
    const small = new XgbModel();
    await small.fit({ x, y: Float32Array.from(y), numFeatures: 6 }, { params: twoThreads, rounds: 20, earlyStoppingRounds: 0 });
    const expected = await small.predict(x);
    const before = threads();
    const big = blobs(20_000, 20);
    const long = new XgbModel();
    let started = false;
    const fit = long.fit({ x: big.x, y: Float32Array.from(big.y), numFeatures: 20 }, { params: { ...twoThreads, max_depth: '8' }, rounds: 100_000, earlyStoppingRounds: 0 }, () => (started = true));
    while (!started) await new Promise((r) => setTimeout(r, 5));
    // Beside the running fit: a prediction on a libuv thread, one on this thread, a save and a load.
    const beside = await small.predict(x);
    const besideSync = small.predictSync(x);
    const loaded = new XgbModel(small.save('ubj'));
    long.cancel();
    await fit;
    expect(Array.from(beside.data)).toEqual(Array.from(expected.data));
    expect(Array.from(besideSync.data)).toEqual(Array.from(expected.data));
    expect(Array.from((await loaded.predict(x)).data)).toEqual(Array.from(expected.data));
    expect(threads(), 'no thread started outside the XGBoost thread').toBe(before);
    for (const m of [small, long, loaded]) m.dispose();
  });
});
