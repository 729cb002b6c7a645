import { describe, expect, it } from 'vitest';
import { LeptonError } from '../../src/errors.js';
import { GridSampler, RandomSampler, TpeSampler, gridValues, makeSampler, tpeWeights, type Sampler, type Trial } from '../../src/tune/samplers.js';
import { canonicalJson, checkParams, validateSpace, type Params } from '../../src/tune/space.js';

const space = validateSpace({
  lr: { type: 'loguniform', low: 1e-5, high: 1 },
  layers: { type: 'int', low: 1, high: 8 },
  optimizer: { type: 'categorical', choices: ['adam', 'sgd', 'rmsprop', 'adagrad'] },
  momentum: { type: 'uniform', low: 0, high: 0.99, when: { optimizer: 'sgd' } },
});

/** Minimum near lr = 2e-3, 3 layers, adam; the other optimisers cost 0.8 (sgd with the right momentum 0.4). */
function objective(p: Params): number {
  const opt = p.optimizer === 'adam' ? 0 : p.optimizer === 'sgd' ? 0.4 + ((p.momentum as number) - 0.9) ** 2 : 0.8;
  return (Math.log10(p.lr as number) + 2.7) ** 2 + 0.3 * ((p.layers as number) - 3) ** 2 + opt;
}

/** Runs `n` sequential trials; returns the history. */
function runStudy(sampler: Sampler, n: number, f: (p: Params) => number = objective): Trial[] {
  const history: Trial[] = [];
  for (let i = 0; i < n; i++) {
    const params = sampler.suggest(history);
    history.push({ number: i + 1, state: 'complete', params, value: f(params) });
  }
  return history;
}
const best = (h: Trial[]) => Math.min(...h.map((t) => t.value!));
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('random sampler', () => {
  it('is deterministic in seed and history, and stays inside the space', () => {
    const h = runStudy(new RandomSampler(space, { seed: 5 }), 50);
    expect(runStudy(new RandomSampler(space, { seed: 5 }), 50)).toEqual(h);
    expect(runStudy(new RandomSampler(space, { seed: 6 }), 50)).not.toEqual(h);
    for (const t of h) expect(checkParams(space, t.params)).toBeNull();
    expect(new Set(h.map((t) => t.params.layers))).toEqual(new Set([1, 2, 3, 4, 5, 6, 7, 8]));
    // log-uniform: about half the draws below the geometric middle 1e-2.5
    const below = h.filter((t) => (t.params.lr as number) < 10 ** -2.5).length;
    expect(below).toBeGreaterThan(15);
    expect(below).toBeLessThan(35);
  });
});

describe('grid sampler', () => {
  const gspace = validateSpace({
    opt: { type: 'categorical', choices: ['adam', 'sgd'] },
    layers: { type: 'int', low: 1, high: 3 },
    lr: { type: 'loguniform', low: 1e-4, high: 1e-2 },
    momentum: { type: 'uniform', low: 0, high: 0.9, when: { opt: 'sgd' } },
  });

  it('spaces continuous values evenly (geometrically on a log scale) and keeps every integer or choice', () => {
    expect(gridValues(gspace.lr!, 3)).toEqual([1e-4, expect.closeTo(1e-3, 12), 1e-2]);
    expect(gridValues(gspace.momentum!, 4)).toEqual([0, expect.closeTo(0.3, 12), expect.closeTo(0.6, 12), 0.9]);
    expect(gridValues({ type: 'int', low: 1, high: 100 }, 3)).toEqual([1, 51, 100]);
    expect(gridValues({ type: 'int', low: 1, high: 3 }, 5)).toEqual([1, 2, 3]);
    expect(gridValues({ type: 'uniform', low: 0, high: 1 }, 1)).toEqual([0.5]);
  });

  it('enumerates the conditional product in a fixed order, never repeats a point, and then says the grid is exhausted', () => {
    const g = new GridSampler(gspace, { pointsPerParam: 3 });
    // adam: 3 layers × 3 lr; sgd: 3 × 3 × 3 momentum
    expect(g.size).toBe(9 + 27);
    const h = runStudy(g, g.size);
    expect(h[0]!.params).toEqual({ opt: 'adam', layers: 1, lr: 1e-4 });
    expect(h[1]!.params).toEqual({ opt: 'adam', layers: 1, lr: expect.closeTo(1e-3, 12) });
    expect(h[9]!.params).toEqual({ opt: 'sgd', layers: 1, lr: 1e-4, momentum: 0 });
    expect(new Set(h.map((t) => canonicalJson(t.params))).size).toBe(36);
    expect(runStudy(new GridSampler(gspace, { pointsPerParam: 3 }), 36)).toEqual(h);
    for (const t of h) expect(checkParams(gspace, t.params)).toBeNull();
    let err: unknown;
    try {
      g.suggest(h);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(LeptonError);
    expect((err as LeptonError).code).toBe('E_LIMIT');
    expect((err as LeptonError).message).toBe('grid: the grid is exhausted: all 36 points have been tried');
  });

  it('skips points the history already has, in any order (resumed or parallel studies)', () => {
    const g = new GridSampler(gspace, { pointsPerParam: 3 });
    const taken = [g.points[0]!, g.points[2]!, g.points[1]!].map((params, i) => ({ number: i + 1, state: i === 2 ? ('running' as const) : ('failed' as const), params, value: null }));
    expect(g.suggest(taken)).toEqual(g.points[3]);
  });

  it('refuses grids that are too large', () => {
    const big = validateSpace(Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`x${i}`, { type: 'uniform', low: 0, high: 1 }])));
    expect(() => new GridSampler(big, { pointsPerParam: 5 })).toThrow(/more than 100000 grid points/);
    expect(() => new GridSampler(big, { pointsPerParam: 0 })).toThrow(/points per parameter must be a positive integer/);
  });
});

describe('TPE sampler', () => {
  it('follows Optuna’s observation weights', () => {
    expect(tpeWeights(3)).toEqual([1, 1, 1]);
    const w = tpeWeights(30);
    expect(w).toHaveLength(30);
    expect(w[0]).toBeCloseTo(1 / 30, 12);
    expect(w[4]).toBe(1);
    expect(w.slice(5).every((x) => x === 1)).toBe(true);
  });

  it('is deterministic: the same seed and history give the same suggestion', () => {
    const h = runStudy(new TpeSampler(space, { seed: 9, direction: 'minimize' }), 40);
    expect(runStudy(new TpeSampler(space, { seed: 9, direction: 'minimize' }), 40)).toEqual(h);
    const fresh = new TpeSampler(space, { seed: 9, direction: 'minimize' });
    // A fresh sampler given the same history (as after a resume) makes the same 41st suggestion.
    expect(fresh.suggest(h)).toEqual(new TpeSampler(space, { seed: 9, direction: 'minimize' }).suggest(h));
    expect(new TpeSampler(space, { seed: 10, direction: 'minimize' }).suggest(h)).not.toEqual(fresh.suggest(h));
    for (const t of h) expect(checkParams(space, t.params)).toBeNull();
  });

  it('samples randomly for the first nStartup trials, then concentrates on the good region', () => {
    const seed = 4;
    const tpe = runStudy(new TpeSampler(space, { seed, direction: 'minimize', nStartup: 10 }), 60);
    const rnd = runStudy(new RandomSampler(space, { seed }), 60);
    expect(tpe.slice(0, 10)).toEqual(rnd.slice(0, 10)); // same stream before TPE takes over
    const nearLr = (h: Trial[]) => h.slice(30).filter((t) => Math.abs(Math.log10(t.params.lr as number) + 2.7) < 0.75).length;
    expect(nearLr(tpe)).toBeGreaterThan(2 * nearLr(rnd));
  });

  it('maximises exactly as it minimises the negated objective', () => {
    const neg = (p: Params) => -objective(p);
    const max = runStudy(new TpeSampler(space, { seed: 8, direction: 'maximize' }), 40, neg);
    const min = runStudy(new TpeSampler(space, { seed: 8, direction: 'minimize' }), 40);
    expect(max.map((t) => t.params)).toEqual(min.map((t) => t.params));
  });

  it('uses pruned trials as bad observations and ignores failed and running ones', () => {
    const h = runStudy(new RandomSampler(space, { seed: 2 }), 20);
    const mixed: Trial[] = h.map((t, i) => (i % 4 === 1 ? { ...t, state: 'pruned', value: 99, intermediate: [{ step: 1, value: 99 }] } : i % 4 === 2 ? { ...t, state: 'failed', value: null } : i % 4 === 3 ? { ...t, state: 'running', value: null } : t));
    const s = new TpeSampler(space, { seed: 1, direction: 'minimize', nStartup: 5 });
    const p = s.suggest(mixed);
    expect(checkParams(space, p)).toBeNull();
    // Failed/running trials carry no information: changing their params changes nothing.
    const shuffled = mixed.map((t) => (t.state === 'failed' || t.state === 'running' ? { ...t, params: h[0]!.params } : t));
    expect(s.suggest(shuffled)).toEqual(p);
  });

  it('models a conditional parameter only from the trials where it was active', () => {
    // momentum exists only for sgd; its good values (near 0.9) must be learnt from sgd trials alone.
    const sgdOnly = validateSpace({ optimizer: { type: 'categorical', choices: ['adam', 'sgd'] }, momentum: { type: 'uniform', low: 0, high: 0.99, when: { optimizer: 'sgd' } } });
    const f = (p: Params) => (p.optimizer === 'adam' ? 0.5 : ((p.momentum as number) - 0.9) ** 2);
    const distance = (h: Trial[]) => mean(h.slice(30).filter((t) => t.params.optimizer === 'sgd').map((t) => Math.abs((t.params.momentum as number) - 0.9)));
    const h = runStudy(new TpeSampler(sgdOnly, { seed: 3, direction: 'minimize' }), 60, f);
    expect(h.slice(30).filter((t) => t.params.optimizer === 'sgd').length).toBeGreaterThan(20); // sgd is the better branch
    // Uniform momentum is on average 0.41 from 0.9; TPE's late sgd trials are within a fraction of that.
    expect(distance(h)).toBeLessThan(0.5 * distance(runStudy(new RandomSampler(sgdOnly, { seed: 3 }), 60, f)));
    expect(distance(h)).toBeLessThan(0.2);
    for (const t of h) expect(checkParams(sgdOnly, t.params)).toBeNull();
  });

  it('beats random search on average: best value after 60 trials over 20 seeds', () => {
    const tpe: number[] = [];
    const rnd: number[] = [];
    for (let seed = 1; seed <= 20; seed++) {
      tpe.push(best(runStudy(new TpeSampler(space, { seed, direction: 'minimize' }), 60)));
      rnd.push(best(runStudy(new RandomSampler(space, { seed }), 60)));
    }
    console.log(`best after 60 trials, mean over 20 seeds: TPE ${mean(tpe).toFixed(4)}, random ${mean(rnd).toFixed(4)}; TPE better on ${tpe.filter((v, i) => v < rnd[i]!).length}/20 seeds`);
    expect(mean(tpe)).toBeLessThan(mean(rnd));
    expect(mean(tpe)).toBeLessThan(0.75 * mean(rnd));
  });

  it('starts from a given point where the space allows it, then goes on exactly as without one', () => {
    const start = { lr: 1e-3, layers: 12, optimizer: 'sgd', momentum: 0.9, unknown: 1 };
    const withStart = runStudy(new TpeSampler(space, { seed: 6, direction: 'minimize', start }), 30);
    const plain = runStudy(new TpeSampler(space, { seed: 6, direction: 'minimize' }), 30);
    // lr, optimizer and momentum are taken; layers 12 is outside [1, 8] and 'unknown' is no parameter: drawn as without a start.
    expect(withStart[0]!.params).toEqual({ lr: 1e-3, layers: expect.any(Number), optimizer: 'sgd', momentum: 0.9 });
    expect(checkParams(space, withStart[0]!.params)).toBeNull();
    // Only the first trial differs: later suggestions follow the history as always.
    const fresh = new TpeSampler(space, { seed: 6, direction: 'minimize', start });
    expect(fresh.suggest(plain.slice(0, 12))).toEqual(new TpeSampler(space, { seed: 6, direction: 'minimize' }).suggest(plain.slice(0, 12)));
    // An inactive parameter of the start point is not set: adam has no momentum.
    expect(new TpeSampler(space, { seed: 6, direction: 'minimize', start: { ...start, optimizer: 'adam' } }).suggest([]).momentum).toBeUndefined();
  });

  it('is made by name, as a study stores it', () => {
    expect(makeSampler('tpe', space, { seed: 1, direction: 'minimize' }).name).toBe('tpe');
    expect(makeSampler('grid', space, { seed: 1, direction: 'minimize', gridPoints: 2 }).name).toBe('grid');
    expect(() => makeSampler('cmaes', space, { seed: 1, direction: 'minimize' })).toThrow(/unknown sampler 'cmaes'/);
    expect(() => new TpeSampler(space, { seed: 1, direction: 'minimize', nEiCandidates: 0 })).toThrow(/nEiCandidates must be a positive integer/);
  });
});
