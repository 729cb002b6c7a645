import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, expectCleanError, tmp } from '../helpers.js';
import { runToFailure, toCsv } from '../data/run-to-failure.js';

describe('cli: numeric sequences (a long table of sensor readings per unit and cycle)', () => {
  it('trains a GRU with --sequence-id/--sequence-time, predicts one row per unit, evaluates unseen units', async () => {
    const cwd = tmp();
    const data = join(cwd, 'engines.csv');
    const unseen = join(cwd, 'engines-unseen.csv');
    writeFileSync(data, toCsv(runToFailure(300, 11)));
    writeFileSync(unseen, toCsv(runToFailure(120, 12)));
    const model = join(cwd, 'engines.lepton');
    const t = await cli(['train', data, '--target', 'fail_soon', '--sequence-id', 'unit', '--sequence-time', 'cycle', '--seq-len', '40', '--out', model], { cwd });
    expect(t.code, t.stderr).toBe(0);
    expect(t.stderr).toMatch(/300 sequences of 'unit' by 'cycle', 7 sensors \(setting, s1, s2, s3, s4, s5, s6\), the last 40 steps each/);
    expect(t.stderr).toMatch(/training sequences are longer than 40 steps/);
    expect(t.stdout).toMatch(/seqnet/);

    // Three units' rows, shuffled: one prediction per unit, named by it.
    const rows = runToFailure(3, 13).reverse();
    const p = await cli(['predict', model, JSON.stringify(rows), '--json'], { cwd });
    expect(p.code, p.stderr).toBe(0);
    const preds = JSON.parse(p.stdout) as { unit: string; label: string; probabilities: Record<string, number> }[];
    expect(preds.map((x) => x.unit)).toEqual(['3', '2', '1']);
    expect(Object.keys(preds[0]!.probabilities).sort()).toEqual(['0', '1']);
    const table = await cli(['predict', model, unseen], { cwd });
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/^unit\s+label\s+P\(0\)\s+P\(1\)/);
    expect(table.stdout.trim().split('\n')).toHaveLength(1 + 120);

    const e = await cli(['eval', model, unseen, '--json'], { cwd });
    expect(e.code, e.stderr).toBe(0);
    const report = JSON.parse(e.stdout) as { n: number; rocAuc: number };
    expect(report.n).toBe(120);
    expect(report.rocAuc).toBeGreaterThan(0.8);

    expectCleanError(await cli(['train', data, '--target', 'fail_soon', '--sequence-id', 'unit'], { cwd }), /sequences need both --sequence-id and --sequence-time/);
    expectCleanError(await cli(['train', data, '--target', 'fail_soon', '--sequence-id', 'unit', '--sequence-time', 'cycle', '--model', 'xgboost'], { cwd }), /--model xgboost is for single rows; sequences train a gru or an lstm/);
    expectCleanError(await cli(['train', data, '--target', 'fail_soon', '--sequence-id', 'unit', '--sequence-time', 'when'], { cwd }), /column 'when' not found/);
  }, 60_000);

  it('AutoML with --trials: searches the cell, learning rate, weight decay and batch size; --model lstm fixes the cell', async () => {
    const cwd = tmp();
    const data = join(cwd, 'engines.csv');
    writeFileSync(data, toCsv(runToFailure(240, 21)));
    const model = join(cwd, 'auto.lepton');
    const base = ['train', data, '--target', 'fail_soon', '--sequence-id', 'unit', '--sequence-time', 'cycle', '--seq-len', '30', '--epochs', '12'];
    const t = await cli([...base, '--trials', '4', '--out', model, '--json'], { cwd });
    expect(t.code, t.stderr).toBe(0);
    const r = JSON.parse(t.stdout) as { search: { family: string; counts: { total: number; complete: number; pruned: number }; leaderboard: { number: number; params: Record<string, unknown>; epochs: number }[]; best: { number: number; value: number } }; test: { rocAuc: number } };
    expect(r.search.family).toBe('seqnet');
    expect(r.search.counts.total).toBe(4);
    expect(r.search.counts.complete + r.search.counts.pruned).toBe(4);
    const sampled = r.search.leaderboard.filter((x) => x.number > 0);
    for (const x of sampled) expect(Object.keys(x.params).sort()).toEqual(['batchSize', 'cell', 'lr', 'weightDecay']);
    expect(r.search.leaderboard.every((x) => x.epochs <= 12)).toBe(true); // --epochs stays fixed
    expect(r.test.rocAuc).toBeGreaterThan(0.75);
    const p = await cli(['predict', model, JSON.stringify(runToFailure(2, 22)), '--json'], { cwd });
    expect(p.code, p.stderr).toBe(0);
    expect((JSON.parse(p.stdout) as unknown[]).length).toBe(2);

    const lstm = await cli([...base, '--trials', '3', '--model', 'lstm', '--out', join(cwd, 'lstm.lepton')], { cwd });
    expect(lstm.code, lstm.stderr).toBe(0);
    expect(lstm.stdout).toMatch(/AutoML leaderboard \(seqnet, validation split \d+ rows\)/);
    expect(lstm.stdout).not.toMatch(/cell=/); // the cell is fixed, not searched
    expect(lstm.stderr).toMatch(/seqnet trial 2: /);
    expectCleanError(await cli([...base, '--trials', '0'], { cwd }), /trial budget must be a whole number of trials above zero/);
  }, 90_000);
});
