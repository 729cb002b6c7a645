import { copyFileSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { encodeSafetensors } from '../../src/engine/safetensors.js';
import { CANCER, CREDIT, cli, expectCleanError, tmp } from '../helpers.js';

const dir = tmp();
const model = join(dir, 'credit.lepton');
const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

/** A user-facing failure: non-zero exit, a message matching `pattern`, a fix, no stack trace. */

describe('cli: train → eval → predict as a user runs it', () => {
  beforeAll(async () => {
    const r = await cli(['train', CREDIT, '--target', 'class', '--out', model]);
    // Not a terminal: one progress line per candidate on stderr instead of bars.
    expect(r.stderr).toMatch(/logistic\s+done in [\d.]+ s/);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Candidates \(validation split, 150 rows\)/);
    expect(r.stdout).toMatch(/logistic[\s\S]*mlp[\s\S]*xgboost[\s\S]*ensemble/);
    expect(r.stdout).toMatch(/Confusion matrix/);
    expect(r.stdout).toMatch(/roc auc\s+0\.\d{4}/);
    expect(existsSync(model)).toBe(true);
  });

  it('train --json prints machine-readable results and writes the default file name', async () => {
    const out = join(dir, 'bc.lepton');
    const r = await cli(['train', CANCER, '--target', 'diagnosis', '--model', 'xgboost', '--json', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout) as { test: { rocAuc: number }; leaderboard: { name: string }[] };
    expect(j.test.rocAuc).toBeGreaterThan(0.97);
    expect(j.leaderboard.map((e) => e.name)).toEqual(['xgboost']);
    const d = await cli(['train', CANCER, '--target', 'diagnosis', '--model', 'logistic', '-q'], { cwd: dir });
    expect(d.code, d.stderr).toBe(0);
    expect(existsSync(join(dir, 'breast-cancer-wisconsin.lepton'))).toBe(true);
  });

  it('eval prints the report, and --json its numbers', async () => {
    const text = await cli(['eval', model, CREDIT]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/class\s+precision\s+recall\s+f1\s+support/);
    expect(text.stdout).toMatch(/good\s+0\.\d{3}\s+0\.\d{3}\s+0\.\d{3}\s+700/);
    expect(text.stdout).toMatch(/weighted avg/);
    const r = await cli(['eval', model, CREDIT, '--json']);
    const j = JSON.parse(r.stdout) as { accuracy: number; rocAuc: number; logLoss: number; confusion: number[][] };
    expect(j.rocAuc).toBeGreaterThan(0.75);
    expect(j.confusion.flat().reduce((s, v) => s + v, 0)).toBe(1000);
  });

  it('predict takes a file, one JSON row, an array of rows, or stdin; unknown categories are fine', async () => {
    const csv = file('rows.csv', `checking_status,duration,credit_history,purpose,credit_amount,savings_status,employment,installment_commitment,personal_status,other_parties,residence_since,property_magnitude,age,other_payment_plans,housing,existing_credits,job,num_dependents,own_telephone,foreign_worker\n<0,6,critical/other existing credit,radio/tv,1169,no known savings,>=7,4,male single,none,4,real estate,67,none,own,2,skilled,1,yes,yes\n`);
    const f = await cli(['predict', model, csv]);
    expect(f.code, f.stderr).toBe(0);
    expect(f.stdout).toMatch(/row\s+label\s+P\(good\)\s+P\(bad\)/);
    const row = { checking_status: '<0', duration: 48, credit_history: 'existing paid', purpose: 'time machine', credit_amount: 5951, savings_status: '<100', employment: '1<=X<4', installment_commitment: 2, personal_status: 'female div/dep/mar', other_parties: 'none', residence_since: 2, property_magnitude: 'real estate', age: 22, other_payment_plans: 'none', housing: 'own', existing_credits: 1, job: 'skilled', num_dependents: 1, own_telephone: 'none', foreign_worker: 'yes' };
    const one = await cli(['predict', model, JSON.stringify(row), '--json']);
    expect(one.code, one.stderr).toBe(0);
    const [p] = JSON.parse(one.stdout) as { label: string; probabilities: Record<string, number> }[];
    expect(['good', 'bad']).toContain(p!.label);
    expect(p!.probabilities.good! + p!.probabilities.bad!).toBeCloseTo(1, 5);
    const many = await cli(['predict', model, '-', '--json'], { stdin: JSON.stringify([row, { ...row, age: null }]) });
    expect(many.code, many.stderr).toBe(0);
    expect(JSON.parse(many.stdout)).toHaveLength(2);
  });

  it('predict: a missing column, NaN or Infinity is an error naming it', async () => {
    const missing = await cli(['predict', model, '{"duration": 12}']);
    expectCleanError(missing, /input is missing columns 'checking_status', 'credit_history'.* that the model needs/);
    const nanCsv = file('nan.csv', 'checking_status,duration\n<0,NaN\n');
    expectCleanError(await cli(['predict', model, nanCsv]), /nan.csv line 2, column 'duration': 'NaN' is not a finite number/);
    expectCleanError(await cli(['predict', model, '[{"duration": "Infinity"}]']), /row 1, column 'duration': 'Infinity' is not a finite number/);
    expectCleanError(await cli(['predict', model, '{"duration": 12,']), /the input is not valid JSON/);
  });

  it('cv reports mean ± std for each metric, and --json', async () => {
    const r = await cli(['cv', CANCER, '--target', 'diagnosis', '--folds', '3', '--model', 'logistic']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/rocAuc\s+0\.9\d{3}\s+0\.\d{4}/);
    expect(r.stderr).toMatch(/fold 3\/3/);
    const j = await cli(['cv', CANCER, '--target', 'diagnosis', '--folds', '3', '--model', 'logistic', '--json']);
    expect((JSON.parse(j.stdout) as { folds: unknown[] }).folds).toHaveLength(3);
  });
});

describe('cli: bad input gets a clear message and a non-zero exit', () => {
  it('missing file', async () => {
    expectCleanError(await cli(['train', join(dir, 'nothing.csv'), '--target', 'y']), /file not found: '.*nothing.csv'/);
  });

  it('malformed CSV line', async () => {
    const p = file('broken.csv', 'a,b,y\n1,2,x\n3,4\n5,6,z\n');
    expectCleanError(await cli(['train', p, '--target', 'y']), /broken.csv line 3 has a different number of fields than the header/);
  });

  it('target column absent lists the columns', async () => {
    expectCleanError(await cli(['train', CANCER, '--target', 'Diagnosis']), /target column 'Diagnosis' not found in .*; the columns are 'mean_radius', .*'diagnosis'/);
  });

  it('target with one class', async () => {
    const rows = Array.from({ length: 30 }, (_, i) => `${i},${i * 2},yes`).join('\n');
    expectCleanError(await cli(['train', file('one.csv', `a,b,y\n${rows}\n`), '--target', 'y']), /target 'y' has only one class \('yes'\)/);
  });

  it('all-empty column', async () => {
    const rows = Array.from({ length: 30 }, (_, i) => `${i},,${i % 2 ? 'a' : 'b'}`).join('\n');
    const r = await cli(['train', file('empty.csv', `a,notes,y\n${rows}\n`), '--target', 'y']);
    expectCleanError(r, /column 'notes' is empty in every row/);
    expect(r.stderr).toMatch(/--drop notes/);
  });

  it('wrong model file and a model from a newer format', async () => {
    expectCleanError(await cli(['predict', CREDIT, '{}']), /credit-g.arff is not a Lepton model file/);
    const newer = join(dir, 'future.lepton');
    writeFileSync(newer, encodeSafetensors(new Map(), { 'lepton.format': '99', 'lepton.manifest': '{}' }));
    expectCleanError(await cli(['eval', newer, CREDIT]), /uses model format 99, newer than this Lepton .* reads \(format 3\)/);
    const other = join(dir, 'other.safetensors');
    writeFileSync(other, encodeSafetensors(new Map(), { format: 'pt' }));
    expectCleanError(await cli(['predict', other, '{}']), /not a Lepton model \(no lepton.format\)/);
  });

  it('unknown model family and bad option values', async () => {
    expectCleanError(await cli(['train', CREDIT, '--target', 'class', '--model', 'svm']), /unknown model 'svm'/);
    expectCleanError(await cli(['cv', CREDIT, '--target', 'class', '--task', 'ranking']), /unknown task 'ranking'/);
    expectCleanError(await cli(['train', CREDIT, '--target', 'class', '--class-weights', 'heavy']), /unknown class weighting 'heavy'/);
    const r = await cli(['train', CREDIT, '--target', 'class', '--epochs', 'many']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/--epochs must be a non-negative integer \(got 'many'\)/);
  });

  it('--help teaches with examples', async () => {
    const r = await cli(['train', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Examples:\n\s+\$ lepton train credit-g.arff --target class/);
    expect(r.stdout).toMatch(/--model <model>\s+model family: auto, logistic, mlp, xgboost/);
  });
});

describe('cli: demo (the main job)', () => {
  it('runs end to end on bundled credit-g', async () => {
    const work = tmp();
    copyFileSync(CREDIT, join(work, 'ignored.arff'));
    const r = await cli(['demo', '--out-dir', join(work, 'out')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Evaluation on 150 held-out applicants/);
    expect(r.stdout).toMatch(/Reloaded it and scored three applicants/);
    expect(existsSync(join(work, 'out', 'credit-g.lepton'))).toBe(true);
  });
});
