import { describe, expect, it } from 'vitest';
import { addon } from '../../src/engine/addon.js';
import { blobs } from '../helpers.js';

const { TorchMlp, XgbModel, trimMemory } = addon();

// Resident memory of freed-but-kept glibc arena pages swings by tens of MB between samples; trimming
// first makes RSS show what is in use, which is what a leak raises.
const inUse = () => {
  global.gc?.();
  trimMemory();
  return process.memoryUsage().rss;
};

describe('engine: memory', () => {
  it('training and disposing 200 models does not grow resident memory without bound', async () => {
    // Sized so that one leaked model, optimiser state or data copy per cycle is about 1 MB.
    const { x, y } = blobs(2000, 64);
    const yf = Float32Array.from(y);
    const cycle = async () => {
      const m = new TorchMlp({ inputDim: 64, outputDim: 2, hidden: [256, 256], activation: 'relu', dropout: 0, batchNorm: true, seed: 1 });
      await m.fit({ x, y, xVal: x.subarray(0, 64 * 200), yVal: y.subarray(0, 200) }, { task: 'classification', epochs: 1, batchSize: 128, optimizer: 'adam', lrPerEpoch: new Float64Array([1e-3]), weightDecay: 0, patience: 5, seed: 1, threads: 1 });
      await m.predict(x);
      m.stateDict();
      m.dispose();
      const b = new XgbModel();
      await b.fit({ x, y: yf, numFeatures: 64 }, { params: { objective: 'binary:logistic', max_depth: '3', nthread: '1' }, rounds: 10, earlyStoppingRounds: 0 });
      await b.predict(x);
      b.save();
      b.dispose();
    };
    for (let i = 0; i < 20; i++) await cycle(); // warm-up: allocator pools and thread pools settle
    const before = inUse();
    for (let i = 0; i < 200; i++) await cycle();
    const grown = (inUse() - before) / 2 ** 20;
    // A leak of one model, its Adam state or one copy of the data per cycle would add
    // 200 MB or more across 200 cycles (checked by retaining the models instead).
    expect(grown).toBeLessThan(50);
  });
});
