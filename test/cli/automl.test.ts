import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModel } from '../../src/models/artifact.js';
import { CANCER, CREDIT, cli, tmp } from '../helpers.js';

const SMALL = ['--trials', '2', '--epochs', '20', '--rounds', '60', '--threads', '1'];

describe('lepton train --time / --trials (AutoML)', () => {
  it('--json prints the leaderboard, weights and test report, and saves a model that predicts', async () => {
    const out = join(tmp(), 'credit.lepton');
    const r = await cli(['train', CREDIT, '--target', 'class', ...SMALL, '--out', out, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout) as {
      model: string; selected: string; leaderboard: { name: string; selected: boolean; weights?: Record<string, number>; trials: { total: number } | null }[];
      weights: Record<string, number>; decision: { keep: boolean; reason: string }; test: { rocAuc: number }; split: { test: number };
    };
    expect(j.model).toBe(out);
    expect(j.leaderboard.map((e) => e.name)).toEqual(['logistic', 'mlp', 'xgboost', 'weighted', 'stacking']);
    expect(j.leaderboard.slice(0, 3).every((e) => e.trials!.total === 2)).toBe(true);
    const w = Object.values(j.weights);
    expect(w.every((v) => v > 0)).toBe(true);
    expect(w.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 10);
    expect(j.selected).toBe(j.decision.keep ? 'ensemble' : j.leaderboard.find((e) => e.selected)!.name);
    expect(j.test.rocAuc).toBeGreaterThan(0.65);
    expect(j.split.test).toBe(150);
    expect(existsSync(out)).toBe(true);
    const model = await loadModel(out);
    try {
      expect(model.manifest.members.map((m) => m.weight)).toEqual(w);
      const p = await cli(['predict', out, CREDIT, '--json']);
      expect(p.code, p.stderr).toBe(0);
    } finally {
      model.dispose();
    }
  }, 60_000);

  it('prints a readable leaderboard; --model FAMILY tunes that family alone', async () => {
    const out = join(tmp(), 'cancer.lepton');
    const r = await cli(['train', CANCER, '--target', 'diagnosis', '--model', 'logistic', ...SMALL, '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('AutoML leaderboard');
    expect(r.stdout).toMatch(/logistic .*← chosen/);
    expect(r.stdout).not.toMatch(/^weighted  /m);
    expect(r.stdout).not.toContain('stacking');
    expect(r.stderr).toContain('logistic trial 1');
  }, 60_000);

  it('rejects bad input before any trial', async () => {
    const cases: [string[], RegExp][] = [
      [['--time', '0'], /time budget must be above zero/],
      [['--time', '5x'], /invalid duration/],
      [['--trials', '0'], /whole number of trials/],
      [['--trials', '2', '--target', 'nope'], /target column 'nope' not found/],
      [['--trials', '2', '--model', 'forest'], /unknown model 'forest'/],
      [['--trials', '2', '--register', 'credit'], /--register is not supported with AutoML/],
      [['--trials', '2', '--balance', 'smote'], /--balance is not supported with AutoML/],
    ];
    for (const [args, message] of cases) {
      const r = await cli(['train', CREDIT, '--target', 'class', ...args, '--out', join(tmp(), 'x.lepton')]);
      expect(r.code, args.join(' ')).not.toBe(0);
      expect(r.stderr, args.join(' ')).toMatch(message);
      expect(r.stderr).not.toContain('trial 0');
    }
  }, 60_000);
});
