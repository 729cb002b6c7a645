import { describe, expect, it } from 'vitest';
import { tableFromRows } from '../../src/data/readers/index.js';
import { decodeHistories, encodeHistories, historiesFromTable, leaveLastOut, nextItemCases } from '../../src/recommend/histories.js';
import { hitRate, ndcg, rankingMetrics, rankOf, topK } from '../../src/recommend/metrics.js';

describe('recommend: ranking metrics', () => {
  it('ranks the target among the items outside the history, ties by item index', () => {
    const scores = [0.1, 0.5, 0.3, 0.5];
    // Item 1 is in the history: left are 0 (0.1), 2 (0.3), 3 (0.5) → item 2 is second.
    expect(rankOf(scores, 2, new Set([1]))).toBe(2);
    expect(rankOf(scores, 2, new Set())).toBe(3);
    // A tie: item 1 (same score, lower index) goes first, so item 3 is second.
    expect(rankOf(scores, 3, new Set())).toBe(2);
    expect(rankOf(scores, 1, new Set())).toBe(1);
    expect(topK(scores, 3, new Set([1]))).toEqual([3, 2, 0]);
    expect(topK(scores, 2)).toEqual([1, 3]);
  });

  it('computes HR@K and NDCG@K by hand', () => {
    const ranks = [1, 3, 11, 2];
    expect(hitRate(ranks, 10)).toBe(0.75);
    expect(hitRate(ranks, 2)).toBe(0.5);
    expect(ndcg(ranks, 10)).toBeCloseTo((1 + 1 / Math.log2(4) + 0 + 1 / Math.log2(3)) / 4, 12);
    expect(ndcg(ranks, 1)).toBeCloseTo(0.25, 12);
    expect(hitRate([], 10)).toBeNaN();
  });

  it('scores cases from a score matrix, excluding each history', () => {
    // 2 cases × 4 items.
    const scores = Float32Array.from([0.9, 0.1, 0.5, 0.2, /* case 2 */ 0.1, 0.2, 0.3, 0.4]);
    const r = rankingMetrics(scores, [{ history: [0], target: 2 }, { history: [3, 2], target: 0 }], 1);
    // Case 1: item 0 excluded → item 2 (0.5) first: hit at 1. Case 2: 3 and 2 excluded → 1 (0.2) beats 0 (0.1): rank 2.
    expect(r).toEqual({ hr: 0.5, ndcg: 0.5, k: 1, cases: 2 });
    const r2 = rankingMetrics(scores, [{ history: [0], target: 2 }, { history: [3, 2], target: 0 }], 2);
    expect(r2.hr).toBe(1);
    expect(r2.ndcg).toBeCloseTo((1 + 1 / Math.log2(3)) / 2, 6);
    // A repeat purchase (target already in the history) is still ranked, not an automatic miss.
    expect(rankingMetrics(scores, [{ history: [2, 0], target: 2 }], 1).hr).toBe(1);
  });
});

describe('recommend: histories', () => {
  const baskets = tableFromRows([
    { bread: 't', milk: 't', tea: null, jam: 't', total: 'low' },
    { bread: null, milk: 't', tea: 't', jam: null, total: 'high' },
    { bread: null, milk: null, tea: null, jam: null, total: 'low' },
    { bread: 't', milk: 't', tea: 't', jam: 't', total: 'high' },
  ]);

  it('reads baskets from binary item columns, skipping (and naming) the others', () => {
    const h = historiesFromTable(baskets, { order: 'column' });
    expect(h.items).toEqual(['bread', 'milk', 'tea', 'jam']);
    expect(h.skipped).toEqual([{ column: 'total', reason: "not binary (values 'low', 'high')" }]);
    expect(h.histories).toEqual([[0, 1, 3], [1, 2], [0, 1, 2, 3]]);
    expect(h.users).toEqual(['basket 1', 'basket 2', 'basket 4']);
    expect(h.kind).toBe('baskets');
  });

  it('shuffles each basket with the seed: same seed same order, always the same items', () => {
    const a = historiesFromTable(baskets, { seed: 3 });
    expect(historiesFromTable(baskets, { seed: 3 }).histories).toEqual(a.histories);
    expect(a.histories.map((x) => [...x].sort())).toEqual([[0, 1, 3], [1, 2], [0, 1, 2, 3]]);
    const orders = new Set(Array.from({ length: 10 }, (_, s) => historiesFromTable(baskets, { seed: s }).histories[2]!.join()));
    expect(orders.size).toBeGreaterThan(1);
  });

  it('reads a long user,item,time table sorted by time (missing times last, ties in file order)', () => {
    const events = tableFromRows([
      { user: 'u1', item: 'b', ts: 3 },
      { user: 'u2', item: 'a', ts: 1 },
      { user: 'u1', item: 'a', ts: 1 },
      { user: 'u1', item: 'c', ts: null },
      { user: 'u1', item: 'd', ts: 1 },
    ]);
    const h = historiesFromTable(events, { user: 'user', item: 'item', time: 'ts' });
    expect(h.items).toEqual(['b', 'a', 'c', 'd']);
    expect(h.users).toEqual(['u1', 'u2']);
    expect(h.histories).toEqual([[1, 3, 0, 2], [1]]);
    expect(historiesFromTable(events, { user: 'user', item: 'item' }).histories[0]).toEqual([0, 1, 2, 3]);
  });

  it('splits leave-last-out and builds prefix → next item cases and padded ids', () => {
    const s = leaveLastOut([[5, 6, 7, 8], [1, 2], [3, 4, 5]]);
    expect(s.train).toEqual([[5, 6], [1, 2], [3]]);
    expect(s.val).toEqual([{ history: [5, 6], target: 7 }, { history: [3], target: 4 }]);
    expect(s.test).toEqual([{ history: [5, 6, 7], target: 8 }, { history: [3, 4], target: 5 }]);
    expect(nextItemCases([[5, 6, 7]])).toEqual([{ history: [5], target: 6 }, { history: [5, 6], target: 7 }]);
    const x = encodeHistories([[0, 1, 2, 3], [4]], 3);
    expect([...x]).toEqual([2, 3, 4, 5, 0, 0]);
    expect(decodeHistories(x, 3)).toEqual([[1, 2, 3], [4]]);
  });

  it('names the fix for a table that is neither baskets nor (without columns) a long table', () => {
    const features = tableFromRows([{ age: 30, city: 'Oslo', member: 'yes' }, { age: 41, city: 'Rome', member: 'no' }]);
    expect(() => historiesFromTable(features)).toThrow(/is not a basket table: 1 of its 3 columns are binary item columns/);
    expect(() => historiesFromTable(features)).toThrow(expect.objectContaining({ hint: expect.stringMatching(/--user COL --item COL/) }));
    expect(() => historiesFromTable(features, { user: 'city' })).toThrow(/a long table needs both --user and --item/);
    expect(() => historiesFromTable(features, { user: 'city', item: 'nope' })).toThrow(/column 'nope' not found/);
  });
});
