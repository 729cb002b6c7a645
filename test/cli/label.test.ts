import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { toTable } from '../../src/data/infer.js';
import { readRaw, readTable } from '../../src/data/readers/index.js';
import { toCsv } from '../../src/data/writers/csv.js';
import { CREDIT, cli, tmp } from '../helpers.js';

const dir = tmp();
const data = join(dir, 'loans.csv');
const model = join(dir, 'loans.lepton');
/** The true class of every credit-g row; rows i % 5 === 0 (200 of them) lose theirs in loans.csv. */
let truth: string[] = [];
let raw: Awaited<ReturnType<typeof readRaw>>;
const hidden = (i: number) => i % 5 === 0;

/** A fresh registry (in `cwd`/.lepton) holding loans@1. */
async function registry(): Promise<string> {
  const cwd = tmp();
  const r = await cli(['data', 'add', 'loans', data], { cwd });
  expect(r.stdout, r.stderr).toMatch(/added loans@1 \(1000 rows, 21 columns\)/);
  return cwd;
}

async function missingLabels(cwd: string, ref: string): Promise<number> {
  const r = await cli(['data', 'inspect', ref, '--json'], { cwd });
  const report = JSON.parse(r.stdout) as { rows: number; columns: { name: string; missingShare: number }[] };
  return Math.round(report.columns.find((c) => c.name === 'class')!.missingShare * report.rows);
}

/** The stored table of a dataset version. */
async function stored(cwd: string, version: number) {
  const list = JSON.parse((await cli(['data', 'list', '--json'], { cwd })).stdout) as { version: number; hash: string }[];
  return readTable(join(cwd, '.lepton', 'datasets', `${list.find((v) => v.version === version)!.hash}.csv`));
}

beforeAll(async () => {
  raw = await readRaw(CREDIT);
  const c = raw.names.indexOf('class');
  truth = raw.cells[c]!.map(String);
  writeFileSync(data, toCsv(toTable({ ...raw, cells: raw.cells.map((col, j) => (j === c ? col.map((v, i) => (hidden(i) ? null : v)) : col)) })));
  // A small, fast model: logistic only, trained on the 800 labelled rows.
  const r = await cli(['train', data, '--target', 'class', '--model', 'logistic', '-q', '--out', model]);
  expect(r.code, r.stderr).toBe(0);
});

describe('cli: label queue → fill → import', () => {
  it('queues the most uncertain unlabelled rows, imports the filled file as a new version, and validates it', async () => {
    const cwd = await registry();
    expect(await missingLabels(cwd, 'loans@1')).toBe(200);
    const queueFile = join(cwd, 'queue.csv');
    const q = await cli(['label', 'queue', 'loans', '--model', model, '--target', 'class', '--batch', '15', '--out', queueFile], { cwd });
    expect(q.code, q.stderr).toBe(0);
    expect(q.stdout).toMatch(/wrote 15 of 200 unlabelled rows of loans@1 to .*queue.csv, most uncertain first \(margin\)/);
    expect(q.stdout).toMatch(/lepton label import loans@1 --labels .*queue.csv --target class/);
    const lines = readFileSync(queueFile, 'utf8').trim().split('\n');
    expect(lines[0]).toMatch(/^row,label,uncertainty,predicted,P\((good|bad)\),P\((good|bad)\),checking_status,duration,/);
    expect(lines[0]).not.toMatch(/,class\b/);
    expect(lines).toHaveLength(16);
    const rows = lines.slice(1).map((l) => l.split(','));
    const rowNumbers = rows.map((r) => Number(r[0]));
    for (const n of rowNumbers) expect(hidden(n - 1), `row ${n} had a label`).toBe(true);
    const uncertainties = rows.map((r) => Number(r[2]));
    expect([...uncertainties].sort((a, b) => b - a)).toEqual(uncertainties);
    for (const r of rows) {
      expect(r[1]).toBe('');
      expect(['good', 'bad']).toContain(r[3]);
      expect(Number(r[4]) + Number(r[5])).toBeCloseTo(1, 3);
    }

    // People fill in 12 of the 15 labels (with the true classes) and leave 3 empty.
    const filled = join(cwd, 'filled.csv');
    writeFileSync(filled, `${[lines[0], ...lines.slice(1).map((l, i) => (i < 12 ? l.replace(/^(\d+),,/, (_, n: string) => `${n},${truth[Number(n) - 1]},`) : l))].join('\n')}\n`);
    const imp = await cli(['label', 'import', 'loans', '--labels', filled, '--target', 'class'], { cwd });
    expect(imp.code, imp.stderr).toBe(0);
    expect(imp.stdout).toMatch(/^loans@2: 12 rows labelled from filled.csv \(from loans@1\); 3 left empty$/m);
    const show = (await cli(['data', 'show', 'loans@2'], { cwd })).stdout;
    expect(show).toMatch(/derived from: loans@1\ntransforms: labels imported from filled.csv: 12 rows labelled/);
    expect(await missingLabels(cwd, 'loans@2')).toBe(188);
    const v2 = await stored(cwd, 2);
    for (const n of rowNumbers.slice(0, 12)) expect(v2.cell('class', n - 1)).toBe(truth[n - 1]);
    for (const n of rowNumbers.slice(12)) expect(v2.cell('class', n - 1)).toBeNull();

    // The same file again changes nothing; a file with mistakes records nothing and names every line.
    const again = await cli(['label', 'import', 'loans@2', '--labels', filled, '--target', 'class', '--json'], { cwd });
    expect(JSON.parse(again.stdout)).toMatchObject({ dataset: null, labelled: 0, unchanged: 12, empty: 3 });
    const wrong = join(cwd, 'wrong.csv');
    writeFileSync(wrong, `row,label\n${rowNumbers[12]},maybe\n5000,good\n${rowNumbers[0]},${truth[rowNumbers[0]! - 1] === 'good' ? 'bad' : 'good'}\n`);
    const bad = await cli(['label', 'import', 'loans', '--labels', wrong, '--target', 'class'], { cwd });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/3 problems in .*wrong.csv; nothing was recorded/);
    expect(bad.stderr).toMatch(new RegExp(`wrong.csv line 2: row ${rowNumbers[12]}: 'maybe' is not a known label of 'class'; the labels are '(good|bad)', '(good|bad)'`));
    expect(bad.stderr).toMatch(/wrong.csv line 3: row '5000' does not exist \(loans@2 has rows 1 to 1000\)/);
    expect(bad.stderr).toMatch(new RegExp(`wrong.csv line 4: row ${rowNumbers[0]} already has the label`));
    expect(bad.stderr).toMatch(/fix: /);
    expect(JSON.parse((await cli(['data', 'list', '--json'], { cwd })).stdout)).toHaveLength(2);

    // The queue of the new version no longer holds the labelled rows.
    const next = JSON.parse((await cli(['label', 'queue', 'loans@2', '--model', model, '--target', 'class', '--batch', '5', '--strategy', 'entropy', '--json'], { cwd })).stdout) as { unlabelled: number; strategy: string; queue: { row: number; probabilities: Record<string, number> }[] };
    expect(next).toMatchObject({ unlabelled: 188, strategy: 'entropy' });
    expect(next.queue).toHaveLength(5);
    for (const e of next.queue) expect(rowNumbers.slice(0, 12)).not.toContain(e.row);
  });
});

describe('cli: label queue --interactive', () => {
  it('shows each row and the guess, reads labels from stdin, and records what was labelled', async () => {
    const cwd = await registry();
    // enter = the guess; a label; a typo asked again; skip; stop.
    const r = await cli(['label', 'queue', 'loans', '--model', model, '--target', 'class', '--batch', '10', '--interactive'], { cwd, stdin: '\nbad\nmaybe\ngood\ns\nq\n' });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/10 of 200 unlabelled rows in loans@1, most uncertain first \(margin\)/);
    expect(r.stdout).toMatch(/\[1\/10\] row \d+ {2}uncertainty 0\.\d{3} \(margin\)\n {2}checking_status {9}\S/);
    expect(r.stdout).toMatch(/\n {2}credit_amount {11}\d+\n/);
    expect(r.stdout).toMatch(/model guess: (good|bad) {3}1\) \w+ 0\.\d{3} {2}2\) \w+ 0\.\d{3}/);
    expect(r.stdout).toMatch(/'maybe' is not a label; type one of/);
    expect(r.stdout).toMatch(/\[5\/10\]/);
    expect(r.stdout).not.toMatch(/\[6\/10\]/);
    expect(r.stdout).toMatch(/loans@2: 3 rows labelled \(\d as the model guessed\), 1 skipped/);
    expect((await cli(['data', 'show', 'loans@2'], { cwd })).stdout).toMatch(/transforms: labelled interactively \(active learning, margin uncertainty, model loans.lepton\): 3 rows labelled/);
    expect(await missingLabels(cwd, 'loans@2')).toBe(197);

    // The end of input stops and saves too; only skips record nothing.
    const eof = await cli(['label', 'queue', 'loans@2', '--model', model, '--target', 'class', '--interactive', '--json'], { cwd, stdin: '\n\n' });
    expect(eof.code, eof.stderr).toBe(0);
    expect(JSON.parse(eof.stdout)).toMatchObject({ dataset: 'loans@3', from: 'loans@2', labelled: 2, skipped: 0, stopped: true });
    expect(eof.stderr).toMatch(/model guess/); // with --json the conversation goes to stderr
    const skips = await cli(['label', 'queue', 'loans@3', '--model', model, '--target', 'class', '--batch', '2', '--interactive'], { cwd, stdin: 's\ns\n' });
    expect(skips.stdout).toMatch(/nothing labelled; no version recorded \(2 skipped\)/);
    expect(JSON.parse((await cli(['data', 'list', '--json'], { cwd })).stdout)).toHaveLength(3);
  });
});

describe('cli: label apply', () => {
  it('labels rows with rules into a new version and prints the statistics', async () => {
    const cwd = await registry();
    const rules = join(cwd, 'rules.yaml');
    writeFileSync(
      rules,
      `column: class
rules:
  - name: large_loan
    when: credit_amount > 10000
    then: bad
  - name: young_consumer
    when: purpose in ("radio/tv", "education") and age < 25
    then: good
  - when: age < 25 and credit_amount > 5000
    then: bad
`,
    );
    // Independently: hidden rows that any rule matches.
    const cell = (name: string, i: number) => String(raw.cells[raw.names.indexOf(name)]![i]);
    let expected = 0;
    for (let i = 0; i < truth.length; i++) {
      if (!hidden(i)) continue;
      const amount = Number(cell('credit_amount', i));
      const age = Number(cell('age', i));
      if (amount > 10000 || (['radio/tv', 'education'].includes(cell('purpose', i)) && age < 25) || (age < 25 && amount > 5000)) expected++;
    }
    expect(expected).toBeGreaterThan(5);

    const dry = JSON.parse((await cli(['label', 'apply', 'loans', '--rules', rules, '--dry-run', '--json'], { cwd })).stdout) as { dataset: string | null; eligible: number; labelled: number; unlabelled: number };
    expect(dry).toMatchObject({ dataset: null, eligible: 200, labelled: expected, unlabelled: 200 - expected });
    const r = await cli(['label', 'apply', 'loans', '--rules', rules], { cwd });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^loans@2: ${expected} rows labelled in 'class' \\(from loans@1\\)`));
    expect(r.stdout).toMatch(/rule\s+label\s+matches\s+share\s+labelled\s+overlaps\s+conflicts\s+agrees/);
    expect(r.stdout).toMatch(/large_loan\s+bad\s+\d+\s+\d+\.\d%/);
    expect(r.stdout).toMatch(new RegExp(`coverage: ${expected} of 200 eligible rows`));
    expect((await cli(['data', 'show', 'loans@2'], { cwd })).stdout).toMatch(new RegExp(`derived from: loans@1\\ntransforms: labelling functions rules.yaml: ${expected} rows labelled`));
    expect(await missingLabels(cwd, 'loans@2')).toBe(200 - expected);

    writeFileSync(join(cwd, 'typo.yaml'), 'column: class\nrules:\n  - name: big_foreign\n    when: amout > 10000\n    then: bad\n');
    const typo = await cli(['label', 'apply', 'loans', '--rules', join(cwd, 'typo.yaml')], { cwd });
    expect(typo.code).toBe(1);
    expect(typo.stderr).toMatch(/error: rule 'big_foreign': unknown column 'amout' at position 1; the columns are 'checking_status', 'duration'/);
    expect(typo.stderr).toMatch(/\n {4}amout > 10000\n {4}\^\n/);
    writeFileSync(join(cwd, 'types.yaml'), 'column: class\nrules:\n  - when: purpose = 3 or age > 20\n    then: bad\n');
    expect((await cli(['label', 'apply', 'loans', '--rules', join(cwd, 'types.yaml')], { cwd })).stderr).toMatch(/rule 1: column 'purpose' is categorical; it cannot be compared with the number 3 at position 11/);
  });
});

describe('cli: label errors and help', () => {
  it('explains a model for another target, a bad strategy, and teaches in --help', async () => {
    const cwd = await registry();
    const other = await cli(['label', 'queue', 'loans', '--model', model, '--target', 'purpose'], { cwd });
    expect(other.code).toBe(1);
    expect(other.stderr).toMatch(/predicts 'class', not 'purpose'\n {2}fix: pass --target class/);
    expect((await cli(['label', 'queue', 'loans', '--model', model, '--target', 'class', '--strategy', 'random'], { cwd })).stderr).toMatch(/unknown strategy 'random'\n {2}fix: use --strategy margin, entropy, least-confident/);
    const plain = await cli(['label', 'queue', 'loans', '--model', model, '--target', 'class', '--batch', '3'], { cwd });
    expect(plain.stdout).toMatch(/3 of 200 unlabelled rows of loans@1, most uncertain first \(margin\)\nrow\s+uncertainty\s+guess\s+P\(/);
    const help = await cli(['label', '--help']);
    expect(help.stdout).toMatch(/apply[\s\S]*queue[\s\S]*import/);
    expect((await cli(['label', 'queue', '--help'])).stdout).toMatch(/Examples:\n\s+\$ lepton label queue loans --model loans.lepton --target class --out queue.csv/);
    expect((await cli(['label', 'apply', '--help'])).stdout).toMatch(/first rule that matches a row gives\s+its label/);
  });
});
