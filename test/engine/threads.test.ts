import { describe, expect, it } from 'vitest';
import { addon } from '../../src/engine/addon.js';
import { threadSplit } from '../../src/engine/threads.js';
import type { FitContext } from '../../src/models/member.js';
import { fitNet, fitTextNet } from '../../src/models/net-family.js';
import { CnnParams, resolveParams, TextNetParams } from '../../src/models/spec.js';
import { fitTorch } from '../../src/models/torch-family.js';
import { blobs } from '../helpers.js';

// The two pools spin against each other when both have more than one thread (MLP at 2 + 2
// threads: 10–12k samples/s, at 1 + 2: 32.5k): a fit's cores go to one pool, the other keeps one.
describe('engine: threads split between libtorch\'s OpenMP pool and OpenBLAS', () => {
  it('gives the cores to BLAS for matrix products and to OpenMP for convolutions', () => {
    expect(addon().versions().blasThreads, 'Debian libtorch-dev multiplies with OpenBLAS').not.toBeNull();
    expect(threadSplit(1, 'matmul')).toEqual({ threads: 1, blasThreads: 1 });
    expect(threadSplit(1, 'convolution')).toEqual({ threads: 1, blasThreads: 1 });
    expect(threadSplit(4, 'matmul')).toEqual({ threads: 1, blasThreads: 4 });
    expect(threadSplit(4, 'convolution')).toEqual({ threads: 4, blasThreads: 1 });
  });

  it('every network family fits with the split its layers call for', async () => {
    const ctx = (numFeatures: number): FitContext => ({ task: 'classification', numClasses: 2, numFeatures, seed: 0, torchThreads: 2, xgbThreads: 1 });
    const blas = () => addon().versions().blasThreads;

    const { x, y } = blobs(64, 4);
    (await fitTorch('mlp', resolveParams('mlp', { epochs: 1 }), { x, y }, undefined, ctx(4))).dispose();
    expect(blas(), 'an MLP multiplies matrices: BLAS gets both cores').toBe(2);

    const images = new Float32Array(32 * 64).map((_, i) => (i % 7) / 7);
    const labels = Int32Array.from({ length: 32 }, (_, i) => i % 2);
    (await fitNet(CnnParams.parse({ epochs: 1 }), [1, 8, 8], { x: images, y: labels }, undefined, ctx(64))).dispose();
    expect(blas(), 'a CNN convolves on OpenMP: BLAS keeps one thread').toBe(1);

    const ids = Float32Array.from({ length: 32 * 6 }, (_, i) => 1 + (i % 9));
    (await fitTextNet(TextNetParams.parse({ epochs: 1 }), { vocab: 10, seqLen: 6 }, { x: ids, y: labels }, undefined, ctx(6))).dispose();
    expect(blas(), 'a Transformer multiplies matrices: BLAS gets both cores').toBe(2);
  });
});
