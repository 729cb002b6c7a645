import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModel } from '../../src/models/artifact.js';
import { openHome } from '../../src/registry/open.js';
import { CANCER, CREDIT, cli, tmp } from '../helpers.js';

const SMALL = ['--trials', '2', '--epochs', '20', '--rounds', '60', '--threads', '1'];

describe('lepton train --time / --trials (AutoML)', () => {
  it('--json prints the leaderboard, weights and test report, and saves a model that predicts', async () => {
    const out = join(tmp(), 'credit.lepton');
    const r = await cli(['train', CREDIT, '--target', 'class', ...SMALL, '--out', out, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout) as {
      model: string; selected: string; leaderboard: { name: string; selected: boolean; weights?: Record<string, number>; trials: { total: number } | null }[];
      weights: Record<string, number>; decision: { keep: boolean; reason: string }; test: { rocAuc: number }; split: { test: number }; bagged: boolean;
    };
    expect(j.model).toBe(out);
    expect(j.leaderboard.map((e) => e.name)).toEqual(['logistic', 'mlp', 'xgboost', 'forest', 'weighted', 'stacking']);
    expect(j.leaderboard.slice(0, 4).every((e) => e.trials!.total === 2)).toBe(true);
    const w = Object.values(j.weights);
    expect(w.every((v) => v > 0)).toBe(true);
    expect(w.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 10);
    const chosen = j.leaderboard.find((e) => e.selected)!.name;
    expect(j.selected).toBe(chosen === 'weighted' ? 'ensemble' : chosen);
    expect(j.test.rocAuc).toBeGreaterThan(0.65);
    expect(j.split.test).toBe(150);
    expect(j.bagged).toBe(true);
    expect(existsSync(out)).toBe(true);
    const model = await loadModel(out);
    try {
      expect(model.manifest.members.map((m) => m.weight)).toEqual(w);
      expect(model.manifest.members.every((m) => m.folds === 5)).toBe(true);
      const p = await cli(['predict', out, CREDIT, '--json']);
      expect(p.code, p.stderr).toBe(0);
    } finally {
      model.dispose();
    }
  }, 60_000);

  it('prints a readable leaderboard; --model FAMILY tunes that family alone; --no-bag refits', async () => {
    const out = join(tmp(), 'cancer.lepton');
    const r = await cli(['train', CANCER, '--target', 'diagnosis', '--model', 'logistic', ...SMALL, '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('AutoML leaderboard');
    expect(r.stdout).toContain('shipped: each member as the average of its 5 fold models (bagging)');
    expect(r.stdout).toMatch(/Test split \(\d+ rows held out; fold models trained on 4\/5 of \d+\)/);
    const refit = await cli(['train', CANCER, '--target', 'diagnosis', '--model', 'logistic', ...SMALL, '--no-bag', '--out', out, '--json']);
    expect(refit.code, refit.stderr).toBe(0);
    expect((JSON.parse(refit.stdout) as { bagged: boolean }).bagged).toBe(false);
    const plain = await loadModel(out);
    expect(plain.manifest.members.map((m) => m.folds)).toEqual([undefined]);
    plain.dispose();
    expect(r.stdout).toMatch(/logistic .*← chosen/);
    expect(r.stdout).not.toMatch(/^weighted  /m);
    expect(r.stdout).not.toContain('stacking');
    expect(r.stderr).toContain('logistic trial 1');
  }, 60_000);

  it('ends a search on a plateau and says so; --no-early-stop runs the whole trial budget', async () => {
    const out = join(tmp(), 'plateau.lepton');
    const base = ['train', CANCER, '--target', 'diagnosis', '--model', 'logistic', '--epochs', '20', '--threads', '1', '--out', out];
    const r = await cli([...base, '--trials', '300']);
    expect(r.code, r.stderr).toBe(0);
    const stopped = /logistic: tuning stopped after (\d+) trials, on a plateau/.exec(r.stdout);
    expect(stopped, r.stdout).not.toBeNull();
    expect(Number(stopped![1])).toBeLessThan(300);
    expect(r.stderr).toContain(`logistic: stopped after ${stopped![1]} trials`);
    const full = await cli([...base, '--trials', '30', '--no-early-stop', '--json']);
    expect(full.code, full.stderr).toBe(0);
    const e = (JSON.parse(full.stdout) as { leaderboard: { trials: { total: number }; plateau?: unknown }[] }).leaderboard[0]!;
    expect(e.trials.total).toBe(30);
    expect(e.plateau).toBeUndefined();
  }, 60_000);

  it('rejects bad input before any trial', async () => {
    const cases: [string[], RegExp][] = [
      [['--time', '0'], /time budget must be above zero/],
      [['--time', '5x'], /invalid duration/],
      [['--trials', '0'], /whole number of trials/],
      [['--trials', '2', '--target', 'nope'], /target column 'nope' not found/],
      [['--trials', '2', '--model', 'svm'], /unknown model 'svm'/],
      [['--trials', '2', '--balance', 'smoot'], /unknown balancing 'smoot'/],
    ];
    for (const [args, message] of cases) {
      const r = await cli(['train', CREDIT, '--target', 'class', ...args, '--out', join(tmp(), 'x.lepton')]);
      expect(r.code, args.join(' ')).not.toBe(0);
      expect(r.stderr, args.join(' ')).toMatch(message);
      expect(r.stderr).not.toContain('trial 0');
    }
  }, 60_000);

  it('--balance resamples training rows only and --register records the run and the model version', async () => {
    const cwd = tmp(); // the registry is ./.lepton of the working folder
    const out = join(cwd, 'credit.lepton');
    const r = await cli(['train', CREDIT, '--target', 'class', '--model', 'logistic', ...SMALL, '--balance', 'undersample', '--register', 'credit', '--alias', 'staging', '--out', out, '--json'], { cwd });
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout) as { split: { train: number; val: number; test: number; trainSplit: number }; test: { n: number; perClass: { label: string; support: number }[]; rocAuc: number } };
    // credit-g: 700 good / 300 bad; the test split keeps its 150 rows and its class mix, and the
    // refit's train + validation rows (255 bad) are undersampled to 2 × 255.
    expect(j.split).toEqual({ train: 510, val: 150, test: 150, trainSplit: 700 });
    expect(j.test.n).toBe(150);
    expect(j.test.perClass.map((c) => [c.label, c.support])).toEqual([['good', 105], ['bad', 45]]);
    expect(existsSync(out)).toBe(true);
    const show = JSON.parse((await cli(['models', 'show', 'credit@staging', '--json'], { cwd })).stdout) as { version: number; runId: number; metrics: { test: { rocAuc: number } } }[];
    expect(show[0]).toMatchObject({ version: 1, runId: 1 });
    expect(show[0]!.metrics.test.rocAuc).toBeCloseTo(j.test.rocAuc, 10);
    const home = await openHome({ dir: join(cwd, '.lepton') });
    try {
      const run = await home.registry.run('default', 1);
      expect(run.status).toBe('succeeded');
      expect(run.params).toMatchObject({ balance: 'undersample', automl: { trials: '2' }, register: { name: 'credit', alias: 'staging' } });
      expect((run.metrics as { selected: string; folds: number }).folds).toBe(5);
    } finally {
      await home.close();
    }
    const p = await cli(['predict', out, CREDIT, '--json'], { cwd });
    expect(p.code, p.stderr).toBe(0);
    // Without AutoML too, a registered run balances as asked (700 training rows, 210 bad → 420).
    const plain = await cli(['train', CREDIT, '--target', 'class', '--model', 'logistic', '--balance', 'undersample', '--register', 'credit', '--json'], { cwd });
    expect(plain.code, plain.stderr).toBe(0);
    expect((JSON.parse(plain.stdout) as { split: { train: number; trainSplit: number } }).split).toMatchObject({ train: 420, trainSplit: 700 });
  }, 60_000);
});
