import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tableFromRows } from '../../src/data/readers/index.js';
import type { LeptonModel } from '../../src/models/model.js';
import { Batcher } from '../../src/serve/batcher.js';
import { train } from '../../src/train/train.js';
import { CREDIT } from '../helpers.js';
import { creditRows } from './fixture.js';

let model: LeptonModel;
let x1: Float32Array;
const calls: number[] = [];

beforeAll(async () => {
  model = (await train(CREDIT, { target: 'class', model: 'logistic' })).model;
  x1 = model.pipeline.transform(tableFromRows((await creditRows(1)), model.inputSchema));
  // Count engine calls and their rows by watching the model's one entry point.
  const original = model.predictFeatures.bind(model);
  model.predictFeatures = (x: Float32Array) => {
    calls.push(x.length / x1.length);
    return original(x);
  };
});
afterAll(() => model.dispose());

describe('serve: micro-batching', () => {
  it('groups concurrent requests, never above the maximum batch, with the same answers as alone', async () => {
    const alone = await model.predictFeatures(x1);
    calls.length = 0;
    const b = new Batcher(model, { maxBatchRows: 16, maxWaitMs: 20 }, 'm');
    const sizes = Array.from({ length: 100 }, (_, i) => 1 + (i % 3));
    const outs = await Promise.all(sizes.map((n) => b.submit(repeat(x1, n), n)));
    expect(calls.every((c) => c <= 16)).toBe(true);
    expect(calls.reduce((s, c) => s + c, 0)).toBe(sizes.reduce((s, n) => s + n, 0));
    expect(calls.length).toBeLessThan(40); // 200 rows: a first few alone, then batches of up to 16
    outs.forEach((o, i) => {
      expect(o.length).toBe(2 * sizes[i]!);
      expect(o[0]).toBeCloseTo(alone[0]!, 6);
    });
  });

  it('sends a lone request at once, inline when it is small, and big requests straight through', async () => {
    const b = new Batcher(model, { maxBatchRows: 64, maxWaitMs: 30 }, 'm');
    const t0 = performance.now();
    calls.length = 0;
    await b.submit(x1, 1);
    expect(performance.now() - t0).toBeLessThan(25); // the engine was idle: no waiting for company
    expect(calls).toEqual([1]);
    let inline = 0;
    const sync = model.predictFeaturesSync.bind(model);
    model.predictFeaturesSync = (x: Float32Array) => {
      inline++;
      return sync(x);
    };
    calls.length = 0;
    const out = await b.submit(x1, 1, true);
    expect(inline).toBe(1);
    expect(calls).toEqual([]);
    expect(out[0]).toBeCloseTo((await model.predictFeatures(x1))[0]!, 6);
    calls.length = 0;
    await b.submit(repeat(x1, 64), 64);
    expect(calls).toEqual([64]);
    const off = new Batcher(model, { maxBatchRows: 1, maxWaitMs: 30 }, 'm');
    calls.length = 0;
    await Promise.all([off.submit(x1, 1), off.submit(x1, 1), off.submit(x1, 1)]);
    expect(calls).toEqual([1, 1, 1]);
  });

  it('queues while every engine slot is busy and sends the queue as one batch when a slot frees', async () => {
    const b = new Batcher(model, { maxBatchRows: 64, maxWaitMs: 1000, maxInFlight: 1 }, 'm');
    calls.length = 0;
    const first = b.submit(x1, 1); // takes the only slot
    const rest = Array.from({ length: 10 }, () => b.submit(x1, 1)); // queue behind it
    await Promise.all([first, ...rest]);
    expect(calls).toEqual([1, 10]);
  });
});

function repeat(x: Float32Array, n: number): Float32Array {
  const out = new Float32Array(x.length * n);
  for (let i = 0; i < n; i++) out.set(x, i * x.length);
  return out;
}
