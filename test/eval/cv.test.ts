import { describe, expect, it } from 'vitest';
import { readTable } from '../../src/data/readers/index.js';
import { crossValidate } from '../../src/eval/cv.js';
import { evaluate } from '../../src/eval/evaluate.js';
import { train } from '../../src/train/train.js';
import { CANCER, CREDIT } from '../helpers.js';

describe('eval: cross-validation and evaluate', () => {
  it('reports mean ± std of every metric over stratified folds', async () => {
    const folds: number[] = [];
    const cv = await crossValidate(CANCER, { target: 'diagnosis', folds: 3, model: 'logistic', onFold: (i) => folds.push(i) });
    expect(folds).toEqual([1, 2, 3]);
    expect(cv.folds).toHaveLength(3);
    expect(cv.folds.reduce((s, f) => s + f.report.n, 0)).toBe(569);
    expect(Object.keys(cv.summary).sort()).toEqual(['accuracy', 'logLoss', 'macroF1', 'macroPrecision', 'macroRecall', 'rocAuc', 'weightedF1']);
    expect(cv.summary.rocAuc!.mean).toBeGreaterThan(0.98);
    expect(cv.summary.rocAuc!.std).toBeGreaterThan(0);
  });

  it('evaluate() scores labelled data with the model schema and rejects unknown labels', async () => {
    const { model } = await train(CREDIT, { target: 'class', model: 'logistic' });
    const report = await evaluate(model, CREDIT);
    expect(report.task === 'classification' && report.n).toBe(1000);
    expect(report.task === 'classification' && report.rocAuc).toBeGreaterThan(0.75);
    const t = await readTable(CREDIT);
    await expect(evaluate(model, t.drop(['class']))).rejects.toThrow(/no target column 'class'/);
    model.dispose();
  });
});
