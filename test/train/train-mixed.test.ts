import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeModel, encodeModel, loadModel, ManifestZ, saveModel } from '../../src/models/artifact.js';
import { Pipeline } from '../../src/prep/pipeline.js';
import { chooseTableFamily, trainMixed } from '../../src/train/train-mixed.js';
import { tableTextDataset, trainTexts } from '../../src/train/train-texts.js';
import { train } from '../../src/train/train.js';
import { evaluate } from '../../src/eval/evaluate.js';
import { tableFromRows } from '../../src/data/readers/index.js';
import { CREDIT, tmp } from '../helpers.js';
import { grainRows, grainTable } from './grain-mixed.js';

const accuracy = (r: { test: { task: string } }) => (r.test as { accuracy: number }).accuracy;

describe('trainMixed: one network over a text column and a numeric column (ReutersGrain XOR amount)', () => {
  it('beats a text-only and a tabular-only model on the held-out rows, and predicts the same after save / load', async () => {
    const table = await grainTable();
    expect(table.column('story').type).toBe('text');
    expect(chooseTableFamily(table, 'y')).toMatchObject({ family: 'mixed', textColumns: ['story'] });
    const o = { seed: 3, seqLen: 48 };
    const mixed = await trainMixed(table, { target: 'y', ...o });
    const d = tableTextDataset(table.drop(['amount']), 'y');
    const text = await trainTexts(d.texts, d.labels, d.classes, o);
    const tabular = await train(table.drop(['story']), { target: 'y', seed: 3 });
    // The same seed and labels give the three the same held-out rows.
    expect(mixed.split).toEqual({ ...text.split });
    const [m, t, b] = [accuracy(mixed), accuracy(text), accuracy(tabular)];
    console.log(`held-out accuracy (${mixed.split.test} rows): mixed ${m.toFixed(3)}, text only ${t.toFixed(3)}, tabular only ${b.toFixed(3)}`);
    expect(m).toBeGreaterThan(0.75);
    expect(m - Math.max(t, b)).toBeGreaterThan(0.15);

    expect(mixed.truncated).toEqual([{ column: 'story', seqLen: 48, count: expect.any(Number) }]);
    expect(mixed.truncated[0]!.count).toBeGreaterThan(mixed.split.train / 2); // stories run to ~90 words
    const model = mixed.model;
    expect(model.manifest.input).toEqual({ kind: 'mixed' });
    expect(model.manifest.target.column).toBe('y');
    expect(model.manifest.members[0]!.family).toBe('mixed');
    expect(model.manifest.pipeline.steps.map((s) => `${s.kind}:${s.column}`)).toEqual(['scale:amount', 'tokens:story']);
    expect(new Pipeline(model.manifest.pipeline).layout).toMatchObject({ tabular: 1, texts: [{ column: 'story', from: 1, seqLen: 48 }] });
    // Plain rows predict (as `lepton predict` and serving {"rows": [...]} do), and the model file round-trips.
    const rows = (await grainRows()).slice(0, 20).map(({ story, amount }) => ({ story, amount }));
    const before = await model.predict(rows);
    const file = join(tmp(), 'mixed.lepton');
    await saveModel(model, file);
    const loaded = await loadModel(file);
    expect(await loaded.predict(rows)).toEqual(before);
    expect(ManifestZ.parse(JSON.parse(JSON.stringify(loaded.manifest))).pipeline).toEqual(model.manifest.pipeline);
    // evaluate reads labelled rows through the stored pipeline.
    const report = await evaluate(loaded, tableFromRows(await grainRows()));
    expect(report.task === 'classification' && report.accuracy).toBeGreaterThan(0.75);
    // A missing text is all padding; a missing column is named.
    expect(await loaded.predict({ amount: 10, story: null })).toHaveLength(1);
    await expect(loaded.predict({ amount: 10 })).rejects.toThrow(/missing column 'story'/);
    for (const r of [mixed, text, tabular]) r.model.dispose();
    loaded.dispose();
  }, 60_000);

  it('auto picks the family from the columns, and mixed refuses tables it cannot read', async () => {
    const table = await grainTable();
    expect(chooseTableFamily(table.drop(['amount']), 'y')).toMatchObject({ family: 'textnet', reason: "the only feature, 'story', is free text" });
    expect(chooseTableFamily(table.drop(['story']), 'y')).toMatchObject({ family: 'tabular', reason: 'no free-text column' });
    const regression = chooseTableFamily(table, 'amount');
    expect(regression.family).toBe('tabular');
    expect(regression.reason).toMatch(/'story' left out: text models classify/);
    await expect(trainMixed(table.drop(['story']), { target: 'y' })).rejects.toThrow(/no free-text or image column/);
    await expect(trainMixed(table, { target: 'amount' })).rejects.toThrow(/mixed models classify/);
    await expect(trainMixed(table, { target: 'y', params: { textEncoder: 'lstm' as 'gru' } })).rejects.toThrow(/mixed network parameter textEncoder/);
    expect(() => tableTextDataset(table, 'y')).toThrow(/textnet reads one free-text column/);
  });

  it('table models load as before: a pipeline without text steps, text columns skipped by the tabular families', async () => {
    const t = await train(CREDIT, { target: 'class', model: 'logistic' });
    const m = decodeModel(encodeModel(t.model), 'credit.lepton');
    expect(m.manifest.input).toBeUndefined();
    expect(m.pipeline.layout.texts).toEqual([]);
    t.model.dispose();
    m.dispose();
    const mixedTable = await grainTable();
    const p = Pipeline.fit(mixedTable, ['story', 'amount'], [0, 1, 2, 3]);
    expect(p.state.skipped).toEqual([{ column: 'story', reason: 'free text is read by mixed models only (--model mixed)' }]);
  });
});
