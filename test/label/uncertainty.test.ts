import { describe, expect, it } from 'vitest';
import { entropy, leastConfident, margin, mostUncertain, parseStrategy, scoreRows, uncertainty } from '../../src/label/uncertainty.js';

describe('label uncertainty', () => {
  it('scores one row by each strategy, in [0, 1], higher = less sure', () => {
    expect(leastConfident([0.7, 0.2, 0.1])).toBeCloseTo(0.3, 12);
    expect(margin([0.7, 0.2, 0.1])).toBeCloseTo(0.5, 12);
    expect(margin([0.1, 0.2, 0.7])).toBeCloseTo(0.5, 12); // order of classes does not matter
    expect(entropy([0.5, 0.5])).toBeCloseTo(1, 12);
    expect(entropy([1 / 3, 1 / 3, 1 / 3])).toBeCloseTo(1, 12);
    const p = [0.7, 0.2, 0.1];
    expect(entropy(p)).toBeCloseTo(-(0.7 * Math.log(0.7) + 0.2 * Math.log(0.2) + 0.1 * Math.log(0.1)) / Math.log(3), 12);
    for (const s of ['margin', 'entropy', 'least-confident'] as const) {
      expect(uncertainty([1, 0], s)).toBe(0);
      expect(uncertainty([0.5, 0.5], s)).toBeCloseTo(s === 'least-confident' ? 0.5 : 1, 12);
      expect(uncertainty([0.9, 0.1], s)).toBeLessThan(uncertainty([0.6, 0.4], s));
    }
    // Probabilities that do not quite sum to 1 (float32 model output) are normalised.
    expect(margin([0.35, 0.35])).toBeCloseTo(1, 12);
    expect(leastConfident([0.8, 0.4])).toBeCloseTo(1 - 0.8 / 1.2, 12);
  });

  it('tells margin from least-confident when the runner-up matters', () => {
    // Same top probability, different runner-up: margin prefers the close call.
    const a = [0.5, 0.45, 0.05];
    const b = [0.5, 0.25, 0.25];
    expect(leastConfident(a)).toBeCloseTo(leastConfident(b), 12);
    expect(margin(a)).toBeGreaterThan(margin(b));
    expect(entropy(b)).toBeGreaterThan(entropy(a));
  });

  it('scores flat n × k arrays and ranks the most uncertain rows first, ties by row order', () => {
    const probs = Float32Array.from([0.9, 0.1, 0.5, 0.5, 0.6, 0.4, 0.5, 0.5, 0.99, 0.01]);
    const scores = scoreRows(probs, 2, 'margin');
    expect(Array.from(scores, (s) => +s.toFixed(4))).toEqual([0.2, 1, 0.8, 1, 0.02]);
    expect(mostUncertain(scores, 3)).toEqual([1, 3, 2]);
    expect(mostUncertain(scores, 10)).toEqual([1, 3, 2, 0, 4]);
    expect(mostUncertain(scores, 0)).toEqual([]);
    expect(() => scoreRows([0.5, 0.5, 1], 2, 'margin')).toThrow(/3 probabilities do not make rows of 2 classes/);
  });

  it('names the strategies on a typo', () => {
    expect(parseStrategy('entropy')).toBe('entropy');
    expect(() => parseStrategy('random')).toThrow(/unknown strategy 'random'/);
  });
});
