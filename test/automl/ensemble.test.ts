import { describe, expect, it } from 'vitest';
import { blend, greedyWeights, keepEnsemble, mean, pairedDifference, rowLosses, stackOof } from '../../src/automl/ensemble.js';
import { stratifiedFolds } from '../../src/prep/split.js';

/** Seeded uniform numbers in [0, 1). */
function random(seed: number): () => number {
  let s = seed;
  return () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
}

/** Binary probabilities n × 2 from P(class 1) per row. */
const probs = (p1: number[]) => Float32Array.from(p1.flatMap((p) => [1 - p, p]));

describe('greedyWeights', () => {
  it('gives non-negative weights that sum to one', () => {
    const r = random(3);
    const n = 300;
    const y = Int32Array.from({ length: n }, () => (r() < 0.4 ? 1 : 0));
    const outs = [0.3, 0.6, 0.9].map((noise) => probs(Array.from(y, (c) => Math.min(0.99, Math.max(0.01, (c ? 0.7 : 0.3) + noise * (r() - 0.5))))));
    const w = greedyWeights(outs, y, 2, 'classification');
    expect(w).toHaveLength(3);
    for (const v of w) expect(v).toBeGreaterThanOrEqual(0);
    expect(w.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    // The blend is never worse than the best single member on the rows it was chosen on.
    const best = Math.min(...outs.map((o) => mean(rowLosses(o, y, 2, 'classification'))));
    expect(mean(rowLosses(blend(outs, w), y, 2, 'classification'))).toBeLessThanOrEqual(best + 1e-9);
  });

  it('works for regression (squared error)', () => {
    const r = random(5);
    const y = Float32Array.from({ length: 200 }, () => r() * 2 - 1);
    // Two members with independent errors: the average halves the error variance.
    const a = y.map((v) => v + (r() - 0.5));
    const b = y.map((v) => v + (r() - 0.5));
    const w = greedyWeights([a, b], y, 1, 'regression');
    expect(w[0]! + w[1]!).toBeCloseTo(1, 12);
    expect(Math.min(...w)).toBeGreaterThan(0.2);
  });
});

describe('keepEnsemble', () => {
  it('does not keep the ensemble when one member dominates', () => {
    const r = random(11);
    const n = 400;
    const y = Int32Array.from({ length: n }, () => (r() < 0.5 ? 1 : 0));
    const strong = probs(Array.from(y, (c) => (c ? 0.9 : 0.1) + 0.05 * (r() - 0.5)));
    const weak1 = probs(Array.from(y, () => 0.3 + 0.4 * r()));
    const weak2 = probs(Array.from(y, (c) => (c ? 0.55 : 0.45) + 0.3 * (r() - 0.5)));
    const outs = [weak1, strong, weak2];
    const w = greedyWeights(outs, y, 2, 'classification');
    expect(w[1]).toBeGreaterThan(0.8);
    const losses = outs.map((o) => rowLosses(o, y, 2, 'classification'));
    const d = keepEnsemble(losses[1]!, rowLosses(blend(outs, w), y, 2, 'classification'), w.filter((v) => v > 0).length);
    expect(d.keep).toBe(false);
  });

  it('does not keep an ensemble whose weights sit on one member', () => {
    const l = Float64Array.from({ length: 50 }, (_, i) => 0.1 + i / 100);
    expect(keepEnsemble(l, l, 1)).toMatchObject({ keep: false, gain: 0 });
  });

  it('keeps the ensemble when members are complementary beyond noise', () => {
    const r = random(17);
    const n = 600;
    const y = Int32Array.from({ length: n }, () => (r() < 0.5 ? 1 : 0));
    // Each member is confident and right on its own half of the rows, unsure on the other half.
    const a = probs(Array.from(y, (c, i) => (i % 2 ? (c ? 0.9 : 0.1) : r() < 0.5 ? 0.2 : 0.8)));
    const b = probs(Array.from(y, (c, i) => (i % 2 ? (r() < 0.5 ? 0.2 : 0.8) : c ? 0.9 : 0.1)));
    const w = greedyWeights([a, b], y, 2, 'classification');
    const la = rowLosses(a, y, 2, 'classification');
    const lb = rowLosses(b, y, 2, 'classification');
    const bestSingle = mean(la) <= mean(lb) ? la : lb;
    const d = keepEnsemble(bestSingle, rowLosses(blend([a, b], w), y, 2, 'classification'), w.filter((v) => v > 0).length);
    expect(d.keep).toBe(true);
    expect(d.gain).toBeGreaterThan(d.se);
  });

  it('pairedDifference gives the mean and standard error', () => {
    const p = pairedDifference([1, 2, 3, 4], [0, 0, 0, 0]);
    expect(p.mean).toBe(2.5);
    expect(p.se).toBeCloseTo(Math.sqrt(5 / 3) / 2, 12);
  });
});

describe('stackOof', () => {
  it('gives cross-validated probabilities that sum to one and beat a useless member', async () => {
    const r = random(23);
    const n = 300;
    const y = Int32Array.from({ length: n }, () => Math.floor(r() * 3));
    const good = Float32Array.from({ length: n * 3 }, (_, i) => (Math.floor(i / 3) >= 0 && y[Math.floor(i / 3)] === i % 3 ? 0.7 : 0.15));
    const noise = Float32Array.from({ length: n * 3 }, () => 1 / 3);
    const folds = stratifiedFolds(y, 5, 1);
    const { oof, meta } = await stackOof([noise, good], y, folds, 3, 'classification');
    expect(oof).toHaveLength(n * 3);
    for (let i = 0; i < n; i++) expect(oof[i * 3]! + oof[i * 3 + 1]! + oof[i * 3 + 2]!).toBeCloseTo(1, 5);
    expect(mean(rowLosses(oof, y, 3, 'classification'))).toBeLessThan(mean(rowLosses(noise, y, 3, 'classification')));
    expect(meta.coef).toHaveLength(3);
  });
});
