import { describe, expect, it } from 'vitest';
import { tableFromRows } from '../../src/data/readers/index.js';
import { LeptonError } from '../../src/errors.js';
import { evaluate } from '../../src/eval/evaluate.js';
import type { ClassificationReport } from '../../src/eval/metrics.js';
import { decodeModel, encodeModel, ManifestZ } from '../../src/models/artifact.js';
import { trainSequences } from '../../src/train/train-sequences.js';
import { train } from '../../src/train/train.js';
import { HORIZON, lastRows, runToFailure, SENSORS } from '../data/run-to-failure.js';

// Synthetic run-to-failure units (test/data/run-to-failure.ts): 400 to train on, 300 unseen ones to score.
const units = runToFailure(400, 1);
const unseen = runToFailure(300, 2);
const auc = (r: unknown) => (r as ClassificationReport).rocAuc!;

describe('train: numeric sequences (seqnet)', () => {
  it(`a GRU over each unit's last 50 cycles beats a tabular model on the last cycle alone at "fails within ${HORIZON} cycles"`, async () => {
    const r = await trainSequences(tableFromRows(units), { target: 'fail_soon', id: 'unit', time: 'cycle', seqLen: 50 });
    expect(r.ids).toBe(400);
    expect(r.sensors).toEqual(['setting', ...SENSORS]);
    expect(r.truncated).toBeGreaterThan(0); // most units ran longer than 50 cycles…
    expect(r.truncated).toBeLessThan(r.split.train); // …and some shorter ones were padded
    const gru = auc(await evaluate(r.model, tableFromRows(unseen)));
    // The strongest table baseline Lepton has (auto: logistic, MLP, XGBoost, maybe an ensemble), with the cycle count as a feature.
    const base = await train(tableFromRows(lastRows(units)), { target: 'fail_soon', drop: ['unit'] });
    const tab = auc(await evaluate(base.model, tableFromRows(lastRows(unseen))));
    // Measured with seeds 1/3/5/7: GRU 0.891/0.939/0.933/0.874 vs table 0.841/0.878/0.883/0.815 (margins 0.050–0.061).
    expect(gru).toBeGreaterThan(0.85);
    expect(gru - tab).toBeGreaterThan(0.025);

    // The artifact keeps the input description and predicts the same after a round trip.
    const back = decodeModel(encodeModel(r.model), 'mem');
    expect(back.sequenceInput).toMatchObject({ id: 'unit', time: 'cycle', seqLen: 50, sensors: ['setting', ...SENSORS] });
    const table = tableFromRows(unseen.slice(0, 500));
    expect(await back.predictTable(table)).toEqual(await r.model.predictTable(table));
    back.dispose();
    r.model.dispose();
    base.model.dispose();
  }, 60_000);

  it('predicts one row per id from rows in any order; a short sequence is padded, not refused', async () => {
    const r = await trainSequences(tableFromRows(units.filter((u) => u.unit! <= 150)), { target: 'fail_soon', id: 'unit', time: 'cycle', seqLen: 30, params: { cell: 'lstm', epochs: 3 } });
    expect(r.model.manifest.members[0]!.params).toMatchObject({ cell: 'lstm' });
    const some = unseen.filter((u) => u.unit! <= 3);
    const shuffled = [...some].reverse();
    const a = await r.model.predict(some);
    expect(a).toHaveLength(3);
    expect(await r.model.predict(shuffled)).toEqual([...a].reverse()); // ids in first-seen order: 3, 2, 1
    const short = await r.model.predict(some.filter((u) => u.unit === 1).slice(0, 4)); // 4 cycles of 30
    expect(short).toHaveLength(1);
    expect(Object.values((short[0] as { probabilities: Record<string, number> }).probabilities).reduce((s, p) => s + p, 0)).toBeCloseTo(1, 5);
    r.model.dispose();
  }, 30_000);

  it('older manifests without an input, and text manifests, still parse', () => {
    const base = { formatVersion: 2, leptonVersion: '0.1.0', createdAt: '', seed: 1, target: { task: 'classification', column: 'y', classes: ['a', 'b'] }, targetSchema: { name: 'y', type: 'categorical' }, pipeline: { version: 1, inputs: [], steps: [], skipped: [] }, selected: 'mlp', members: [{ family: 'mlp', params: {}, info: { epochs: 1, bestEpoch: 1, stopReason: 'x' }, weight: 1 }] };
    expect(ManifestZ.safeParse(base).success).toBe(true);
    expect(ManifestZ.safeParse({ ...base, input: { kind: 'text', seqLen: 8, vocab: { kind: 'lepton-word-vocab', version: 1, lowercase: true, tokens: ['[PAD]', '[UNK]', '[CLS]', 'a'] } } }).success).toBe(true);
    expect(ManifestZ.safeParse({ ...base, input: { kind: 'sequence', id: 'u', time: 't', sensors: [], seqLen: 8, scaler: { mean: [], std: [] } } }).success).toBe(false);
  });

  it('names bad input: too few ids, one class, no sensors', async () => {
    const fails = async (rows: Record<string, unknown>[], o: Partial<Parameters<typeof trainSequences>[1]>, re: RegExp) => {
      const e = await trainSequences(tableFromRows(rows), { target: 'fail_soon', id: 'unit', time: 'cycle', ...o }).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(LeptonError);
      expect((e as LeptonError).message).toMatch(re);
    };
    await fails(units.filter((u) => u.unit! <= 10), {}, /only 10 ids of 'unit' have a value in 'fail_soon'; at least 20/);
    await fails(units.map((u) => ({ ...u, fail_soon: 0 })), {}, /every id's last label in 'fail_soon' is '0'/);
    await fails(units.map((u) => ({ unit: u.unit, cycle: u.cycle, fail_soon: u.fail_soon })), {}, /no numeric column besides 'unit', 'cycle' and 'fail_soon'/);
    await fails(units, { seqLen: 0 }, /seqLen must be a positive integer/);
  });
});
