import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readTable } from '../../src/data/readers/index.js';
import { decodeSafetensors } from '../../src/engine/safetensors.js';
import { decodeModel, encodeModel, loadModel, saveModel, tableManifest } from '../../src/models/artifact.js';
import { BaggedMember } from '../../src/models/bagged.js';
import type { Member } from '../../src/models/member.js';
import { LeptonModel } from '../../src/models/model.js';
import { resolveParams, type FamilyName } from '../../src/models/spec.js';
import { fitTable } from '../../src/models/table-family.js';
import { train } from '../../src/train/train.js';
import { CANCER, tmp } from '../helpers.js';

describe('BaggedMember (k-fold bagging: fold models averaged)', () => {
  it('predicts the mean of its fold models, saves as format 3 and loads back identical', async () => {
    const table = await readTable(CANCER);
    const base = await train(table, { target: 'diagnosis', model: 'logistic', seed: 3 });
    const all = Int32Array.from({ length: table.numRows }, (_, i) => i);
    const x = base.model.pipeline.transform(table, all);
    const d = base.model.pipeline.outputDim;
    const y = Int32Array.from(all, (r) => base.model.classes.indexOf(String(table.cell('diagnosis', r))));
    const ctx = { task: 'classification' as const, numClasses: 2, numFeatures: d, seed: 3, torchThreads: 1, xgbThreads: 1 };
    // Three folds: each model trains on the rows outside its third.
    const foldFit = async (family: FamilyName, f: number): Promise<Member> => {
      const keep = Array.from(all).filter((r) => r % 3 !== f);
      const xs = new Float32Array(keep.length * d);
      keep.forEach((r, i) => xs.set(x.subarray(r * d, r * d + d), i * d));
      return fitTable(family, resolveParams(family, family === 'xgboost' ? { rounds: 30 } : { epochs: 30 }), { x: xs, y: Int32Array.from(keep, (r) => y[r]!) }, undefined, ctx);
    };
    const boosted = new BaggedMember([await foldFit('xgboost', 0), await foldFit('xgboost', 1), await foldFit('xgboost', 2)]);
    const logistic = new BaggedMember([await foldFit('logistic', 0), await foldFit('logistic', 1)]);
    const outs = await Promise.all(boosted.folds.map((m) => m.predict(x)));
    expect(outs[0]).not.toEqual(outs[1]); // the folds differ, so the average is not any one of them
    const bagged = await boosted.predict(x);
    bagged.forEach((v, i) => expect(v).toBeCloseTo((outs[0]![i]! + outs[1]![i]! + outs[2]![i]!) / 3, 6));
    expect(Array.from(boosted.predictSync(x.subarray(0, 5 * d)))).toEqual(Array.from(bagged.subarray(0, 10)));

    const { target, targetSchema, pipeline } = base.model.manifest;
    base.model.dispose();
    const model = new LeptonModel(tableManifest({ seed: 3, target, targetSchema, pipeline, selected: 'ensemble', members: [boosted, logistic], weights: [0.7, 0.3] }), [boosted, logistic]);
    try {
      expect(model.manifest.formatVersion).toBe(3);
      expect(model.manifest.members.map((m) => m.folds)).toEqual([3, 2]);
      const bytes = encodeModel(model);
      expect(decodeSafetensors(bytes, 'bagged').metadata['lepton.format']).toBe('3');
      const file = join(tmp(), 'bagged.lepton');
      await saveModel(model, file);
      const loaded = await loadModel(file);
      try {
        expect(loaded.members.map((m) => (m as BaggedMember).folds.length)).toEqual([3, 2]);
        expect(Array.from(await loaded.predictFeatures(x))).toEqual(Array.from(await model.predictFeatures(x)));
        expect((await loaded.predictFeatures(x)).slice(0, 2)).not.toEqual(bagged.slice(0, 2)); // the logistic member weighs in
      } finally {
        loaded.dispose();
      }
      // A file whose manifest counts more fold models than it holds is refused with the missing tensor's name.
      const m = JSON.parse(decodeSafetensors(bytes, 'bagged').metadata['lepton.manifest']!);
      m.members[0].folds = 4;
      const damaged = new LeptonModel(m, [boosted, logistic]);
      expect(() => decodeModel(encodeModel(damaged), 'damaged.lepton')).toThrow(/lacks tensor 'm0\.f3\.booster\.ubj'/);
    } finally {
      model.dispose();
    }
  }, 60_000);

  it('a model without bagged members stays format 2, readable by format-2 readers', async () => {
    const r = await train(CANCER, { target: 'diagnosis', model: 'logistic', seed: 3 });
    try {
      expect(r.model.manifest.formatVersion).toBe(2);
      expect(decodeSafetensors(encodeModel(r.model), 'plain').metadata['lepton.format']).toBe('2');
    } finally {
      r.model.dispose();
    }
  });
});
