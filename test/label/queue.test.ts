import { describe, expect, it } from 'vitest';
import type { RawTable } from '../../src/data/infer.js';
import { tableFromRows } from '../../src/data/readers/index.js';
import { toCsv } from '../../src/data/writers/csv.js';
import { labelChoices, labelInteractively, queueTable, readLabelFile, type Queue } from '../../src/label/queue.js';

const data = () =>
  tableFromRows([
    { age: 30, purpose: 'car', class: 'good' },
    { age: 22, purpose: 'radio/tv', class: null },
    { age: 45, purpose: 'education', class: null },
    { age: 51, purpose: 'car', class: 'bad' },
    { age: 19, purpose: 'car', class: null },
  ]);

const file = (rows: string[][], names = ['row', 'label']): RawTable => ({
  names,
  cells: names.map((_, c) => rows.map((r) => r[c] ?? '')),
  lines: Int32Array.from(rows, (_, i) => i + 2),
  source: 'filled.csv',
});

const queue: Queue = {
  strategy: 'margin',
  unlabelled: 3,
  entries: [
    { row: 3, uncertainty: 0.98, label: 'good', probabilities: { good: 0.51, bad: 0.49 } },
    { row: 2, uncertainty: 0.6, label: 'bad', probabilities: { good: 0.3, bad: 0.7 } },
    { row: 5, uncertainty: 0.2, label: 'good', probabilities: { good: 0.9, bad: 0.1 } },
  ],
};

describe('label queue: file out, labels in', () => {
  it('writes row, an empty label to fill, uncertainty, guess, probabilities, then the row', () => {
    const csv = toCsv(queueTable(queue, data(), 'class', ['good', 'bad'])).trim().split('\n');
    expect(csv).toEqual(['row,label,uncertainty,predicted,P(good),P(bad),age,purpose', '3,,0.98,good,0.51,0.49,45,education', '2,,0.6,bad,0.3,0.7,22,radio/tv', '5,,0.2,good,0.9,0.1,19,car']);
  });

  it('reads filled labels; empty ones are skipped and same labels count as unchanged', () => {
    const t = data();
    const r = readLabelFile(file([['3', 'bad'], ['2', ''], ['5', ' good '], ['1', 'good']]), t, 'class', { classes: labelChoices(t, 'class') });
    expect(r.labels[2]).toBe('bad');
    expect(r.labels[4]).toBe('good');
    expect(r.labels[1]).toBeUndefined();
    expect(r).toMatchObject({ labelled: 2, unchanged: 1, empty: 1, warnings: [] });
  });

  it('lists every problem with its line and row, and records nothing', () => {
    const t = data();
    const bad = () => readLabelFile(file([['9', 'good'], ['x', 'good'], ['3', 'Good'], ['5', 'meh'], ['2', 'good'], ['2', 'bad'], ['4', 'good']]), t, 'class', { classes: ['good', 'bad'] });
    expect(bad).toThrow(/^6 problems in filled.csv; nothing was recorded:/);
    expect(bad).toThrow(/filled.csv line 2: row '9' does not exist \(the dataset has rows 1 to 5\)/);
    expect(bad).toThrow(/filled.csv line 3: row 'x' does not exist/);
    expect(bad).toThrow(/filled.csv line 4: row 3: 'Good' is not a known label of 'class' \(did you mean 'good'\?\)/);
    expect(bad).toThrow(/filled.csv line 5: row 5: 'meh' is not a known label of 'class'; the labels are 'good', 'bad'/);
    expect(bad).toThrow(/filled.csv line 7: row 2 is labelled again, differently \('bad'; it was 'good' on line 6\)/);
    expect(bad).toThrow(/filled.csv line 8: row 4 already has the label 'bad' \(the file says 'good'\)/);
    // Opt-ins: new classes and replacing labels, each reported as a warning.
    const ok = readLabelFile(file([['5', 'meh'], ['4', 'good']]), t, 'class', { classes: ['good', 'bad'], allowNew: true, overwrite: true });
    expect(ok.labelled).toBe(2);
    expect(ok.warnings).toEqual(["filled.csv line 2: row 5: new label 'meh'", "filled.csv line 3: row 4: 'bad' replaced by 'good'"]);
  });

  it('catches a queue made from another version by comparing the row values it shows', () => {
    const t = data();
    const f = file([['2', 'good', '22', 'radio/tv'], ['3', 'bad', '44', 'education']], ['row', 'label', 'age', 'purpose']);
    expect(() => readLabelFile(f, t, 'class', { classes: ['good', 'bad'] })).toThrow(/line 3: row 3 has age = '44' in the file but '45' in the dataset \(was the queue made from another version\?\)/);
    expect(() => readLabelFile(file([['1', 'x']], ['line', 'label']), t, 'class', { classes: [] })).toThrow(/filled.csv needs the columns 'row' and 'label'; it has 'line', 'label'/);
    // A column named like the target works as the label column.
    expect(readLabelFile(file([['2', 'good']], ['row', 'class']), t, 'class', { classes: ['good', 'bad'] }).labelled).toBe(1);
  });
});

describe('label queue: interactive', () => {
  const run = async (answers: string[]) => {
    const out: string[] = [];
    let i = 0;
    const r = await labelInteractively(queue, data(), 'class', ['good', 'bad'], { read: async () => (i < answers.length ? answers[i++]! : null), write: (s) => void out.push(s) });
    return { ...r, text: out.join('') };
  };

  it('enter accepts the guess, a name or number gives a label, s skips, q stops', async () => {
    const r = await run(['', 'nope', '1', 'q']);
    expect([...r.labels]).toEqual([
      [2, 'good'],
      [1, 'good'],
    ]);
    expect(r).toMatchObject({ agreed: 1, skipped: 0, stopped: true });
    expect(r.text).toMatch(/\[1\/3\] row 3 {2}uncertainty 0.980 \(margin\)\n {2}age {6}45\n {2}purpose {2}education\nmodel guess: good {3}1\) good 0.510 {2}2\) bad 0.490/);
    expect(r.text).toMatch(/'nope' is not a label; type one of good, bad, its number, enter, s or q/);
    expect(r.text).not.toMatch(/class {2}/); // the target itself is not shown
    const s = await run(['BAD', 's', 's']);
    expect([...s.labels]).toEqual([[2, 'bad']]);
    expect(s).toMatchObject({ agreed: 0, skipped: 2, stopped: false });
    const eof = await run(['']);
    expect(eof).toMatchObject({ agreed: 1, stopped: true });
  });
});
