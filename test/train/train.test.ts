import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readTable } from '../../src/data/readers/index.js';
import { loadModel, saveModel } from '../../src/models/artifact.js';
import { train } from '../../src/train/train.js';
import { CANCER, CREDIT, tmp } from '../helpers.js';

describe('train: real data', () => {
  it('auto on credit-g: reports every candidate, keeps the best, and beats chance clearly on the test split', async () => {
    const events: string[] = [];
    const r = await train(CREDIT, { target: 'class', onProgress: (e) => events.push(e.type) });
    expect(r.leaderboard.map((e) => e.name)).toEqual(['logistic', 'mlp', 'xgboost', 'forest', 'ensemble']);
    expect(r.leaderboard.filter((e) => e.selected)).toHaveLength(1);
    for (const e of r.leaderboard) expect(e.valScore).toBeGreaterThan(0.65);
    expect(r.split).toEqual({ train: 700, val: 150, test: 150, trainSplit: 700 });
    expect(r.test.task).toBe('classification');
    if (r.test.task === 'classification') {
      expect(r.test.rocAuc).toBeGreaterThan(0.72);
      expect(r.test.accuracy).toBeGreaterThan(0.7);
      expect(r.test.perClass.map((c) => c.support)).toEqual([105, 45]);
    }
    expect(events.filter((t) => t === 'candidate-start')).toHaveLength(4);
    expect(events.filter((t) => t === 'epoch').length).toBeGreaterThan(30);
    r.model.dispose();
  });

  it.each(['logistic', 'mlp', 'xgboost', 'forest'] as const)('%s alone trains on breast cancer to ROC-AUC > 0.97', async (model) => {
    const r = await train(CANCER, { target: 'diagnosis', model });
    expect(r.leaderboard).toHaveLength(1);
    expect(r.model.manifest.members.map((m) => m.family)).toEqual([model]);
    expect(r.test.task === 'classification' && r.test.rocAuc).toBeGreaterThan(0.97);
    r.model.dispose();
  });

  it('regression on a numeric target (breast cancer mean_area from the other measurements)', async () => {
    const r = await train(CANCER, { target: 'mean_area', model: 'xgboost', drop: ['mean_radius', 'mean_perimeter', 'worst_area', 'worst_radius', 'worst_perimeter'] });
    expect(r.test.task).toBe('regression');
    if (r.test.task === 'regression') {
      expect(r.test.r2).toBeGreaterThan(0.8);
      expect(r.test.rmse).toBeLessThan(150); // mean_area spans 143–2501
    }
    const [p] = await r.model.predict((await readTable(CANCER)).take([0]));
    expect(p && 'value' in p && p.value).toBeGreaterThan(500);
    r.model.dispose();
  });

  it('is reproducible: the same seed gives the same leaderboard and test metrics', async () => {
    const run = async () => {
      const r = await train(CREDIT, { target: 'class', seed: 5 });
      r.model.dispose();
      return { scores: r.leaderboard.map((e) => e.valScore), test: r.test };
    };
    const a = await run();
    const b = await run();
    expect(b).toEqual(a);
  });

  it('saves a self-contained artifact whose predictions equal the in-memory model', async () => {
    const r = await train(CREDIT, { target: 'class', seed: 1 });
    const path = join(tmp(), 'credit.lepton');
    await saveModel(r.model, path);
    const table = await readTable(CREDIT);
    const rows = table.take([0, 1, 2, 3, 4]);
    const before = await r.model.predictTable(rows);
    r.model.dispose();
    const loaded = await loadModel(path);
    expect(Array.from(await loaded.predictTable(rows))).toEqual(Array.from(before));
    expect(loaded.classes).toEqual(['good', 'bad']);
    const [p] = await loaded.predict({ ...Object.fromEntries(table.columnNames.map((c) => [c, table.cell(c, 0)])), purpose: 'space travel' });
    expect(p && 'label' in p && Object.keys(p.probabilities)).toEqual(['good', 'bad']);
    loaded.dispose();
    await expect(loaded.predictTable(rows)).rejects.toThrow(/disposed/);
  });

  it('cancels through an AbortSignal', async () => {
    const ac = new AbortController();
    const run = train(CANCER, { target: 'diagnosis', model: 'mlp', params: { mlp: { epochs: 100000, patience: 0 } }, onProgress: (e) => e.type === 'epoch' && e.epoch === 3 && ac.abort(), signal: ac.signal });
    await expect(run).rejects.toThrow(/cancelled/);
  });
});

describe('train: cancellation before the engine starts', () => {
  it('an already-aborted signal stops training at once', async () => {
    const ac = new AbortController();
    ac.abort();
    const t0 = performance.now();
    await expect(train(CANCER, { target: 'diagnosis', model: 'mlp', params: { mlp: { epochs: 100000, patience: 0 } }, signal: ac.signal })).rejects.toThrow(/cancelled/);
    expect(performance.now() - t0).toBeLessThan(5000);
  });
});
