import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fitMeta } from '../../src/automl/ensemble.js';
import { loadModel, saveModel, tableManifest } from '../../src/models/artifact.js';
import type { FitContext } from '../../src/models/member.js';
import { LeptonModel } from '../../src/models/model.js';
import { resolveParams, type TorchParams, type XgbParams } from '../../src/models/spec.js';
import { metaFeatures } from '../../src/models/stacking.js';
import { fitTorch } from '../../src/models/torch-family.js';
import { fitXgb } from '../../src/models/xgboost-family.js';
import { fitTrainingRows } from '../../src/train/candidates.js';
import { prepareTraining } from '../../src/train/train.js';
import { CREDIT, tmp } from '../helpers.js';

describe('a stacked ensemble in the model format', () => {
  it('saves the meta-model, and predict applies it to the members\' outputs after loading', async () => {
    const { table, encoded, features, seed, split } = await prepareTraining(CREDIT, { target: 'class', seed: 3 });
    const enc = encoded.encoder;
    if (enc.task !== 'classification') throw new Error('credit-g is a classification target');
    const { pipeline, data } = fitTrainingRows(table, encoded, features, split.train, undefined, seed);
    const ctx: FitContext = { task: 'classification', numClasses: 2, numFeatures: pipeline.outputDim, seed, torchThreads: 1, xgbThreads: 1 };
    const members = [
      await fitTorch('logistic', { ...resolveParams('logistic', {}), epochs: 30 } as TorchParams, data, undefined, ctx),
      await fitXgb({ ...resolveParams('xgboost', {}), rounds: 40 } as XgbParams, data, undefined, ctx),
    ];
    // The meta-model, fitted on the validation rows' member outputs.
    const valRows = split.val.map((p) => encoded.rows[p]!);
    const xVal = pipeline.transform(table, valRows);
    const outs = await Promise.all(members.map((m) => m.predict(xVal)));
    const meta = await fitMeta(metaFeatures(outs, split.val.length, 2, 'classification').x, split.val.length, 2, Array.from(split.val, (p) => encoded.y[p]!), 2, 'classification');
    const manifest = tableManifest({ seed, target: enc, targetSchema: table.schema.find((s) => s.name === enc.column)!, pipeline: pipeline.state, selected: 'stacking', members, weights: [0.5, 0.5] });
    manifest.stack = { mean: meta.mean, std: meta.std, coef: meta.coef, intercept: meta.intercept };
    const model = new LeptonModel(manifest, members);
    const file = join(tmp(), 'stacked.lepton');
    try {
      await saveModel(model, file);
      const testRows = split.test.map((p) => encoded.rows[p]!);
      const xTest = pipeline.transform(table, testRows);
      const testOuts = await Promise.all(members.map((m) => m.predict(xTest)));
      const expected = meta.predict(metaFeatures(testOuts, split.test.length, 2, 'classification').x, split.test.length);
      const average = testOuts[0]!.map((v, i) => (v + testOuts[1]![i]!) / 2);
      const loaded = await loadModel(file);
      try {
        expect(loaded.manifest.stack).toEqual(manifest.stack);
        const got = await loaded.predictFeatures(xTest);
        expect(got.length).toBe(split.test.length * 2);
        for (let i = 0; i < got.length; i++) expect(got[i]).toBeCloseTo(expected[i]!, 5);
        // Not the weighted average the members' weights would give.
        expect(Math.max(...got.map((v, i) => Math.abs(v - average[i]!)))).toBeGreaterThan(1e-3);
        // Sync prediction (the server's few-rows path) agrees.
        const sync = loaded.predictFeaturesSync(xTest.subarray(0, 5 * pipeline.outputDim));
        sync.forEach((v, i) => expect(v).toBeCloseTo(got[i]!, 5));
      } finally {
        loaded.dispose();
      }
    } finally {
      model.dispose();
    }
  });
});
