import { describe, expect, it } from 'vitest';
import { kmeans, silhouetteScore } from '../../src/segment/kmeans.js';
import { blobs } from '../helpers.js';

describe('segment: memory', () => {
  it('300 k-means and silhouette calls do not grow resident memory without bound', async () => {
    // Sized so that one leaked copy of the data per call (the engine makes a float64 copy) is
    // about 1 MB: 100 calls would add 100 MB or more.
    const n = 4000;
    const d = 32;
    const { x } = blobs(n, d, 3);
    const cycle = async (seed: number) => {
      const r = await kmeans(x, n, d, 4, { seed, nInit: 1, maxIter: 20 });
      await silhouetteScore(x, n, d, r.labels, { sampleSize: 500, seed });
    };
    for (let i = 0; i < 20; i++) await cycle(i); // warm-up: allocator pools and thread pools settle
    const rss = () => {
      global.gc?.();
      return process.memoryUsage().rss / 2 ** 20;
    };
    // Three windows of 100 calls: a leak grows every window by 100 MB or more, while malloc's
    // per-thread arenas (libuv workers) may still add some tens of MB in the first, more when
    // the whole suite loads the machine (54 MB once in CI), and then level off.
    const at = [rss()];
    for (let w = 0; w < 3; w++) {
      for (let i = 0; i < 100; i++) await cycle(100 * w + i);
      at.push(rss());
    }
    expect(at[3]! - at[1]!).toBeLessThan(50);
    expect(at[3]! - at[0]!).toBeLessThan(100);
  });
});
