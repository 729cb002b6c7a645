import { describe, expect, it } from 'vitest';
import { tableFromRows } from '../../src/data/readers/index.js';
import { fitSequenceScaler, groupSequences, lastLabels, sensorColumns, sequenceFeatures } from '../../src/data/sequences.js';
import { LeptonError } from '../../src/errors.js';

// Two machines, rows out of time order; m2 has a tie at t=2 (file order kept) and a missing reading.
const rows = [
  { machine: 'm1', t: 3, temp: 30, vib: 1, label: 'ok' },
  { machine: 'm2', t: 2, temp: 5, vib: null, label: 'ok' },
  { machine: 'm1', t: 1, temp: 10, vib: 3, label: 'ok' },
  { machine: 'm2', t: 1, temp: 1, vib: 2, label: null },
  { machine: 'm1', t: 2, temp: 20, vib: 2, label: 'fail' },
  { machine: 'm2', t: 2, temp: 6, vib: 4, label: null },
];

describe('data: numeric sequences from a long table', () => {
  it('groups rows by id (first-seen order) and sorts each by time, ties in file order', () => {
    const g = groupSequences(tableFromRows(rows), 'machine', 't');
    expect(g.ids).toEqual(['m1', 'm2']);
    expect(g.rows.map((r) => Array.from(r))).toEqual([
      [2, 4, 0],
      [3, 1, 5],
    ]);
  });

  it('sensors default to the numeric columns but id, time and target', () => {
    expect(sensorColumns(tableFromRows(rows), ['machine', 't', 'label'])).toEqual(['temp', 'vib']);
  });

  it('labels each id by its last labelled row in time order', () => {
    const table = tableFromRows(rows);
    expect(lastLabels(table, groupSequences(table, 'machine', 't').rows, 'label')).toEqual(['ok', 'ok']);
    const none = tableFromRows(rows.map((r) => ({ ...r, label: r.machine === 'm2' ? null : r.label })));
    expect(lastLabels(none, groupSequences(none, 'machine', 't').rows, 'label')).toEqual(['ok', null]);
  });

  it('standardises on the given (training) ids only, over the steps the network reads', () => {
    const table = tableFromRows(rows);
    const g = groupSequences(table, 'machine', 't');
    const s = fitSequenceScaler(table, [g.rows[0]!], ['temp', 'vib'], 2);
    // m1's last two steps: temp 20, 30; vib 2, 1.
    expect(s.mean).toEqual([25, 1.5]);
    expect(s.std).toEqual([5, 0.5]);
  });

  it('keeps the last seqLen steps from step 0, then pads (flag 0); a missing reading is the mean (0)', () => {
    const table = tableFromRows(rows);
    const g = groupSequences(table, 'machine', 't');
    const scaler = { mean: [0, 0], std: [10, 1] };
    const { x, truncated } = sequenceFeatures(table, g.rows, ['temp', 'vib'], scaler, 4);
    expect(truncated).toBe(0);
    expect(Array.from(x.subarray(0, 12))).toEqual([1, 3, 1, 2, 2, 1, 3, 1, 1, 0, 0, 0]);
    expect(Array.from(x.subarray(12, 24)).map((v) => Math.round(v * 100) / 100)).toEqual([0.1, 2, 1, 0.5, 0, 1, 0.6, 4, 1, 0, 0, 0]);
    const cut = sequenceFeatures(table, g.rows, ['temp', 'vib'], scaler, 2);
    expect(cut.truncated).toBe(2);
    expect(Array.from(cut.x.subarray(0, 6))).toEqual([2, 2, 1, 3, 1, 1]); // m1's steps t=2, t=3
  });

  it('names bad input: a text time column, a missing id, a missing time, one column for both, a text sensor', () => {
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(LeptonError);
        return `${(e as LeptonError).code}: ${(e as LeptonError).message}`;
      }
      return 'no error';
    };
    expect(code(() => groupSequences(tableFromRows(rows.map((r) => ({ ...r, t: `day ${r.t}` }))), 'machine', 't'))).toMatch(/E_COLUMN: time column 't' holds categorical values/);
    expect(code(() => groupSequences(tableFromRows([...rows, { machine: null, t: 4, temp: 1, vib: 1, label: 'ok' }]), 'machine', 't'))).toMatch(/E_VALUE: row 7: no value in id column 'machine'/);
    expect(code(() => groupSequences(tableFromRows([...rows, { machine: 'm3', t: null, temp: 1, vib: 1, label: 'ok' }]), 'machine', 't'))).toMatch(/E_VALUE: row 7: no value in time column 't'/);
    expect(code(() => groupSequences(tableFromRows(rows), 't', 't'))).toMatch(/E_OPTION: the id and time columns are both 't'/);
    expect(code(() => groupSequences(tableFromRows(rows), 'unit', 't'))).toMatch(/E_COLUMN: column 'unit' not found/);
    const table = tableFromRows(rows);
    expect(code(() => sequenceFeatures(table, [], ['machine'], { mean: [0], std: [1] }, 3))).toMatch(/E_COLUMN: sensor column 'machine' holds categorical values/);
  });
});
