import { describe, expect, it } from 'vitest';
import { groupSplit, randomSplit, stratifiedFolds, stratifiedSplit, timeSplit } from '../../src/prep/split.js';

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

describe('prep: random, group and time splits', () => {
  it('random: fixed by the seed, every row once', () => {
    const s = randomSplit(100, { val: 0.2, test: 0.1 }, 3);
    expect([s.train.length, s.val.length, s.test.length]).toEqual([70, 20, 10]);
    expect(new Set([...s.train, ...s.val, ...s.test]).size).toBe(100);
    expect(randomSplit(100, { val: 0.2, test: 0.1 }, 3)).toEqual(s);
  });

  it('group: no group in two parts, shares close to the requested ones', () => {
    const groups = Array.from({ length: 1000 }, (_, i) => `customer${i % 137}`);
    const s = groupSplit(groups, { val: 0.15, test: 0.15 }, 1);
    const of = (part: Int32Array) => new Set(Array.from(part, (i) => groups[i]));
    const [tr, va, te] = [of(s.train), of(s.val), of(s.test)];
    for (const g of va) expect(tr.has(g) || te.has(g)).toBe(false);
    for (const g of te) expect(tr.has(g)).toBe(false);
    expect(Math.abs(s.test.length - 150)).toBeLessThan(15);
    expect(Math.abs(s.val.length - 150)).toBeLessThan(15);
  });

  it('time: training rows all come before validation rows, which come before test rows', () => {
    const times = Array.from({ length: 200 }, (_, i) => Date.UTC(2024, 0, 1) + ((i * 7919) % 200) * 86_400_000);
    const s = timeSplit(times, { val: 0.1, test: 0.2 });
    const max = (p: Int32Array) => Math.max(...Array.from(p, (i) => times[i]!));
    const min = (p: Int32Array) => Math.min(...Array.from(p, (i) => times[i]!));
    expect(max(s.train)).toBeLessThan(min(s.val));
    expect(max(s.val)).toBeLessThan(min(s.test));
    expect([s.train.length, s.val.length, s.test.length]).toEqual([140, 20, 40]);
  });
});
