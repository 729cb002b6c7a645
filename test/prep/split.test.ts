import { describe, expect, it } from 'vitest';
import { stratifiedFolds, stratifiedSplit } from '../../src/prep/split.js';

const y = Int32Array.from({ length: 1000 }, (_, i) => (i % 10 < 3 ? 1 : 0)); // 30 % positives

describe('prep: split', () => {
  it('keeps class shares in every part and is fixed by the seed', () => {
    const s = stratifiedSplit(y, { val: 0.15, test: 0.15 }, 1);
    expect(s.train.length + s.val.length + s.test.length).toBe(1000);
    expect(new Set([...s.train, ...s.val, ...s.test]).size).toBe(1000);
    for (const part of [s.val, s.test]) {
      const pos = Array.from(part).filter((i) => y[i] === 1).length;
      expect(pos / part.length).toBeCloseTo(0.3, 2);
    }
    expect(stratifiedSplit(y, { val: 0.15, test: 0.15 }, 1)).toEqual(s);
    expect(stratifiedSplit(y, { val: 0.15, test: 0.15 }, 2).test).not.toEqual(s.test);
  });

  it('makes k disjoint folds covering every row, balanced in size and class', () => {
    const folds = stratifiedFolds(y, 5, 3);
    expect(folds.map((f) => f.length)).toEqual([200, 200, 200, 200, 200]);
    expect(new Set(folds.flatMap((f) => Array.from(f))).size).toBe(1000);
    for (const f of folds) expect(Array.from(f).filter((i) => y[i] === 1).length).toBe(60);
  });

  it('stratifies regression targets by quantile bins', () => {
    const v = Float32Array.from({ length: 200 }, (_, i) => i);
    const s = stratifiedSplit(v, { val: 0.1, test: 0.1 }, 1);
    const mean = (a: Int32Array) => Array.from(a).reduce((t, i) => t + v[i]!, 0) / a.length;
    expect(Math.abs(mean(s.test) - 99.5)).toBeLessThan(10);
  });
});
