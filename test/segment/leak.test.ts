import { describe, expect, it } from 'vitest';
import { kmeans, silhouetteScore } from '../../src/segment/kmeans.js';
import { blobs } from '../helpers.js';

describe('segment: memory', () => {
  it('200 k-means and silhouette calls do not grow resident memory without bound', async () => {
    // Sized so that one leaked copy of the data per call (the engine makes a float64 copy) is
    // about 1 MB: 200 calls would add 200 MB or more.
    const n = 4000;
    const d = 32;
    const { x } = blobs(n, d, 3);
    const cycle = async (seed: number) => {
      const r = await kmeans(x, n, d, 4, { seed, nInit: 1, maxIter: 20 });
      await silhouetteScore(x, n, d, r.labels, { sampleSize: 500, seed });
    };
    for (let i = 0; i < 20; i++) await cycle(i); // warm-up: allocator pools and thread pools settle
    global.gc?.();
    const before = process.memoryUsage().rss;
    for (let i = 0; i < 200; i++) await cycle(i);
    global.gc?.();
    const grown = (process.memoryUsage().rss - before) / 2 ** 20;
    expect(grown).toBeLessThan(50);
  });
});
