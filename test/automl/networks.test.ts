import { describe, expect, it } from 'vitest';
import { NetworkSearch, NETWORK_SPACES, networkParams } from '../../src/automl/networks.js';
import { netSpecFor, textNetSpecFor } from '../../src/models/net-family.js';
import { parseNetSpec } from '../../src/models/net-spec.js';
import { CnnParams, TextNetParams } from '../../src/models/spec.js';
import { makeSampler, type Trial } from '../../src/tune/samplers.js';
import type { Params, SearchSpace } from '../../src/tune/space.js';
import { blobs } from '../helpers.js';

/** n random configurations of a space (the random sampler draws from the history's length). */
function sample(space: SearchSpace, n: number, seed: number): Params[] {
  const sampler = makeSampler('random', space, { seed, direction: 'maximize' });
  const history: Trial[] = [];
  for (let i = 0; i < n; i++) history.push({ number: i + 1, state: 'complete', params: sampler.suggest(history), value: 0 });
  return history.map((t) => t.params as Params);
}

describe('network search spaces (AutoML on image and text folders)', () => {
  it('every sampled CNN configuration is a valid network with the sampled widths and dropout', () => {
    const trials = sample(NETWORK_SPACES.cnn, 40, 1);
    expect(new Set(trials.map((t) => t.channels)).size).toBe(3);
    for (const trial of trials) {
      const params = CnnParams.parse(networkParams('cnn', trial, 4));
      const spec = parseNetSpec(netSpecFor(params, [3, 16, 16], 4, 0));
      const layers = spec.layers as Record<string, unknown>[];
      expect(layers.filter((l) => l.type === 'conv2d').map((l) => l.out)).toEqual([trial.channels, 2 * Number(trial.channels)]);
      expect(layers.find((l) => l.type === 'dropout')!.p).toBe(trial.dropout);
      expect(layers.at(-1)).toMatchObject({ type: 'linear', out: 4 });
      expect([params.lr, params.batchSize, params.weightDecay]).toEqual([trial.lr, trial.batchSize, trial.weightDecay]);
    }
    // The defaults trial stays the family's default network.
    expect(networkParams('cnn', {}, 4)).toEqual({});
  });

  it('textnet chooses a transformer or a GRU, each with only its own parameters, and every choice builds', () => {
    const encoders = new Set<string>();
    for (const trial of sample(NETWORK_SPACES.textnet, 40, 2)) {
      encoders.add(String(trial.encoder));
      if (trial.encoder === 'gru') expect(Object.keys(trial)).not.toContain('heads');
      else expect(Object.keys(trial)).not.toContain('hidden');
      const params = TextNetParams.parse(networkParams('textnet', trial, 2));
      const spec = parseNetSpec(textNetSpecFor(params, { vocab: 500, seqLen: 24 }, 2, 0));
      const layers = spec.layers as Record<string, unknown>[];
      expect(layers[0]).toMatchObject({ type: 'embedding', vocab: 500, dim: trial.dim });
      expect(layers[1]!.type).toBe(trial.encoder);
    }
    expect([...encoders].sort()).toEqual(['gru', 'transformer']);
  });

  it('runs trials under ASHA, keeps the best, and leaves fixed parameters out of the space', async () => {
    const { x, y } = blobs(240, 3 * 8 * 8, 4);
    const train = { x: x.subarray(0, 180 * 192), y: y.subarray(0, 180) };
    const val = { x: x.subarray(180 * 192), y: y.subarray(180) };
    const numClasses = Math.max(...y) + 1;
    const run = async () => {
      const search = new NetworkSearch('cnn', { trials: 6, seed: 3, fixed: { epochs: 3, batchSize: 32 } });
      expect(Object.keys(search.space)).not.toContain('batchSize');
      const member = await search.run({ input: { family: 'cnn', shape: [3, 8, 8] }, parse: (p) => CnnParams.parse(p) }, train, val, { task: 'classification', numClasses, numFeatures: 192, seed: 3, torchThreads: 1, xgbThreads: 1 });
      member.dispose();
      return search;
    };
    const a = await run();
    const s = a.summary();
    expect(s.counts.total).toBe(6);
    expect(s.counts.complete + s.counts.pruned + s.counts.failed).toBe(6);
    expect(a.trials[0]!.params).toEqual({});
    for (const t of a.trials) expect(t.epochs).toBeLessThanOrEqual(3);
    for (const t of a.trials.filter((t) => t.state === 'pruned')) expect(t.epochs).toBe(1); // ASHA's one rung at 3 epochs: epoch 1
    const complete = a.trials.filter((t) => t.state === 'complete');
    expect(s.best!.value).toBe(Math.max(...complete.map((t) => t.value!)));
    expect(a.best!.params).toMatchObject({ epochs: 3, batchSize: 32 });
    // Same seed and trial budget: the same leaderboard.
    const b = await run();
    expect(b.trials.map((t) => [t.number, t.state, t.value, t.params])).toEqual(a.trials.map((t) => [t.number, t.state, t.value, t.params]));
    expect(() => new NetworkSearch('cnn', { trials: 0 })).toThrow(/the trial budget must be a whole number of trials above zero/);
  });
});
