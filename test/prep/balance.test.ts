import { describe, expect, it } from 'vitest';
import { balance } from '../../src/prep/balance.js';
import { Pipeline } from '../../src/prep/pipeline.js';
import { fitTarget } from '../../src/prep/target.js';
import { stratifiedSplit } from '../../src/prep/split.js';
import { readTable } from '../../src/data/readers/index.js';
import { train } from '../../src/train/train.js';
import { CREDIT } from '../helpers.js';

async function creditTrainingMatrix(): Promise<{ x: Float32Array; y: Int32Array; d: number }> {
  const t = await readTable(CREDIT);
  const enc = fitTarget(t, 'class');
  const split = stratifiedSplit(enc.y, { val: 0.15, test: 0.15 }, 42);
  const rows = split.train.map((p) => enc.rows[p]!);
  const p = Pipeline.fit(t, t.columnNames.filter((c) => c !== 'class'), rows);
  return { x: p.transform(t, rows), y: Int32Array.from(split.train, (i) => (enc.y as Int32Array)[i]!), d: p.outputDim };
}

const counts = (y: Int32Array) => [y.filter((v) => v === 0).length, y.filter((v) => v === 1).length];

describe('prep: class balancing', () => {
  it('SMOTE on credit-g: equal classes, synthetic rows between minority neighbours, seeded', async () => {
    const { x, y, d } = await creditTrainingMatrix();
    expect(counts(y)).toEqual([490, 210]);
    const b = balance('smote', x, d, y, 2, 7);
    expect(counts(b.y)).toEqual([490, 490]);
    expect(b.changed).toBe(280);
    expect(Array.from(b.x.subarray(0, x.length))).toEqual(Array.from(x)); // originals untouched
    // Every synthetic value lies within the minority rows' range for its feature.
    const minority = Array.from(y.keys()).filter((i) => y[i] === 1);
    for (let f = 0; f < d; f++) {
      const vals = minority.map((i) => x[i * d + f]!);
      const lo = Math.min(...vals);
      const hi = Math.max(...vals);
      for (let s = y.length; s < b.y.length; s++) {
        expect(b.x[s * d + f]!).toBeGreaterThanOrEqual(lo - 1e-5);
        expect(b.x[s * d + f]!).toBeLessThanOrEqual(hi + 1e-5);
      }
    }
    expect(Array.from(balance('smote', x, d, y, 2, 7).x)).toEqual(Array.from(b.x));
    expect(counts(balance('oversample', x, d, y, 2, 1).y)).toEqual([490, 490]);
    expect(counts(balance('undersample', x, d, y, 2, 1).y)).toEqual([210, 210]);
  });

  it('touches only the training rows: validation and test are the same with and without it', async () => {
    const plain = await train(CREDIT, { target: 'class', model: 'logistic' });
    const smote = await train(CREDIT, { target: 'class', model: 'logistic', balance: 'smote' });
    expect(plain.split).toEqual({ train: 700, val: 150, test: 150, trainSplit: 700 });
    expect(smote.split).toEqual({ train: 980, val: 150, test: 150, trainSplit: 700 });
    const support = (r: typeof plain) => (r.test.task === 'classification' ? r.test.perClass.map((c) => c.support) : []);
    expect(support(smote)).toEqual(support(plain));
    // Balanced training raises recall of the minority class on the untouched test split.
    const recall = (r: typeof plain) => (r.test.task === 'classification' ? r.test.perClass[1]!.recall : 0);
    expect(recall(smote)).toBeGreaterThan(recall(plain));
    plain.model.dispose();
    smote.model.dispose();
  });
});
