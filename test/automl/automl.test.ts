import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chooseCandidates, chooseConfig, RESERVE_FACTOR, trainAutoML, type AutoMLOptions, type AutoMLResult } from '../../src/automl/automl.js';
import { formatAutoML } from '../../src/automl/format.js';
import { readTable } from '../../src/data/readers/index.js';
import { LeptonError } from '../../src/errors.js';
import { loadModel, saveModel } from '../../src/models/artifact.js';
import { BaggedMember } from '../../src/models/bagged.js';
import { train } from '../../src/train/train.js';
import { PLATEAU } from '../../src/tune/plateau.js';
import { AUTOML_SMALL, CANCER, CREDIT, tmp } from '../helpers.js';

const SMALL: Partial<AutoMLOptions> = AUTOML_SMALL;

/** A result without its timings (the only part that may differ between identical runs). */
function comparable(r: AutoMLResult): unknown {
  return { leaderboard: r.leaderboard.map(({ seconds: _s, ...e }) => e), weights: r.weights, decision: r.decision, simpler: r.simpler, stacking: r.stacking, test: r.test, members: r.model.manifest.members };
}

describe('trainAutoML', () => {
  it('is reproducible with a trial budget, weights are non-negative and sum to one, and the model saves, loads and predicts', async () => {
    const events: string[] = [];
    const a = await trainAutoML(CANCER, { target: 'diagnosis', seed: 7, ...SMALL, onTrial: (e) => events.push(`${e.family}#${e.number}:${e.state}`) });
    const b = await trainAutoML(CANCER, { target: 'diagnosis', seed: 7, ...SMALL });
    try {
      expect(comparable(b)).toEqual(comparable(a));
      expect(events.filter((e) => e.startsWith('xgboost'))).toHaveLength(3); // --trials is per family
      const names = a.leaderboard.map((e) => e.name);
      expect(names).toEqual(['logistic', 'mlp', 'xgboost', 'forest', 'weighted', 'stacking']);
      // Bagging (the default): each shipped member is its five fold models, not a refit.
      expect(a.bagged).toBe(true);
      for (const m of a.model.members) expect(m).toBeInstanceOf(BaggedMember);
      expect(a.model.manifest.members.map((m) => m.folds)).toEqual(a.model.members.map(() => 5));
      // The one-SE rule: logistic is the single family unless another's OOF loss is lower by more than 1 SE.
      const lossOf = (n: string) => a.leaderboard.find((e) => e.name === n)!.oofLoss!;
      const lowest = ['logistic', 'mlp', 'xgboost', 'forest'].sort((x, y) => lossOf(x) - lossOf(y))[0]!;
      if (lowest === 'logistic') expect(a.simpler).toBeNull();
      else {
        expect(a.simpler!.over).toBe(lowest);
        expect(a.simpler!.gap).toBeCloseTo(lossOf('logistic') - lossOf(lowest), 10);
        expect(a.simpler!.kept).toBe(a.simpler!.gap <= a.simpler!.se);
      }
      // The ensemble must beat that single family.
      const single = lowest === 'logistic' || a.simpler!.kept ? 'logistic' : lowest;
      expect(a.decision!.gain).toBeCloseTo(lossOf(single) - lossOf('weighted'), 6);
      expect(a.leaderboard.filter((e) => e.selected)).toHaveLength(1);
      for (const e of a.leaderboard.slice(0, 3)) {
        expect(e.trials!.total).toBe(3);
        expect(e.params).toBeTypeOf('object');
        expect(e.oofScore).toBeGreaterThan(0.9);
      }
      const w = a.leaderboard.find((e) => e.name === 'weighted')!.weights!;
      const wv = Object.values(w) as number[];
      for (const v of wv) expect(v).toBeGreaterThanOrEqual(0);
      expect(wv.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 10);
      const shipped = Object.values(a.weights) as number[];
      expect(shipped.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 10);
      expect(a.model.manifest.members.map((m) => m.weight)).toEqual(shipped);
      const chosen = a.leaderboard.find((e) => e.selected)!.name;
      expect(a.model.manifest.selected).toBe(chosen === 'weighted' ? 'ensemble' : chosen);
      expect(a.model.manifest.stack !== undefined).toBe(chosen === 'stacking');
      expect(a.test.task === 'classification' && a.test.rocAuc!).toBeGreaterThan(0.95);
      // The same split as train(): the same number of test rows for the same seed.
      const plain = await train(CANCER, { target: 'diagnosis', seed: 7, model: 'logistic', params: { logistic: { epochs: 5 } } });
      expect(a.split).toMatchObject({ test: plain.test.n, val: plain.split.val, trainSplit: plain.split.trainSplit });
      plain.model.dispose();

      const file = join(tmp(), 'automl.lepton');
      await saveModel(a.model, file);
      const loaded = await loadModel(file);
      try {
        const table = await readTable(CANCER);
        const rows = Int32Array.from({ length: 20 }, (_, i) => i);
        const x = a.model.pipeline.transform(table, rows);
        expect(Array.from(await loaded.predictFeatures(x))).toEqual(Array.from(await a.model.predictFeatures(x)));
        const preds = await loaded.predict(table);
        expect(preds).toHaveLength(table.numRows);
        expect(loaded.manifest.training?.automl).toBeDefined();
      } finally {
        loaded.dispose();
      }
    } finally {
      a.model.dispose();
      b.model.dispose();
    }
  }, 60_000);

  it('tunes credit-g and tunes a single family without an ensemble', async () => {
    const r = await trainAutoML(CREDIT, { target: 'class', ...SMALL, trials: 2 });
    try {
      expect(r.metric).toBe('roc_auc');
      expect(r.test.task === 'classification' && r.test.rocAuc!).toBeGreaterThan(0.65);
      expect(r.stacking!.oofLoss).toBeGreaterThan(0);
    } finally {
      r.model.dispose();
    }
    const one = await trainAutoML(CREDIT, { target: 'class', ...SMALL, trials: 2, families: ['xgboost'], bag: false });
    try {
      expect(one.leaderboard.map((e) => e.name)).toEqual(['xgboost']);
      expect(one.decision).toBeNull();
      expect(one.weights).toEqual({ xgboost: 1 });
      expect(one.model.members).toHaveLength(1);
      // Without bagging: one model refitted on train + validation, in a format-2 file.
      expect(one.bagged).toBe(false);
      expect(one.model.members[0]).not.toBeInstanceOf(BaggedMember);
      expect(one.model.manifest.formatVersion).toBe(2);
    } finally {
      one.model.dispose();
    }
  }, 60_000);

  it('keeps to a time budget: tunes until the deadline, then ensembles', async () => {
    // earlyStop: false, as the small trials here would reach a plateau well before the deadline.
    const r = await trainAutoML(CANCER, { target: 'diagnosis', time: 6, params: SMALL.params, torchThreads: 1, xgbThreads: 1, earlyStop: false });
    try {
      expect(r.budget).toEqual({ trials: null, timeMs: 6000 });
      expect(r.seconds.tuning).toBeGreaterThan(2.5); // at least half the budget goes to tuning
      expect(r.seconds.total).toBeLessThan(12);
      for (const e of r.leaderboard.slice(0, 3)) expect(e.trials!.total).toBeGreaterThan(1);
    } finally {
      r.model.dispose();
    }
  }, 30_000);

  it('fits only the out-of-fold candidates whose own trial times fit in the time left', () => {
    const family = (name: string, ...seconds: number[]) => ({ name, configs: seconds.map((s) => ({ seconds: s / RESERVE_FACTOR })) });
    // Best on validation first. Per fold: logistic 0.1 s then 0.1, 0.1; mlp 1 s (defaults) then 8 s and 2 s; 5 folds.
    const ranked = [family('logistic', 0.1, 0.1, 0.1), family('mlp', 1, 8, 2), family('empty')];
    const names = (r: ReturnType<typeof chooseCandidates<(typeof ranked)[number]>>) => r.map((c) => `${c.name}:${c.configs.map((t) => t.seconds * RESERVE_FACTOR).join(',')}`);
    expect(names(chooseCandidates(ranked, 5, Infinity))).toEqual(['logistic:0.1,0.1,0.1', 'mlp:1,8,2']);
    // Logistic's refit (0.125 s), then the MLP defaults' 5 fits and refit with logistic's 5 fits
    // (6.75 s); the 8 s MLP (40 s on 5 folds) does not fit in what is left of 20 s, the 2 s one does.
    expect(names(chooseCandidates(ranked, 5, 20_000))).toEqual(['logistic:0.1,0.1,0.1', 'mlp:1,2']);
    // Time for the MLP's fits but not the logistic's second candidate after them.
    expect(names(chooseCandidates(ranked, 5, 7_000))).toEqual(['logistic:0.1', 'mlp:1']);
    // Bagging ships the fold models, so no refit is paid for: the 1.375 s the two refits would
    // take buy logistic's other two candidates.
    expect(names(chooseCandidates(ranked, 5, 7_000, true))).toEqual(['logistic:0.1,0.1,0.1', 'mlp:1']);
    // No time left: the best family's first configuration alone, refitted without OOF fits.
    expect(names(chooseCandidates(ranked, 5, 0))).toEqual(['logistic:0.1']);
    expect(chooseCandidates([family('empty')], 5, Infinity)).toEqual([]);
  });

  it("keeps a family's defaults over a tuned configuration that is better on OOF loss only within one standard error", () => {
    // Per-row losses: the tuned trial #12 is lower by 0.01 on average, with paired differences of sd ≈ 0.2 (se ≈ 0.02).
    const n = 100;
    const defaults = Float64Array.from({ length: n }, (_, i) => 0.5 + (i % 2 ? 0.2 : -0.2));
    const noisy = Float64Array.from({ length: n }, (_, i) => 0.49 + (i % 2 ? -0.2 : 0.2));
    const kept = chooseConfig([noisy, defaults], [12, 0]);
    expect(kept.index).toBe(1);
    expect(kept.defaultsKept!.over).toBe(12);
    expect(kept.defaultsKept!.gap).toBeCloseTo(0.01, 10);
    expect(kept.defaultsKept!.gap).toBeLessThanOrEqual(kept.defaultsKept!.se);
    // The same mean gain with no spread in the differences is beyond noise: the tuned trial wins.
    const steady = Float64Array.from(defaults, (v) => v - 0.01);
    expect(chooseConfig([steady, defaults], [12, 0])).toEqual({ index: 0 });
    // Without the defaults among the candidates, the lowest loss wins; a lowest-loss defaults stays.
    expect(chooseConfig([defaults, noisy], [3, 12])).toEqual({ index: 1 });
    expect(chooseConfig([noisy, defaults].reverse(), [0, 12])).toEqual({ index: 0, defaultsKept: kept.defaultsKept });
  });

  it("ends a family's tuning on a plateau before its trial budget, unless told not to", async () => {
    const stages: string[] = [];
    const base: AutoMLOptions = { target: 'diagnosis', seed: 3, families: ['logistic'], params: { logistic: { epochs: 30 } }, torchThreads: 1, xgbThreads: 1 };
    const r = await trainAutoML(CANCER, { ...base, trials: 400, onStage: (s, d) => stages.push(`${s}: ${d}`) });
    try {
      const e = r.leaderboard[0]!;
      expect(e.trials!.total).toBeLessThan(400);
      expect(e.plateau).toEqual({ trials: e.trials!.total, lastGain: expect.any(Number) });
      expect(e.trials!.total).toBeGreaterThanOrEqual(Math.max(PLATEAU.minTrials, PLATEAU.factor * (e.plateau!.lastGain + 1)));
      expect(stages).toContain(`tuning: logistic: stopped after ${e.trials!.total} trials, no gain above 0.1 % since trial #${e.plateau!.lastGain}`);
      expect(formatAutoML(r)).toContain(`logistic: tuning stopped after ${e.trials!.total} trials, on a plateau`);
    } finally {
      r.model.dispose();
    }
    // With a time budget, a search that plateaus ends AutoML long before the deadline.
    const timed = await trainAutoML(CANCER, { ...base, time: 120 });
    try {
      expect(timed.leaderboard[0]!.plateau).toBeDefined();
      expect(timed.seconds.total).toBeLessThan(60);
    } finally {
      timed.model.dispose();
    }
    const full = await trainAutoML(CANCER, { ...base, trials: 40, earlyStop: false });
    try {
      expect(full.leaderboard[0]!.trials!.total).toBe(40);
      expect(full.leaderboard[0]!.plateau).toBeUndefined();
    } finally {
      full.model.dispose();
    }
  }, 60_000);

  it('a budget the defaults trials use up: the best family on validation is refitted without OOF fits', async () => {
    const stages: string[] = [];
    const r = await trainAutoML(CANCER, { target: 'diagnosis', time: 0.2, torchThreads: 1, xgbThreads: 1, onStage: (s, d) => stages.push(`${s}: ${d}`) });
    try {
      expect(stages.find((s) => s.startsWith('oof'))).toMatch(/^oof: skipped: the time left covers refitting one configuration/);
      expect(r.leaderboard).toHaveLength(1);
      expect(r.leaderboard[0]!.oofScore).toBeNull();
      expect(r.leaderboard[0]!.valScore).toBe(Math.max(...r.leaderboard.map((e) => e.bestValScore!)));
      expect(r.seconds.oof).toBeLessThan(0.1);
      expect(r.test.rocAuc).toBeGreaterThan(0.95);
    } finally {
      r.model.dispose();
    }
  }, 30_000);

  it('rejects bad budgets and unknown targets before any trial', async () => {
    const cases: [Partial<AutoMLOptions>, string][] = [
      [{ time: 0 }, 'E_OPTION'],
      [{ time: '0s' }, 'E_OPTION'],
      [{ time: '5 minutes' }, 'E_OPTION'],
      [{ trials: 0 }, 'E_OPTION'],
      [{ trials: 2.5 }, 'E_OPTION'],
      [{}, 'E_OPTION'],
      [{ trials: 2, families: [] }, 'E_OPTION'],
      [{ trials: 2, folds: 1 }, 'E_OPTION'],
      [{ trials: 2, target: 'no_such_column' }, 'E_TARGET'],
      [{ trials: 2, params: { xgboost: { maxDepth: -1 } } }, 'E_OPTION'],
    ];
    for (const [o, code] of cases) {
      let trials = 0;
      const err = await trainAutoML(CREDIT, { target: 'class', ...o, onTrial: () => trials++ }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err, JSON.stringify(o)).toBeInstanceOf(LeptonError);
      expect((err as LeptonError).code, JSON.stringify(o)).toBe(code);
      expect(trials).toBe(0);
    }
  }, 30_000);
});
