import { describe, expect, it } from 'vitest';
import { LeptonError } from '../../src/errors.js';
import { FAMILIES, resolveParams } from '../../src/models/spec.js';
import { parseBudget, parseDuration } from '../../src/tune/budget.js';
import { RandomSampler } from '../../src/tune/samplers.js';
import { DEFAULT_SPACES, autoSpace, checkParams, defaultPoint, familyParams, isActive, knownAutoParams, knownParams, paramOrder, validateSpace } from '../../src/tune/space.js';

/** The LeptonError a call throws (fails the test if it does not throw one). */
function errorOf(fn: () => unknown): LeptonError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(LeptonError);
    return e as LeptonError;
  }
  throw new Error('expected an error');
}

const good = {
  lr: { type: 'loguniform', low: 1e-4, high: 1e-1 },
  layers: { type: 'int', low: 1, high: 4 },
  optimizer: { type: 'categorical', choices: ['adam', 'sgd'] },
  momentum: { type: 'uniform', low: 0, high: 0.99, when: { optimizer: 'sgd' } },
};

describe('search space validation', () => {
  it('accepts a well-formed space with a conditional parameter', () => {
    const s = validateSpace(good);
    expect(Object.keys(s)).toEqual(['lr', 'layers', 'optimizer', 'momentum']);
    expect(paramOrder(s)).toEqual(['lr', 'layers', 'optimizer', 'momentum']);
  });

  it('puts parents before the parameters conditioned on them', () => {
    const s = validateSpace({ momentum: good.momentum, optimizer: good.optimizer });
    expect(paramOrder(s)).toEqual(['optimizer', 'momentum']);
  });

  const bad: [string, unknown, RegExp][] = [
    ['an empty space', {}, /search space: the search space is empty: it has no parameters to tune/],
    ['a space that is not an object', [1, 2], /search space: must be an object of parameters/],
    ['low ≥ high', { lr: { type: 'uniform', low: 1, high: 0.5 } }, /parameter 'lr': low \(1\) must be below high \(0\.5\)/],
    ['low = high', { n: { type: 'int', low: 3, high: 3 } }, /parameter 'n': low \(3\) must be below high \(3\)/],
    ['a log scale from 0', { lr: { type: 'loguniform', low: 0, high: 1 } }, /parameter 'lr': a log scale needs low > 0 \(got 0\)/],
    ['a log int from 0', { units: { type: 'int', low: 0, high: 512, log: true } }, /parameter 'units': a log scale needs low > 0/],
    ['empty choices', { opt: { type: 'categorical', choices: [] } }, /parameter 'opt': choices is empty/],
    ['a repeated choice', { opt: { type: 'categorical', choices: ['adam', 'adam'] } }, /parameter 'opt': choice 'adam' is listed twice/],
    ['an unknown type', { lr: { type: 'normal', low: 0, high: 1 } }, /parameter 'lr': type: /],
    ['a non-integer int bound', { n: { type: 'int', low: 1.5, high: 4 } }, /parameter 'n': low: /],
    ['a missing bound', { lr: { type: 'uniform', high: 1 } }, /parameter 'lr': low: missing \(required\)/],
    ['an infinite bound', { lr: { type: 'uniform', low: 0, high: Infinity } }, /parameter 'lr': high: Invalid input: expected number, received Infinity/],
    ['an empty parameter name', { '': { type: 'uniform', low: 0, high: 1 } }, /invalid parameter name ''/],
    ['an unknown key', { lr: { type: 'uniform', low: 0, high: 1, step: 0.1 } }, /parameter 'lr': .*step/],
    ['a condition on an unknown parameter', { ...good, momentum: { ...good.momentum, when: { optimiser: 'sgd' } } }, /parameter 'momentum': its condition names unknown parameter 'optimiser' \(did you mean 'optimizer'\?\)/],
    ['a condition on a value that is not a choice', { ...good, momentum: { ...good.momentum, when: { optimizer: 'rmsprop' } } }, /parameter 'momentum': its condition needs 'optimizer' = 'rmsprop', which is not among the choices of 'optimizer' \('adam', 'sgd'\)/],
    ['a condition on a numeric parameter', { ...good, momentum: { ...good.momentum, when: { layers: 2 } } }, /parameter 'momentum': its condition names 'layers', which is an int parameter; conditions can only name categorical parameters/],
    ['a condition allowing nothing', { ...good, momentum: { ...good.momentum, when: { optimizer: [] } } }, /its condition on 'optimizer' allows no value/],
    [
      'a cycle',
      { a: { type: 'categorical', choices: ['x', 'y'], when: { b: 'u' } }, b: { type: 'categorical', choices: ['u', 'v'], when: { a: 'x' } } },
      /the conditions form a cycle: 'a' → 'b' → 'a'/,
    ],
    ['a parameter conditioned on itself', { a: { type: 'categorical', choices: ['x', 'y'], when: { a: 'x' } } }, /cycle: 'a' → 'a'/],
    [
      'contradicting conditions through a parent',
      {
        family: { type: 'categorical', choices: ['mlp', 'xgboost'] },
        optimizer: { type: 'categorical', choices: ['adam', 'sgd'], when: { family: 'mlp' } },
        momentum: { type: 'uniform', low: 0, high: 0.99, when: { optimizer: 'sgd', family: 'xgboost' } },
      },
      /parameter 'momentum' can never be active: its conditions need 'family' to be 'mlp' \(through 'optimizer'\) and also 'xgboost'/,
    ],
  ];
  it.each(bad)('refuses %s with a clear message', (_what, space, message) => {
    const e = errorOf(() => validateSpace(space));
    expect(e.code).toBe('E_OPTION');
    expect(e.message).toMatch(message);
    expect(e.hint).toBeTruthy();
  });

  it('names an unknown parameter and the closest known one', () => {
    const e = errorOf(() => validateSpace({ learning_rate: { type: 'loguniform', low: 0.01, high: 0.3 } }, knownParams('xgboost')));
    expect(e.message).toBe("search space: unknown parameter 'learning_rate'; the closest known parameter is 'learningRate'");
    expect(e.hint).toMatch(/the parameters are 'rounds', 'learningRate'/);
    expect(errorOf(() => validateSpace({ dropuot: { type: 'uniform', low: 0, high: 0.5 } }, knownParams('mlp'))).message).toMatch(/unknown parameter 'dropuot'; the closest known parameter is 'dropout'/);
  });

  it('lets a condition allow several values, and array-valued choices', () => {
    const s = validateSpace({
      family: { type: 'categorical', choices: ['logistic', 'mlp', 'xgboost'] },
      lr: { type: 'loguniform', low: 1e-4, high: 1e-1, when: { family: ['logistic', 'mlp'] } },
      hidden: { type: 'categorical', choices: [[64], [128, 64]], when: { family: 'mlp' } },
      dropout: { type: 'uniform', low: 0, high: 0.5, when: { hidden: [[128, 64]] } },
    });
    expect(isActive(s.lr!, { family: 'mlp' })).toBe(true);
    expect(isActive(s.lr!, { family: 'xgboost' })).toBe(false);
    expect(isActive(s.dropout!, { family: 'mlp', hidden: [128, 64] })).toBe(true);
    expect(isActive(s.dropout!, { family: 'mlp', hidden: [64] })).toBe(false);
  });
});

describe('conditional activation', () => {
  it('draws a conditional parameter exactly when its condition holds, and its children only under it', () => {
    const s = validateSpace({
      ...good,
      nesterov: { type: 'categorical', choices: [false, true], when: { optimizer: 'sgd' } },
      dampening: { type: 'uniform', low: 0, high: 0.5, when: { nesterov: false } },
    });
    const sampler = new RandomSampler(s, { seed: 3 });
    const history: { number: number; state: 'complete'; params: Record<string, unknown>; value: number }[] = [];
    const seen = { sgd: 0, adam: 0, dampening: 0 };
    for (let i = 0; i < 300; i++) {
      const p = sampler.suggest(history);
      history.push({ number: i + 1, state: 'complete', params: p, value: 0 });
      expect(checkParams(s, p)).toBeNull();
      expect('momentum' in p).toBe(p.optimizer === 'sgd');
      expect('nesterov' in p).toBe(p.optimizer === 'sgd');
      expect('dampening' in p).toBe(p.optimizer === 'sgd' && p.nesterov === false);
      seen[p.optimizer as 'sgd' | 'adam']++;
      if ('dampening' in p) seen.dampening++;
    }
    expect(seen.sgd).toBeGreaterThan(100);
    expect(seen.adam).toBeGreaterThan(100);
    expect(seen.dampening).toBeGreaterThan(40);
  });

  it('checks a parameter set against the space', () => {
    const s = validateSpace(good);
    expect(checkParams(s, { lr: 0.01, layers: 2, optimizer: 'adam' })).toBeNull();
    expect(checkParams(s, { lr: 0.01, layers: 2, optimizer: 'adam', momentum: 0.9 })).toBe("parameter 'momentum' is set but inactive");
    expect(checkParams(s, { lr: 0.01, layers: 2, optimizer: 'sgd' })).toBe("parameter 'momentum' is missing");
    expect(checkParams(s, { lr: 2, layers: 2, optimizer: 'adam' })).toBe("parameter 'lr' = 2 is outside [0.0001, 0.1]");
    expect(checkParams(s, { lr: 0.01, layers: 2.5, optimizer: 'adam' })).toMatch(/'layers' = 2.5 is outside/);
    expect(checkParams(s, { lr: 0.01, layers: 2, optimizer: 'rmsprop' })).toBe("parameter 'optimizer' = 'rmsprop' is not a choice");
  });
});

describe('default spaces', () => {
  it('uses only the real parameter names of each family', () => {
    for (const f of FAMILIES) expect(() => validateSpace(DEFAULT_SPACES[f], knownParams(f))).not.toThrow();
    expect(() => validateSpace(autoSpace(), knownAutoParams())).not.toThrow();
  });

  it('gives parameters every family spec accepts, multi-family spaces included', () => {
    const space = validateSpace(autoSpace(), knownAutoParams());
    const sampler = new RandomSampler(space, { seed: 11 });
    const families = new Set<string>();
    for (let i = 0; i < 60; i++) {
      const p = sampler.suggest(Array.from({ length: i }, (_, n) => ({ number: n + 1, state: 'complete' as const, params: {}, value: 0 })));
      const { family, params } = familyParams(p);
      families.add(family);
      for (const k of Object.keys(p)) if (k !== 'family') expect(k.startsWith(`${family}.`)).toBe(true);
      expect(() => resolveParams(family, params)).not.toThrow();
    }
    expect([...families].sort()).toEqual(['forest', 'logistic', 'mlp', 'xgboost']);
    expect(() => autoSpace([])).toThrow(/no model family to search/);
  });
});

describe('default point', () => {
  it('is the family defaults under the space names, the first family for a multi-family space', () => {
    expect(defaultPoint(DEFAULT_SPACES.mlp, 'mlp')).toMatchObject({ hidden: [128, 64], dropout: 0.3, lr: 1e-3, weightDecay: 1e-4, optimizer: 'adamw', batchNorm: false });
    expect(Object.keys(defaultPoint(DEFAULT_SPACES.xgboost, 'xgboost')).sort()).toEqual(Object.keys(DEFAULT_SPACES.xgboost).sort());
    const auto = defaultPoint(autoSpace(['xgboost', 'mlp']), 'auto');
    expect(auto.family).toBe('xgboost');
    expect(auto['xgboost.maxDepth']).toBe(resolveParams('xgboost').maxDepth);
    expect(Object.keys(auto).some((k) => k.startsWith('mlp.'))).toBe(false);
  });

  it("includes the defaults that depend on the data once it is known (the forest's features per split)", () => {
    expect(defaultPoint(DEFAULT_SPACES.forest, 'forest').featureFraction).toBeUndefined();
    expect(defaultPoint(DEFAULT_SPACES.forest, 'forest', { task: 'classification', numFeatures: 64 })).toEqual({ featureFraction: 0.125, sampleFraction: 0.632, minChildWeight: 0.1, maxDepth: 12 });
    expect(defaultPoint(DEFAULT_SPACES.forest, 'forest', { task: 'regression', numFeatures: 64 }).featureFraction).toBeCloseTo(1 / 3, 12);
  });
});

describe('budgets', () => {
  it('parses trials and times', () => {
    expect(parseBudget({ trials: 50 })).toEqual({ trials: 50, timeMs: null });
    expect(parseBudget({ time: '1h30m', trials: '20' })).toEqual({ trials: 20, timeMs: 5_400_000 });
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('2.5')).toBe(2500);
  });

  it.each([
    [{ trials: 0 }, /the trial budget must be a whole number of trials above zero \(got 0\)/],
    [{ trials: 2.5 }, /the trial budget must be a whole number/],
    [{ time: '0m' }, /the time budget must be above zero \(got 0m\)/],
    [{ time: 0 }, /the time budget must be above zero/],
    [{ time: '10 minutes' }, /invalid duration '10 minutes'/],
    [{}, /no tuning budget: give a number of trials, a time, or both/],
  ])('refuses %j', (budget, message) => {
    const e = errorOf(() => parseBudget(budget));
    expect(e.code).toBe('E_OPTION');
    expect(e.message).toMatch(message);
  });
});
