import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CANCER, CREDIT, ROOT, cli, expectCleanError as expectClean, tmp, type CliResult } from '../helpers.js';

const dir = tmp();
process.env.LEPTON_HOME = join(dir, 'home');
const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

/** A clean CLI error (helpers.ts), and no trial started. */
function expectCleanError(r: CliResult, pattern: RegExp): void {
  expectClean(r, pattern);
  expect(r.stderr).not.toMatch(/^trial \d/m);
}

const tune = (...args: string[]) => cli(['tune', CANCER, '--target', 'diagnosis', '--model', 'xgboost', '--parallel', '1', ...args]);

describe('cli: lepton tune', () => {
  let first: { counts: { total: number; complete: number }; best: { number: number; value: number }; leaderboard: { number: number }[]; final: { test: { rocAuc: number }; modelVersion: number; out: string } };

  beforeAll(async () => {
    const r = await tune('--trials', '5', '--study', 'bc', '--seed', '7', '--sampler', 'random', '--register', 'bc-tuned', '--out', join(dir, 'bc.lepton'), '--json');
    expect(r.code, r.stderr).toBe(0);
    first = JSON.parse(r.stdout) as typeof first;
  });

  it('runs a study, prints JSON, refits the best trial and registers it', () => {
    expect(first.counts.total).toBe(5);
    expect(first.leaderboard).toHaveLength(5);
    expect(first.best.value).toBeGreaterThan(0.9);
    expect(first.final.test.rocAuc).toBeGreaterThan(0.9);
    expect(first.final.modelVersion).toBe(1);
    expect(existsSync(join(dir, 'bc.lepton'))).toBe(true);
  });

  it('prints a progress line per trial and resumes the study to a larger budget', async () => {
    const r = await tune('--trials', '6', '--study', 'bc', '--out', join(dir, 'bc2.lepton'));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/study bc \(resumed \(5 trials so far\)\): random sampler, seed 7, 1 worker/);
    expect(r.stderr).toMatch(/^trial 6\/6 +(complete|pruned)/m);
    expect(r.stdout).toMatch(/trials: 6 \(/);
    expect(r.stdout).toMatch(/Leaderboard/);
    expect(r.stdout).toMatch(/best trial \d+ \(xgboost\) refitted on train \+ validation: test roc auc 0\.\d{4}/);
  });

  it('tune show prints the leaderboard and parameter importance; --json has the same', async () => {
    const text = await cli(['tune', 'show', 'bc']);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/study bc \(project default\): roc_auc \(maximize\) of 'diagnosis', random sampler, seed 7/);
    expect(text.stdout).toMatch(/#\s+state\s+roc_auc\s+steps\s+last report\s+params/);
    expect(text.stdout).toMatch(/Parameter importance/);
    const j = JSON.parse((await cli(['tune', 'show', 'bc', '--json'])).stdout) as { counts: { total: number }; leaderboard: { number: number; state: string }[]; importance: { param: string; importance: number; share: number }[]; best: { number: number } };
    expect(j.counts.total).toBe(6);
    expect(j.leaderboard[0]!.number).toBe(j.best.number);
    for (const p of j.importance) {
      expect(p.importance).toBeGreaterThanOrEqual(0);
      expect(p.importance).toBeLessThanOrEqual(1);
    }
    const list = JSON.parse((await cli(['tune', 'list', '--json'])).stdout) as { name: string; trials: number }[];
    expect(list).toEqual([expect.objectContaining({ name: 'bc', trials: 6 })]);
  });

  it('needs nothing but the data and the target: the budget defaults to 50 trials or 10 minutes', async () => {
    const child = spawn(process.execPath, [join(ROOT, 'dist', 'src', 'cli', 'main.js'), 'tune', CANCER, '--target', 'diagnosis', '--model', 'logistic', '--parallel', '1', '--study', 'defaults'], { env: { ...process.env, LEPTON_HOME: join(dir, 'home-defaults') } });
    let stderr = '';
    const started = await new Promise<boolean>((resolve) => {
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (/budget .*\n/.test(stderr)) resolve(true);
      });
      child.on('close', () => resolve(false));
    });
    child.kill('SIGKILL');
    expect(started, stderr).toBe(true);
    expect(stderr).toMatch(/study defaults \(new\): tpe sampler, .*budget 50 trials or 600 s/);
  });

  it('bad input is a clear error before any trial starts', async () => {
    expectCleanError(await tune('--trials', '0'), /the trial budget must be a whole number of trials above zero \(got 0\)/);
    expectCleanError(await tune('--time', '0s'), /the time budget must be above zero/);
    expectCleanError(await tune('--time', 'ten minutes'), /invalid duration 'ten minutes'/);
    expectCleanError(await tune('--trials', '3', '--space', file('empty.yaml', '{}\n')), /the search space is empty/);
    expectCleanError(await tune('--trials', '3', '--space', file('unknown.yaml', 'learning_rate: { type: uniform, low: 0.1, high: 0.2 }\n')), /unknown parameter 'learning_rate'; the closest known parameter is 'learningRate'/);
    expectCleanError(
      await tune('--trials', '3', '--space', file('contra.yaml', 'classWeights: { type: categorical, choices: [none, balanced] }\nrounds: { type: categorical, choices: [100, 200], when: { classWeights: balanced } }\nmaxDepth: { type: int, low: 2, high: 5, when: { rounds: 100, classWeights: none } }\n')),
      /parameter 'maxDepth' can never be active/,
    );
    expectCleanError(await tune('--trials', '3', '--space', file('range.yaml', 'subsample: { type: uniform, low: 0.5, high: 1.5 }\n')), /parameter 'subsample': 1.5 is not a valid xgboost value/);
    expectCleanError(await tune('--trials', '3', '--space', join(dir, 'missing.yaml')), /search space file not found/);
    expectCleanError(await tune('--trials', '3', '--sampler', 'bayes'), /unknown sampler 'bayes'/);
    expectCleanError(await cli(['tune', CANCER, '--target', 'diagnosis', '--model', 'svm', '--trials', '3']), /unknown model 'svm'/);
    expectCleanError(await tune('--trials', '3', '--parallel', '0'), /--parallel must be a whole number of worker processes above zero/);
    expectCleanError(await cli(['tune', CANCER, '--target', 'nope', '--trials', '3']), /target column 'nope' not found/);
    expectCleanError(await cli(['tune', CANCER, '--trials', '3']), /missing option '--target <column>'/);
    expectCleanError(await cli(['tune', dir, '--target', 'class', '--trials', '3']), /holds neither class folders of images or .txt documents nor IDX files/);
    // The study 'bc' belongs to the breast-cancer data.
    expectCleanError(await cli(['tune', CREDIT, '--target', 'class', '--model', 'xgboost', '--trials', '3', '--study', 'bc']), /study 'bc' belongs to another dataset/);
    expectCleanError(await tune('--trials', '3', '--study', 'bc', '--model', 'mlp'), /study 'bc' was created with a different search space/);
    expectCleanError(await cli(['tune', 'show', 'nosuch']), /study 'nosuch' not found/);
    const list = JSON.parse((await cli(['tune', 'list', '--json'])).stdout) as { name: string; trials: number }[];
    expect(list.map((s) => [s.name, s.trials])).toEqual([['bc', 6]]);
  });
});
