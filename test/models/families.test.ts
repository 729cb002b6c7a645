import { describe, expect, it } from 'vitest';
import { readTable } from '../../src/data/readers/index.js';
import { addon } from '../../src/engine/addon.js';
import { join } from 'node:path';
import { loadModel, saveModel } from '../../src/models/artifact.js';
import { resolveParams, lrSchedule } from '../../src/models/spec.js';
import { fitForest } from '../../src/models/xgboost-family.js';
import { train } from '../../src/train/train.js';
import { CANCER, CREDIT, blobs, tmp } from '../helpers.js';

describe('models: families on real data and engine options', () => {
  it.each(['logistic', 'mlp', 'xgboost', 'forest'] as const)('%s handles a multi-class target (credit-g housing: rent / own / for free)', async (model) => {
    const r = await train(CREDIT, { target: 'housing', model });
    expect(r.model.classes).toEqual(['rent', 'own', 'for free']);
    expect(r.test.task === 'classification' && r.test.confusion.length).toBe(3);
    // property_magnitude and other columns carry real signal about housing.
    expect(r.test.task === 'classification' && r.test.rocAuc).toBeGreaterThan(0.7);
    const probs = await r.model.predictTable((await readTable(CREDIT)).take([0, 1, 2]));
    expect(probs).toHaveLength(9);
    for (let i = 0; i < 3; i++) expect(probs[3 * i]! + probs[3 * i + 1]! + probs[3 * i + 2]!).toBeCloseTo(1, 5);
    r.model.dispose();
  });

  it('the engine follows the per-epoch learning-rate schedule computed in TS', async () => {
    const { TorchMlp } = addon();
    const { x, y } = blobs(256, 4);
    const lrs = lrSchedule({ lr: 0.1, schedule: 'step', epochs: 6 });
    expect(Array.from(lrs).map((v) => +v.toPrecision(3))).toEqual([0.1, 0.1, 0.01, 0.01, 0.001, 0.001]);
    const seen: number[] = [];
    const m = new TorchMlp({ inputDim: 4, outputDim: 2, hidden: [], activation: 'relu', dropout: 0, batchNorm: false, seed: 1 });
    await m.fit({ x, y }, { task: 'classification', epochs: 6, batchSize: 32, optimizer: 'sgd', lrPerEpoch: lrs, weightDecay: 0, patience: 0, seed: 1, threads: 1 }, (e) => seen.push(e.lr));
    expect(seen).toEqual(Array.from(lrs));
    m.dispose();
    const cos = lrSchedule({ lr: 1, schedule: 'cosine', epochs: 4 });
    expect(cos[0]).toBe(1);
    expect(cos[2]).toBeCloseTo(0.5);
  });

  it('balanced class weights raise recall of the minority class (credit-g: bad is 30 %)', async () => {
    const recallBad = async (classWeights: 'none' | 'balanced') => {
      const r = await train(CREDIT, { target: 'class', model: 'logistic', params: { logistic: { classWeights } } });
      r.model.dispose();
      return r.test.task === 'classification' ? r.test.perClass[1]!.recall : NaN;
    };
    const plain = await recallBad('none');
    const balanced = await recallBad('balanced');
    expect(balanced).toBeGreaterThan(plain + 0.1);
  });

  describe('forest (XGBoost random-forest mode)', () => {
    const ctx = { task: 'classification' as const, numClasses: 2, numFeatures: 4, seed: 3, torchThreads: 1, xgbThreads: 2 };

    it('averages its trees: identical trees (all rows, all features) predict as one tree; subsampled ones do not', async () => {
      const { x, y } = blobs(400, 4);
      const fit = (trees: number, sampleFraction: number, featureFraction: number) => fitForest(resolveParams('forest', { trees, sampleFraction, featureFraction, maxDepth: 6 }), { x, y }, undefined, ctx);
      const predict = async (trees: number, s: number, f: number) => {
        const m = await fit(trees, s, f);
        const out = await m.predict(x);
        m.dispose();
        return out;
      };
      const one = await predict(1, 1, 1);
      const many = await predict(50, 1, 1);
      for (let i = 0; i < one.length; i++) expect(many[i]).toBeCloseTo(one[i]!, 5);
      const forest = await predict(50, 0.632, 0.5);
      expect(Array.from(forest).some((v, i) => Math.abs(v - one[i]!) > 1e-3)).toBe(true);
      // Probabilities, one column per class.
      for (let i = 0; i < 20; i++) expect(forest[2 * i]! + forest[2 * i + 1]!).toBeCloseTo(1, 5);
    });

    it("predicts its leaves' class frequencies, as scikit-learn's forest does (two and three classes)", async () => {
      // One binary feature: stumps split on it, so the leaves hold the rows with x = 0 and x = 1.
      const x = Float32Array.from({ length: 20 }, (_, i) => (i < 10 ? 0 : 1));
      const params = resolveParams('forest', { trees: 5, maxDepth: 1, minChildWeight: 0.01, sampleFraction: 1, featureFraction: 1 });
      const two = Int32Array.from([1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0]); // P(1) = 0.3 and 0.8
      const m2 = await fitForest(params, { x, y: two }, undefined, { ...ctx, numFeatures: 1 });
      const p2 = await m2.predict(Float32Array.from([0, 1]));
      expect(Array.from(p2).map((v) => +v.toFixed(4))).toEqual([0.7, 0.3, 0.2, 0.8]);
      expect(Array.from(m2.predictSync(Float32Array.from([0, 1])))).toEqual(Array.from(p2));
      m2.dispose();
      const three = Int32Array.from([0, 0, 0, 0, 0, 1, 1, 1, 2, 2, 0, 1, 2, 2, 2, 2, 2, 2, 2, 2]); // (.5 .3 .2) and (.1 .1 .8)
      const m3 = await fitForest(params, { x, y: three }, undefined, { ...ctx, numClasses: 3, numFeatures: 1 });
      const p3 = await m3.predict(Float32Array.from([0, 1]));
      expect(Array.from(p3).map((v) => +v.toFixed(4))).toEqual([0.5, 0.3, 0.2, 0.1, 0.1, 0.8]);
      m3.dispose();
    });

    it('scores credit-g as the random forest does and survives a save and load', async () => {
      const r = await train(CREDIT, { target: 'class', model: 'forest', seed: 1 });
      expect(r.model.manifest.members.map((m) => m.family)).toEqual(['forest']);
      // scikit-learn's 500-tree forest reaches about 0.79 ROC-AUC in 5-fold CV on credit-g.
      expect(r.test.task === 'classification' && r.test.rocAuc).toBeGreaterThan(0.75);
      const path = join(tmp(), 'forest.lepton');
      await saveModel(r.model, path);
      const rows = (await readTable(CREDIT)).take([0, 1, 2, 3]);
      const before = Array.from(await r.model.predictTable(rows));
      r.model.dispose();
      const loaded = await loadModel(path);
      expect(Array.from(await loaded.predictTable(rows))).toEqual(before);
      expect(loaded.manifest.members[0]!.params).toMatchObject({ trees: 300, maxDepth: 12 });
      loaded.dispose();
    });

    it('handles regression (breast cancer mean_area from the other measurements)', async () => {
      const r = await train(CANCER, { target: 'mean_area', model: 'forest', drop: ['mean_radius', 'mean_perimeter', 'worst_area', 'worst_radius', 'worst_perimeter'] });
      expect(r.test.task === 'regression' && r.test.r2).toBeGreaterThan(0.8);
      r.model.dispose();
    });
  });
});
