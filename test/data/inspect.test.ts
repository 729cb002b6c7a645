import { describe, expect, it } from 'vitest';
import { inspectTable } from '../../src/data/inspect.js';
import { qualityHtml } from '../../src/data/inspect-format.js';
import { readRaw, tableFromRows } from '../../src/data/readers/index.js';
import { toTable } from '../../src/data/infer.js';
import { CREDIT } from '../helpers.js';
import { dirtyCredit } from './fixtures.js';

describe('data: inspect', () => {
  it('reports clean credit-g: types, no missing values, class balance, no leak', async () => {
    const raw = await readRaw(CREDIT);
    const r = inspectTable(toTable(raw), { raw, target: 'class' });
    expect(r.rows).toBe(1000);
    expect(r.duplicateRows).toBe(0);
    expect(r.columns.every((c) => c.missingShare === 0)).toBe(true);
    expect(r.target!.classes).toEqual([{ label: 'good', count: 700, share: 0.7 }, { label: 'bad', count: 300, share: 0.3 }]);
    expect(r.leaks).toEqual([]);
    const amount = r.columns.find((c) => c.name === 'credit_amount')!;
    expect(amount).toMatchObject({ type: 'numeric', min: 250, max: 18424 });
    expect(amount.outliersIqr).toBeGreaterThan(0);
  });

  it('finds everything planted in a dirtied copy', async () => {
    const r = inspectTable(tableFromRows(await dirtyCredit()), { target: 'class' });
    expect(r.duplicateRows).toBe(15);
    expect(r.columns.find((c) => c.name === 'age')!.missingShare).toBeCloseTo(51 / 1015, 4) // 50 holes, one of them copied by a duplicate;
    expect(r.columns.find((c) => c.name === 'credit_amount')!.outliersZ).toBeGreaterThanOrEqual(4);
    expect(r.leaks).toEqual(['decision_code']);
    expect(r.columns.find((c) => c.name === 'branch')).toMatchObject({ constant: true });
    expect(r.pii.map((p) => [p.column, p.kind])).toEqual([['email', 'email']]);
    expect(r.warnings.join('\n')).toMatch(/'decision_code' predicts the target almost perfectly/);
    const html = qualityHtml(r);
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toMatch(/<svg [^>]*aria-label="histogram of credit_amount"/);
    expect(html).not.toMatch(/<script|https?:\/\//);
  });

  it('flags a column that mixes numbers and text', () => {
    const rows = Array.from({ length: 40 }, (_, i) => ({ size: i % 4 === 0 ? 'large' : String(i) }));
    const raw = { names: ['size'], cells: [rows.map((r) => r.size)] };
    const r = inspectTable(toTable(raw), { raw });
    expect(r.columns[0]!.mixedNumericShare).toBeCloseTo(0.75);
  });
});
