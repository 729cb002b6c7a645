import { describe, expect, it } from 'vitest';
import { addon } from '../../src/engine/addon.js';
import { blobs } from '../helpers.js';

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
});
