import { describe, expect, it } from 'vitest';
import { classificationReport, regressionReport, rocAuc, selectionTolerance } from '../../src/eval/metrics.js';

describe('eval: metrics', () => {
  it('computes ROC-AUC with ties like scikit-learn', () => {
    // sklearn.metrics.roc_auc_score([0,0,1,1],[0.1,0.4,0.35,0.8]) == 0.75
    expect(rocAuc([0.1, 0.4, 0.35, 0.8], [false, false, true, true])).toBe(0.75);
    // ties count half: roc_auc_score([0,1],[0.5,0.5]) == 0.5
    expect(rocAuc([0.5, 0.5], [false, true])).toBe(0.5);
    expect(rocAuc([0.1, 0.2], [true, true])).toBeNull();
  });

  it('builds the classification report, confusion matrix and log-loss', () => {
    // actual: a a b b c ; predicted: a b b b a
    const proba = Float32Array.from([0.8, 0.1, 0.1, 0.3, 0.6, 0.1, 0.1, 0.8, 0.1, 0.2, 0.7, 0.1, 0.5, 0.2, 0.3]);
    const r = classificationReport(proba, Int32Array.from([0, 0, 1, 1, 2]), ['a', 'b', 'c']);
    expect(r.confusion).toEqual([[1, 1, 0], [0, 2, 0], [1, 0, 0]]);
    expect(r.accuracy).toBeCloseTo(0.6);
    expect(r.perClass[1]).toMatchObject({ precision: 2 / 3, recall: 1, support: 2 });
    expect(r.perClass[1]!.f1).toBeCloseTo(0.8);
    expect(r.macro.f1).toBeCloseTo((2 / 3 * 0.5 * 2 / (2 / 3 + 0.5) * 0 + 0.5 + 0.8 + 0) / 3, 5);
    expect(r.weighted.recall).toBeCloseTo(0.6);
    expect(r.logLoss).toBeCloseTo(-(Math.log(0.8) + Math.log(0.3) + Math.log(0.8) + Math.log(0.7) + Math.log(0.3)) / 5, 5);
    expect(r.rocAuc).not.toBeNull();
  });

  it('computes RMSE, MAE and R²', () => {
    const r = regressionReport([1, 2, 3, 5], [1, 2, 3, 4]);
    expect(r.rmse).toBeCloseTo(0.5);
    expect(r.mae).toBeCloseTo(0.25);
    expect(r.r2).toBeCloseTo(1 - 1 / 5);
  });

  it('gives a smaller tolerance to larger validation sets', () => {
    // Scores that overlap between classes (AUC about 0.8), as a real validation set has.
    const report = (n: number) => {
      const y = Int32Array.from({ length: n }, (_, i) => i % 2);
      const p1 = Array.from(y, (c, i) => Math.min(0.99, Math.max(0.01, 0.35 + 0.2 * c + 0.6 * (((i * 7919) % 101) / 101 - 0.5))));
      return classificationReport(Float32Array.from(p1.flatMap((p) => [1 - p, p])), y, ['0', '1']);
    };
    expect(report(100).rocAuc).toBeGreaterThan(0.6);
    expect(report(100).rocAuc).toBeLessThan(0.95);
    expect(selectionTolerance(report(100))).toBeGreaterThan(selectionTolerance(report(10000)) * 5);
  });
});
