import { describe, expect, it } from 'vitest';
import { readTable, tableFromRows } from '../../src/data/readers/index.js';
import { Pipeline } from '../../src/prep/pipeline.js';
import { chooseK, kmeans, segment, silhouetteScore } from '../../src/segment/kmeans.js';
import { formatSegment } from '../../src/segment/format.js';
import { CREDIT } from '../helpers.js';

/** Seeded LCG in [0, 1). */
function rng(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
}

/** Three well-separated Gaussian-ish blobs in 2-D (plus a category that follows the blob). */
function threeBlobs(perBlob = 60, seed = 5) {
  const r = rng(seed);
  const centres = [
    [0, 0],
    [10, 0],
    [5, 9],
  ];
  const rows: { x: number; y: number; tag: string }[] = [];
  const truth: number[] = [];
  for (let i = 0; i < perBlob * 3; i++) {
    const b = i % 3;
    const g = () => (r() + r() + r() - 1.5) * 1.2; // roughly normal, sd ≈ 0.6
    rows.push({ x: centres[b]![0]! + g(), y: centres[b]![1]! + g(), tag: ['a', 'b', 'c'][b]! });
    truth.push(b);
  }
  return { rows, truth };
}

/** Labels equal up to a relabelling (a bijection between cluster ids). */
function samePartition(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  const ab = new Map<number, number>();
  const ba = new Map<number, number>();
  for (let i = 0; i < a.length; i++) {
    if ((ab.get(a[i]!) ?? b[i]!) !== b[i]! || (ba.get(b[i]!) ?? a[i]!) !== a[i]!) return false;
    ab.set(a[i]!, b[i]!);
    ba.set(b[i]!, a[i]!);
  }
  return true;
}

/** The textbook silhouette, O(n²) in plain JS. */
function directSilhouette(x: Float32Array, n: number, d: number, labels: Int32Array): number {
  const dist = (i: number, j: number) => {
    let s = 0;
    for (let c = 0; c < d; c++) s += (x[i * d + c]! - x[j * d + c]!) ** 2;
    return Math.sqrt(s);
  };
  const k = Math.max(...labels) + 1;
  const size = new Array<number>(k).fill(0);
  for (const l of labels) size[l]!++;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const sums = new Array<number>(k).fill(0);
    for (let j = 0; j < n; j++) if (j !== i) sums[labels[j]!]! += dist(i, j);
    const own = labels[i]!;
    if (size[own]! <= 1) continue;
    const a = sums[own]! / (size[own]! - 1);
    let b = Infinity;
    for (let c = 0; c < k; c++) if (c !== own && size[c]! > 0) b = Math.min(b, sums[c]! / size[c]!);
    total += (b - a) / Math.max(a, b);
  }
  return total / n;
}

describe('segment: k-means on credit-g', async () => {
  const credit = await readTable(CREDIT);

  it('is deterministic under a seed, and its profiles add up', async () => {
    const a = await segment(credit, { k: 4, exclude: ['class'], seed: 7 });
    const b = await segment(credit, { k: 4, exclude: ['class'], seed: 7 });
    expect(Array.from(a.labels)).toEqual(Array.from(b.labels));
    expect(Array.from(a.centroids)).toEqual(Array.from(b.centroids));
    expect(a.inertia).toBe(b.inertia);
    expect(a.columns).not.toContain('class');
    expect(a.columns).toHaveLength(20);
    expect(a.sizes.reduce((s, v) => s + v, 0)).toBe(1000);
    expect(a.sizes.every((s) => s > 0)).toBe(true);
    expect(a.silhouette).toBeGreaterThan(-1);
    expect(a.silhouette).toBeLessThan(1);

    // Profiles in original units: the cluster mean of credit_amount, recomputed here.
    const amount = credit.column('credit_amount') as { values: Float64Array };
    const overall = amount.values.reduce((s, v) => s + v, 0) / 1000;
    for (const p of a.profiles) {
      let s = 0;
      for (let i = 0; i < 1000; i++) if (a.labels[i] === p.cluster) s += amount.values[i]!;
      const m = p.numeric.find((q) => q.column === 'credit_amount')!;
      expect(m.mean).toBeCloseTo(s / p.size, 6);
      expect(m.overall).toBeCloseTo(overall, 6);
      expect(p.share).toBeCloseTo(p.size / 1000, 12);
      // Most distinctive first: |z| decreasing.
      const zs = p.distinctive.map((q) => Math.abs(q.z!));
      expect(zs).toEqual([...zs].sort((x, y) => y - x));
      expect(p.distinctive.length).toBe(3);
      const cat = p.categorical.find((c) => c.column === 'checking_status')!;
      expect(cat.top).not.toBeNull();
      expect(cat.share).toBeGreaterThan(0);
      expect(cat.share).toBeLessThanOrEqual(1);
    }
    const text = formatSegment(a);
    expect(text).toMatch(/^4 clusters over 1000 rows, on 20 columns/m);
    expect(text).toMatch(/Cluster 0: \d+ rows \(\d+\.\d%\)\n {2}most distinctive: /);
  });

  it('chooses k over a range: inertia falls with k, every silhouette is in [-1, 1]', async () => {
    const r = await segment(credit, { k: 'auto', kRange: [2, 7], exclude: ['class'], seed: 1 });
    expect(r.scores.map((s) => s.k)).toEqual([2, 3, 4, 5, 6, 7]);
    for (let i = 1; i < r.scores.length; i++) expect(r.scores[i]!.inertia).toBeLessThan(r.scores[i - 1]!.inertia);
    for (const s of r.scores) {
      expect(s.silhouette).not.toBeNull();
      expect(s.silhouette!).toBeGreaterThanOrEqual(-1);
      expect(s.silhouette!).toBeLessThanOrEqual(1);
    }
    const best = Math.max(...r.scores.map((s) => s.silhouette!));
    expect(r.silhouette).toBe(best);
    expect(r.k).toBe(r.scores.find((s) => s.silhouette === best)!.k);
    expect(r.chosenBy).toBe('auto');
    expect(formatSegment(r)).toMatch(/Choosing k[^\n]*\nk\s+inertia\s+silhouette/);
  });

  it('names the problem: k above the rows, a k range below 2, an unknown excluded column', async () => {
    const small = tableFromRows([{ a: 1 }, { a: 2 }, { a: 3 }, { a: 4 }, { a: 5 }]);
    await expect(segment(small, { k: 10 })).rejects.toThrow(/k = 10 is more than the number of rows \(5\)/);
    await expect(segment(credit, { k: 'auto', kRange: [1, 5], exclude: ['class'] })).rejects.toThrow(/k range must start at 2 or more \(got 1-5\)/);
    await expect(segment(credit, { k: 1 })).rejects.toThrow(/k must be an integer of at least 2/);
    await expect(segment(small, { k: 'auto', kRange: [2, 9] })).rejects.toThrow(/k range 2-9 goes past 4/);
    await expect(segment(credit, { exclude: ['class', 'nope'] })).rejects.toThrow(/cannot exclude column 'nope': not in .*credit-g\.arff; the columns are 'checking_status'/);
  });
});

describe('segment: engine k-means and silhouette', () => {
  it('finds three well-separated blobs: choose-k picks 3 and the labels match up to permutation', async () => {
    const { rows, truth } = threeBlobs();
    const t = tableFromRows(rows);
    const r = await segment(t, { kRange: [2, 6], exclude: ['tag'], seed: 3 });
    expect(r.k).toBe(3);
    expect(samePartition(r.labels, truth)).toBe(true);
    expect(r.silhouette!).toBeGreaterThan(0.8);
    // The tag follows the blob: each cluster's top category covers all of it, a third overall.
    const withTag = await segment(t, { k: 3, seed: 3 });
    expect(samePartition(withTag.labels, truth)).toBe(true);
    for (const p of withTag.profiles) {
      expect(p.categorical[0]).toMatchObject({ column: 'tag', share: 1 });
      expect(p.categorical[0]!.overallShare).toBeCloseTo(1 / 3, 12);
    }
  });

  it('matches a direct silhouette computation, exactly and on a seeded sample', async () => {
    const r = rng(11);
    const n = 90;
    const d = 3;
    const x = Float32Array.from({ length: n * d }, () => r() * 4);
    const labels = Int32Array.from({ length: n }, (_, i) => (i * 7) % 4);
    labels[5] = 4; // a singleton cluster scores 0
    const expected = directSilhouette(x, n, d, labels);
    expect(await silhouetteScore(x, n, d, labels)).toBeCloseTo(expected, 9);
    // With clustered labels, too.
    const km = await kmeans(x, n, d, 3, { seed: 2 });
    expect(await silhouetteScore(x, n, d, km.labels)).toBeCloseTo(directSilhouette(x, n, d, km.labels), 9);
    // Sampled: deterministic under a seed, and a valid silhouette.
    const s1 = await silhouetteScore(x, n, d, km.labels, { sampleSize: 40, seed: 4 });
    expect(await silhouetteScore(x, n, d, km.labels, { sampleSize: 40, seed: 4 })).toBe(s1);
    expect(Math.abs(s1)).toBeLessThanOrEqual(1);
  });

  it('returns consistent labels, centroids and inertia, and chooseK reports every k', async () => {
    const { rows } = threeBlobs(40, 9);
    const t = tableFromRows(rows);
    const p = Pipeline.fit(t, ['x', 'y'], Int32Array.from({ length: t.numRows }, (_, i) => i));
    const x = p.transform(t);
    const n = t.numRows;
    const km = await kmeans(x, n, 2, 3, { seed: 1, nInit: 2 });
    expect(km.centroids).toHaveLength(6);
    expect(km.iterations).toBeGreaterThanOrEqual(1);
    let inertia = 0;
    for (let i = 0; i < n; i++) {
      const l = km.labels[i]!;
      const dd = (c: number) => (x[i * 2]! - km.centroids[c * 2]!) ** 2 + (x[i * 2 + 1]! - km.centroids[c * 2 + 1]!) ** 2;
      for (let c = 0; c < 3; c++) expect(dd(l)).toBeLessThanOrEqual(dd(c) + 1e-5); // nearest centroid
      inertia += dd(l);
    }
    expect(km.inertia).toBeCloseTo(inertia, 3);
    const ck = await chooseK(x, n, 2, [2, 5], { seed: 1 });
    expect(ck.scores.map((s) => s.k)).toEqual([2, 3, 4, 5]);
    expect(ck.k).toBe(3);
  });

  it('runs off the event loop, and survives fewer distinct rows than k', async () => {
    const r = rng(2);
    const n = 60000;
    const d = 16;
    const x = Float32Array.from({ length: n * d }, () => r());
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    const km = await kmeans(x, n, d, 8, { seed: 1, nInit: 2, maxIter: 30 });
    clearInterval(timer);
    expect(km.labels).toHaveLength(n);
    expect(ticks).toBeGreaterThan(0);

    const dup = tableFromRows([...Array<object>(5).fill({ a: 1, b: 2 }), ...Array<object>(5).fill({ a: 5, b: 0 })]);
    const s = await segment(dup, { k: 3, seed: 1 });
    expect([...s.sizes].sort()).toEqual([0, 5, 5]);
    expect(s.inertia).toBe(0);
    expect(formatSegment(s)).toMatch(/note: 1 of the 3 clusters is empty: the data has fewer distinct rows than k/);
    expect(s.profiles.find((p) => p.size === 0)!.numeric[0]!.mean).toBeNull();
  });

  it('rejects bad input with the engine error naming it', async () => {
    const x = Float32Array.from({ length: 20 }, (_, i) => i);
    const bad = x.slice();
    bad[7] = Number.NaN;
    await expect(kmeans(bad, 10, 2, 2)).rejects.toThrow(/k-means: kmeans: x has a non-finite value \(NaN or infinity\) in row 3, column 1/);
    await expect(kmeans(x, 10, 3, 2)).rejects.toThrow(/x has 20 elements, expected n\*d = 10\*3 = 30/);
    await expect(kmeans(x, 10, 2, 11)).rejects.toThrow(/k = 11 is more than the number of rows \(10\)/);
    await expect(silhouetteScore(x, 10, 2, new Int32Array(10))).rejects.toThrow(/silhouette needs between 2 and 9 clusters/);
  });
});
