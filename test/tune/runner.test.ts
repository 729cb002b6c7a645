import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openHome, type Home } from '../../src/registry/open.js';
import { prepareObjective, runTrial } from '../../src/tune/objective.js';
import { runStudy, trialKey, workerScript } from '../../src/tune/runner.js';
import { CRASH_ENV } from '../../src/tune/worker.js';
import { CANCER, cli, tmp } from '../helpers.js';
import { killMidStudyAndRerun } from './kill-study.js';
import { DEFAULT_SPACES, checkParams, defaultPoint } from '../../src/tune/space.js';

const actor = { keyId: null, name: 'test' };
const dir = tmp();
let home: Home;

beforeAll(async () => {
  workerScript(); // throws when dist/ is not built
  home = await openHome({ dir: join(dir, 'home') });
});
afterAll(async () => {
  await home?.close();
});


describe('tuning studies (worker processes, registry, ASHA)', () => {
  it('completes a study: values recorded, poor trials pruned by ASHA, the best at least as good as the default parameters', async () => {
    const r = await runStudy(home, actor, { data: CANCER, target: 'diagnosis', model: 'xgboost', sampler: 'random', trials: 8, parallel: 2, study: 'bc-basic', seed: 5 });
    const trials = await home.registry.listTrials(r.study.id);
    expect(trials.map((t) => t.number)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(trials.every((t) => t.state === 'complete' || t.state === 'pruned')).toBe(true);
    const complete = trials.filter((t) => t.state === 'complete');
    expect(complete.length).toBeGreaterThan(0);
    for (const t of complete) {
      expect(t.value).toBeGreaterThan(0.5);
      expect(t.value).toBeLessThanOrEqual(1);
      expect(t.intermediate.length).toBeGreaterThan(0); // per-round reports reached the registry
    }
    const pruned = trials.filter((t) => t.state === 'pruned');
    expect(pruned.length).toBeGreaterThan(0);
    for (const t of pruned) expect(t.intermediate.at(-1)!.value).toBe(t.value);
    // Baseline: the default XGBoost parameters on the same fixed split.
    const data = await prepareObjective(CANCER, { target: 'diagnosis', seed: 5 });
    const base = await runTrial(data, 'xgboost', {}, { seed: 5, xgbThreads: 1 });
    expect(r.best!.value!).toBeGreaterThanOrEqual(base.value - 0.02);
    expect(r.summary.counts).toMatchObject({ total: 8, complete: complete.length, pruned: pruned.length, failed: 0 });
  });

  it('a worker that dies (exit 137, as an OOM kill) fails only its trial; a new worker carries on', async () => {
    process.env[CRASH_ENV] = '2';
    try {
      const r = await runStudy(home, actor, { data: CANCER, target: 'diagnosis', model: 'xgboost', sampler: 'random', trials: 4, parallel: 1, study: 'bc-crash', seed: 1, asha: false });
      const trials = await home.registry.listTrials(r.study.id);
      expect(trials.map((t) => [t.number, t.state])).toEqual([[1, 'complete'], [2, 'failed'], [3, 'complete'], [4, 'complete']]);
      expect(trials[1]!.error).toMatch(/worker process was killed \(exit code 137\), most likely by the out-of-memory killer/);
      expect(r.best).not.toBeNull();
    } finally {
      delete process.env[CRASH_ENV];
    }
  });

  it('is deterministic with P = 1 and a trial budget: the same seed gives the same leaderboard', async () => {
    const run = async (study: string) => {
      const r = await runStudy(home, actor, { data: CANCER, target: 'diagnosis', model: 'xgboost', trials: 6, parallel: 1, study, seed: 11 });
      return r.summary.leaderboard.map((t) => trialKey(t));
    };
    const a = await run('det-a');
    const b = await run('det-b');
    expect(a).toHaveLength(6);
    expect(b).toEqual(a);
    // TPE's first trial is the plain model where the space allows: XGBoost's defaults, except
    // alpha, whose default 0 is outside the space's log range (drawn instead).
    const first = (await home.registry.listTrials((await home.registry.listStudies('default')).find((s) => s.name === 'det-a')!.id)).find((t) => t.number === 1)!;
    const { alpha, ...defaults } = defaultPoint(DEFAULT_SPACES.xgboost, 'xgboost');
    expect(alpha).toBe(0);
    expect(first.params).toEqual({ ...defaults, alpha: expect.any(Number) });
    expect(checkParams(DEFAULT_SPACES.xgboost, first.params)).toBeNull();
  });

  it('a time budget stops the study and cancels the running trials as failed "budget exhausted"', async () => {
    const space = join(dir, 'slow.yaml');
    writeFileSync(space, 'learningRate: { type: loguniform, low: 0.001, high: 0.002 }\nrounds: { type: categorical, choices: [100000] }\nearlyStoppingRounds: { type: categorical, choices: [100000] }\n');
    const { parse } = await import('yaml');
    const { readFileSync } = await import('node:fs');
    const r = await runStudy(home, actor, { data: CANCER, target: 'diagnosis', model: 'xgboost', space: parse(readFileSync(space, 'utf8')), time: '3s', parallel: 1, study: 'bc-time', asha: false });
    expect(r.stoppedBy).toBe('time');
    const trials = await home.registry.listTrials(r.study.id);
    expect(trials.length).toBeGreaterThan(0);
    expect(trials.at(-1)!.state).toBe('failed');
    expect(trials.at(-1)!.error).toMatch(/budget exhausted/);
    expect(r.seconds).toBeLessThan(15);
  });

  it('--early-stop ends a search at a plateau before its trial budget, and a resumed study that is on one starts nothing', async () => {
    // Every trial the same configuration: no gain after trial 1, so the rule (at least 25 trials,
    // and twice as many as the last gain took) stops the search at trial 25, not at 200.
    const space = { learningRate: { type: 'categorical', choices: [0.3] }, rounds: { type: 'categorical', choices: [20] } };
    const opts = { data: CANCER, target: 'diagnosis', model: 'xgboost', space, sampler: 'random', trials: 200, parallel: 2, study: 'bc-plateau', seed: 2, asha: false as const, earlyStop: true };
    const r = await runStudy(home, actor, opts);
    expect(r.stoppedBy).toBe('plateau');
    const n = (await home.registry.listTrials(r.study.id)).length;
    expect(n).toBeGreaterThanOrEqual(25);
    expect(n).toBeLessThanOrEqual(26); // the other worker's trial, running when the rule fired, finishes
    const again = await runStudy(home, actor, opts);
    expect(again.stoppedBy).toBe('plateau');
    expect((await home.registry.listTrials(r.study.id)).length).toBe(n);
  });

  it('kill -9 of `lepton tune` mid-study: the rerun resumes, re-runs the interrupted trial with its number and parameters, none lost or repeated', async () => {
    const lhome = join(dir, 'kill-home');
    const space = join(dir, 'kill.yaml');
    // No pruning and long fixed trials, so a trial is surely running when the kill comes.
    writeFileSync(space, 'learningRate: { type: loguniform, low: 0.005, high: 0.05 }\nmaxDepth: { type: int, low: 2, high: 6 }\nrounds: { type: categorical, choices: [1500] }\nearlyStoppingRounds: { type: categorical, choices: [1500] }\n');
    const args = ['tune', CANCER, '--target', 'diagnosis', '--model', 'xgboost', '--space', space, '--trials', '5', '--parallel', '1', '--study', 'killme', '--seed', '3', '--no-asha', '--out', join(dir, 'kill.lepton')];
    const { victim, again } = await killMidStudyAndRerun(args, lhome, 'killme');
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(new RegExp(`resumed \\(\\d+ trials so far; interrupted trial #${victim.number} queued to run again\\)`));
    const h = await openHome({ dir: lhome });
    try {
      const study = await h.registry.study('default', 'killme');
      const ts = await h.registry.listTrials(study.id);
      expect(ts.map((t) => t.number)).toEqual([1, 2, 3, 4, 5]);
      expect(ts.every((t) => t.state === 'complete')).toBe(true);
      const rerun = ts.find((t) => t.number === victim.number)!;
      expect(rerun.attempt).toBe(2);
      expect(rerun.params).toEqual(victim.params);
      expect(ts.filter((t) => t.attempt === 2)).toHaveLength(1);
      expect(new Set(ts.map((t) => JSON.stringify(t.params))).size).toBe(5);
    } finally {
      await h.close();
    }
  });

  it('the CLI helper runs the built tune command', async () => {
    const r = await cli(['tune', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/lepton tune show credit-xgb/);
  });
});
