import { describe, expect, it } from 'vitest';
import { tableFromRows } from '../../src/data/readers/index.js';
import { fitTarget } from '../../src/prep/target.js';

describe('prep: target', () => {
  it('treats a 0/1 numeric target as classes and a continuous one as regression', () => {
    const t = tableFromRows(Array.from({ length: 10 }, (_, i) => ({ flag: i % 2, price: i * 1.5, x: i })));
    expect(fitTarget(t, 'flag').encoder).toEqual({ task: 'classification', column: 'flag', classes: ['0', '1'] });
    const r = fitTarget(t, 'price');
    expect(r.encoder.task).toBe('regression');
    expect(fitTarget(t, 'flag', 'regression').encoder.task).toBe('regression');
  });

  it('drops unlabelled rows and rejects unusable targets with the fix', () => {
    const t = tableFromRows([{ y: 'a', x: 1 }, { y: null, x: 2 }, { y: 'a', x: 3 }]);
    expect(() => fitTarget(t, 'y')).toThrow(/only one class \('a'\) in 2 labelled rows/);
    expect(() => fitTarget(t, 'label')).toThrow(/target column 'label' not found; the columns are 'y', 'x'/);
  });
});
