import { describe, expect, it } from 'vitest';
import { tableFromRows } from '../../src/data/readers/index.js';
import { Pipeline, UNKNOWN } from '../../src/prep/pipeline.js';

const rows = [
  { age: 20, city: 'Paris', vip: true },
  { age: 40, city: 'Lyon', vip: false },
  { age: null, city: 'Paris', vip: false },
  { age: 1000, city: 'Nice', vip: true }, // only in the rows the pipeline must not see
];

describe('prep: pipeline', () => {
  it('fits on the training rows only: median impute, standardise, one-hot with unknown bucket', () => {
    const t = tableFromRows(rows);
    const p = Pipeline.fit(t, ['age', 'city', 'vip'], [0, 1, 2]);
    const age = p.state.steps[0]!;
    expect(age).toMatchObject({ kind: 'scale', column: 'age', median: 30, mean: 30, std: 10 });
    const city = p.state.steps[1]!;
    expect(city).toMatchObject({ kind: 'onehot', categories: ['Paris', 'Lyon'], fill: 'Paris' });
    expect(p.featureNames).toEqual(['age', 'city=Paris', 'city=Lyon', `city=${UNKNOWN}`, 'vip']);
    const x = p.transform(t);
    // row 2: age missing → median 30 → 0; row 3: Nice never seen → unknown bucket
    // vip (boolean → 0/1) has mean 1/3 and std √2/3 over the training rows.
    expect(Array.from(x.subarray(2 * 5, 3 * 5 - 1))).toEqual([0, 1, 0, 0]);
    expect(x[2 * 5 + 4]).toBeCloseTo(-Math.SQRT1_2, 5);
    expect(Array.from(x.subarray(3 * 5, 4 * 5 - 1))).toEqual([97, 0, 0, 1]);
    expect(x[3 * 5 + 4]).toBeCloseTo(Math.SQRT2, 5);
  });

  it('survives JSON serialisation and names missing columns at transform time', () => {
    const t = tableFromRows(rows);
    const p = Pipeline.fit(t, ['age', 'city'], [0, 1, 2]);
    const again = new Pipeline(JSON.parse(JSON.stringify(p.state)));
    expect(Array.from(again.transform(t))).toEqual(Array.from(p.transform(t)));
    const partial = tableFromRows([{ age: 3 }], p.state.inputs);
    expect(() => p.transform(partial)).toThrow(/input is missing column 'city' that the model needs/);
  });

  it('rejects a column that is empty in every row, with the fix', () => {
    const t = tableFromRows([{ a: 1, empty: null }, { a: 2, empty: '' }]);
    expect(() => Pipeline.fit(t, ['a', 'empty'], [0, 1])).toThrow(/column 'empty' is empty in every row/);
  });
});
