import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openHome } from '../../src/registry/open.js';
import { fashion, writeFolder } from '../data/fixtures.js';
import { cli, expectCleanError, tmp } from '../helpers.js';
import { CRASH_ENV } from '../../src/tune/worker.js';
import { killMidStudyAndRerun } from '../tune/kill-study.js';
import { runToFailure, toCsv } from '../data/run-to-failure.js';
import { tableFromRows } from '../../src/data/readers/index.js';
import { toCsv as toCsvText } from '../../src/data/writers/csv.js';
import { grainRows } from '../train/grain-mixed.js';

const dir = tmp();
process.env.LEPTON_HOME = join(dir, 'home');

type Result = {
  study: { name: string; seed: number };
  counts: { total: number; complete: number; pruned: number; failed: number };
  best: { number: number; value: number };
  leaderboard: { number: number; state: string; params: Record<string, unknown>; value: number | null }[];
  importance: { param: string }[];
  resumed: boolean;
  requeued: number[];
  final: { family: string; trial: number; test: { rocAuc: number }; out: string };
};
const byNumber = (r: Result) => [...r.leaderboard].sort((a, b) => a.number - b.number).map((t) => [t.number, t.state, t.value, t.params]);

describe('cli: lepton tune on networks (folders, sequences)', () => {
  it('an image folder is a CNN study: trial 1 the defaults, resumed to a larger budget, shown like a table study', async () => {
    const scans = join(dir, 'scans');
    await writeFolder(scans, await fashion());
    const args = ['tune', scans, '--study', 'scans', '--epochs', '3', '--seed', '5', '--out', join(dir, 'scans.lepton'), '--json'];
    const a = await cli([...args, '--trials', '3']);
    expect(a.code, a.stderr).toBe(0);
    const r = JSON.parse(a.stdout) as Result;
    expect(r.final.family).toBe('cnn');
    expect(r.resumed).toBe(false);
    expect(r.counts.total).toBe(3);
    expect(r.leaderboard.find((t) => t.number === 1)!.params).toEqual({}); // the family's defaults
    expect(r.final.trial).toBe(r.best.number);
    expect(existsSync(join(dir, 'scans.lepton'))).toBe(true);
    const p = await cli(['predict', join(dir, 'scans.lepton'), join(scans, 'trouser'), '--json']);
    expect(p.code, p.stderr).toBe(0);

    // The same study again with a larger budget: the three trials stay, two more run, numbered 4 and 5.
    const b = await cli([...args, '--trials', '5']);
    expect(b.code, b.stderr).toBe(0);
    const r2 = JSON.parse(b.stdout) as Result;
    expect(r2.resumed).toBe(true);
    expect(r2.study.seed).toBe(5);
    expect(r2.leaderboard.map((t) => t.number).sort()).toEqual([1, 2, 3, 4, 5]);
    expect(byNumber(r2).slice(0, 3)).toEqual(byNumber(r));
    expect(r2.best.value).toBeGreaterThanOrEqual(r.best.value);
    expect(r2.final.trial).toBe(r2.best.number); // trained again when the first run found it

    const shown = await cli(['tune', 'show', 'scans']);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(/study scans \(project default\): roc_auc \(maximize\) of 'label', tpe sampler, seed 5/);
    expect(shown.stdout).toMatch(/trials: 5 \(/);
    // Another family or other fixed options on the same name is another search.
    expectCleanError(await cli(['tune', scans, '--study', 'scans', '--epochs', '4', '--trials', '6']), /study 'scans' was created with a different search space \('epochs' changed\)/);
  }, 90_000);

  it('kill -9 mid-study: the rerun runs the interrupted trial again with its number and knobs, none lost or repeated', async () => {
    const scans = join(dir, 'scans-kill');
    await writeFolder(scans, await fashion());
    const home = join(dir, 'kill-home');
    // Two workers: the kill may interrupt two trials; each runs again once, with its number and knobs.
    const args = ['tune', scans, '--study', 'killme', '--epochs', '6', '--trials', '5', '--seed', '3', '--parallel', '2', '--out', join(dir, 'kill.lepton')];
    const { victim, again } = await killMidStudyAndRerun(args, home, 'killme');
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(new RegExp(`resumed \\(\\d+ trials so far; interrupted trials? (#\\d+, )*#${victim.number}(, #\\d+)* queued to run again\\)`));
    const h = await openHome({ dir: home });
    try {
      const ts = await h.registry.listTrials((await h.registry.study('default', 'killme')).id);
      expect(ts.map((t) => t.number)).toEqual([1, 2, 3, 4, 5]);
      expect(ts.every((t) => t.state !== 'running' && t.state !== 'queued')).toBe(true);
      const rerun = ts.find((t) => t.number === victim.number)!;
      expect(rerun.attempt).toBe(2);
      expect(rerun.params).toEqual(victim.params);
      expect(ts.filter((t) => t.attempt === 2).length).toBeLessThanOrEqual(2);
    } finally {
      await h.close();
    }
  }, 120_000);

  it('trials run in isolated workers: one whose worker is killed fails with the reason, the others go on in parallel', async () => {
    const scans = join(dir, 'scans-crash');
    await writeFolder(scans, await fashion());
    process.env[CRASH_ENV] = '2'; // trial 2's worker exits with 137, as the OOM killer's victim would
    let t: Awaited<ReturnType<typeof cli>>;
    try {
      t = await cli(['tune', scans, '--study', 'crashy', '--epochs', '3', '--trials', '4', '--parallel', '2', '--out', join(dir, 'crash.lepton'), '--json']);
    } finally {
      delete process.env[CRASH_ENV];
    }
    expect(t.code, t.stderr).toBe(0);
    const r = JSON.parse(t.stdout) as Result & { leaderboard: { error?: string | null }[] };
    expect(r.counts.total).toBe(4);
    expect(r.counts.failed).toBe(1);
    const crashed = r.leaderboard.find((x) => x.number === 2)!;
    expect(crashed.state).toBe('failed');
    expect(crashed.error).toMatch(/the worker process was killed \(exit code 137\), most likely by the out-of-memory killer/);
    // Trial 2 was proposed while trial 1 (the defaults) ran: the defaults are the first trial only.
    expect(r.leaderboard.filter((x) => Object.keys(x.params).length === 0).map((x) => x.number)).toEqual([1]);
    expect(r.final.trial).toBe(r.best.number);
    expect(r.final.test.rocAuc).toBeGreaterThan(0.8);
    // The kept network is the best trial's own weights, loaded from its worker's file: it predicts.
    const p = await cli(['predict', join(dir, 'crash.lepton'), join(scans, 'trouser'), '--json']);
    expect(p.code, p.stderr).toBe(0);
  }, 90_000);

  it('a worker that cannot load the data ends the study at once with the reason, not one failed trial after another', async () => {
    const data = join(dir, 'engines-broken.csv');
    writeFileSync(data, toCsv(runToFailure(60, 21)));
    process.env[CRASH_ENV] = 'init'; // every worker exits with code 1 when given the data
    let t: Awaited<ReturnType<typeof cli>>;
    try {
      t = await cli(['tune', data, '--target', 'fail_soon', '--sequence-id', 'unit', '--sequence-time', 'cycle', '--seq-len', '10', '--epochs', '2', '--trials', '6', '--parallel', '2', '--study', 'broken', '--json']);
    } finally {
      delete process.env[CRASH_ENV];
    }
    expect(t.code).not.toBe(0);
    expect(t.stderr).toMatch(/a tuning worker stopped while loading the data \(the worker process exited with code 1\)/);
    expect(t.stderr).toMatch(/LEPTON_DEBUG=1/);
    // No trial was recorded as failed, let alone all six: the study stopped at the first sign.
    const show = await cli(['tune', 'show', 'broken', '--json']);
    expect(show.code, show.stderr).toBe(0);
    const shown = JSON.parse(show.stdout) as { counts: { complete: number; failed: number } };
    expect(shown.counts).toMatchObject({ complete: 0, failed: 0 });
  }, 60_000);

  it('a long table of sequences is a seqnet study; options the network study cannot honour are clear errors', async () => {
    const data = join(dir, 'engines.csv');
    writeFileSync(data, toCsv(runToFailure(160, 21)));
    const seq = ['--target', 'fail_soon', '--sequence-id', 'unit', '--sequence-time', 'cycle', '--seq-len', '20', '--epochs', '4'];
    const t = await cli(['tune', data, ...seq, '--trials', '3', '--parallel', '2', '--study', 'engines', '--out', join(dir, 'engines.lepton'), '--register', 'engines', '--alias', 'staging']);
    expect(t.code, t.stderr).toBe(0);
    expect(t.stderr).toMatch(/study engines \(new\): seqnet network, TPE \+ ASHA, seed 42, 2 workers × \d+ threads?, budget 3 trials/);
    expect(t.stderr).toMatch(/^trial 3\/3 /m);
    expect(t.stdout).toMatch(/study engines \(project default\): roc_auc \(maximize\) of 'fail_soon'/);
    expect(t.stdout).toMatch(/kept trial \d \(seqnet\); test split/);
    // --register: the kept network is a recorded run and the next version of the model, like any run's.
    const reg = /registered as engines@1 \(staging\) \(run (\d+)\)/.exec(t.stdout);
    expect(reg, t.stdout).not.toBeNull();
    const h = await openHome({ dir: process.env.LEPTON_HOME! });
    try {
      const v = await h.registry.modelVersion('default', 'engines', 'staging');
      expect(v.version).toBe(1);
      expect(v.runId).toBe(Number(reg![1]));
      expect((v.metrics as { test: { rocAuc: number } }).test.rocAuc).toBeGreaterThan(0.5);
      const run = await h.registry.run('default', v.runId!);
      expect(run.status).toBe('succeeded');
      expect(run.params).toMatchObject({ study: 'engines', model: 'seqnet' });
    } finally {
      await h.close();
    }
    expectCleanError(await cli(['tune', data, ...seq, '--trials', '2', '--parallel', '0']), /--parallel must be a whole number of worker processes above zero/);
    expectCleanError(await cli(['tune', data, ...seq, '--trials', '2', '--parallel', 'two']), /--parallel must be a whole number of worker processes above zero \(got 'two'\)/);
    expectCleanError(await cli(['tune', data, ...seq, '--trials', '2', '--sampler', 'random']), /--sampler random is for the table families; a network study uses TPE/);
    expectCleanError(await cli(['tune', data, ...seq, '--trials', '2', '--early-stop']), /--early-stop is for table studies; a network study runs to its budget/);
    expectCleanError(await cli(['tune', data, ...seq, '--trials', '2', '--register', 'bad name!']), /invalid model name 'bad name!'/);
    expectCleanError(await cli(['tune', data, ...seq, '--trials', '0']), /the trial budget must be a whole number of trials above zero/);
  }, 90_000);

  it('a table with a free-text column is a textnet study, and --register keeps it one', async () => {
    const texts = (await grainRows()).slice(0, 160).map(({ story, amount, y }) => ({ story, grain: (y === 'yes') !== amount > 0 ? 'yes' : 'no' }));
    const data = join(dir, 'texts.csv');
    writeFileSync(data, toCsvText(tableFromRows(texts)));
    const t = await cli(['tune', data, '--target', 'grain', '--seq-len', '32', '--epochs', '2', '--trials', '2', '--study', 'grain', '--out', join(dir, 'grain.lepton'), '--register', 'grainnet', '--json']);
    expect(t.code, t.stderr).toBe(0);
    const r = JSON.parse(t.stdout) as Result & { final: { modelVersion: number; runId: number } };
    expect(r.final.family).toBe('textnet');
    expect(r.counts.total).toBe(2);
    expect(r.final.modelVersion).toBe(1);
  }, 90_000);
});
