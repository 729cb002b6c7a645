import { describe, expect, it } from 'vitest';
import type { FitContext } from '../../src/models/member.js';
import { fitNet } from '../../src/models/net-family.js';
import { CnnParams } from '../../src/models/spec.js';
import { processThreads as threads } from '../helpers.js';

// Its own file, so its process has fresh libuv threads: a thread that once started a team keeps it.
describe('engine: OpenMP default team size', () => {
  it('a prediction on a libuv thread starts no OpenMP team: threads that ask for none get one', async () => {
    // Once teams' threads outnumber the cores every OpenMP barrier in the process sleeps:
    // XGBoost fits ran 7x slower after three CNN predictions.
    const ctx: FitContext = { task: 'classification', numClasses: 2, numFeatures: 784, seed: 0, torchThreads: 1, xgbThreads: 1 };
    const images = new Float32Array(64 * 784).map((_, i) => (i % 13) / 13);
    const labels = Int32Array.from({ length: 64 }, (_, i) => i % 2);
    const net = await fitNet(CnnParams.parse({ epochs: 1 }), [1, 28, 28], { x: images, y: labels }, undefined, ctx);
    const before = threads();
    const batch = new Float32Array(2048 * 784).map((_, i) => (i % 31) / 31);
    const outs = await Promise.all([net.predict(batch), net.predict(batch), net.predict(batch)]);
    expect(outs.every((o) => o.length === 2048 * 2)).toBe(true);
    expect(threads(), 'large convolutions on three libuv threads, none with a team of its own').toBe(before);
    expect(process.env.OMP_NUM_THREADS, 'the default is not passed on to child processes').toBe(undefined);
    net.dispose();
  });
});
