import { describe, expect, it } from 'vitest';
import { tableFromRows } from '../../src/data/readers/index.js';
import { cleanTable } from '../../src/prep/clean.js';
import { dirtyCredit } from '../data/fixtures.js';

describe('prep: clean', () => {
  it('fixes a dirtied credit-g and counts every change, leaving the input as it was', async () => {
    const dirty = tableFromRows(await dirtyCredit());
    const ageBefore = Array.from((dirty.column('age') as { values: Float64Array }).values);
    const { table, report } = cleanTable(dirty, { target: 'class' });
    expect(report).toMatchObject({ rowsIn: 1015, rowsOut: 1000, duplicatesDropped: 15 });
    expect(report.columnsDropped).toEqual([
      { column: 'branch', reason: 'constant' },
      { column: 'decision_code', reason: "predicts 'class' almost perfectly" },
    ]);
    expect(report.imputed).toEqual({ age: 50 });
    expect(report.clipped.credit_amount).toBeGreaterThanOrEqual(4);
    expect(Math.max(...(table.column('credit_amount') as { values: Float64Array }).values)).toBeLessThan(20000);
    expect(table.has('email')).toBe(true); // personal data is `data mask`'s job, not clean's
    expect(Array.from((dirty.column('age') as { values: Float64Array }).values)).toEqual(ageBefore);
  });

  it('drops incomplete and outlying rows when asked, and fixes declared types', () => {
    const t = tableFromRows([
      { zip: 2139, amount: 10, city: 'A' },
      { zip: 2139, amount: null, city: 'B' },
      { zip: 10001, amount: 12, city: 'A' },
      { zip: 94105, amount: 11, city: 'C' },
      { zip: 60601, amount: 9, city: 'C' },
      { zip: 73301, amount: 5000, city: 'A' },
    ]);
    const { table, report } = cleanTable(t, { missing: 'drop_rows', outliers: 'drop_rows', types: { zip: 'categorical' } });
    expect(report).toMatchObject({ rowsDroppedMissing: 1, rowsDroppedOutliers: 1, rowsOut: 4, typesFixed: ['zip → categorical'] });
    expect(table.column('zip').type).toBe('categorical');
    expect(() => cleanTable(t, { missing: 'guess' as 'impute' })).toThrow(/missing: Invalid option/);
    expect(() => cleanTable(t, { outlier: 'clip' } as never)).toThrow(/Unrecognized key/);
  });
});
