import { describe, expect, it } from 'vitest';
import { readTable } from '../../src/data/readers/index.js';
import { isDict, Table, type DictColumn, type ValueColumn } from '../../src/data/table.js';
import { LeptonError } from '../../src/errors.js';
import { balance, balanceTable } from '../../src/prep/balance.js';
import { Pipeline } from '../../src/prep/pipeline.js';
import { smoteNc } from '../../src/prep/smote-nc.js';
import { stratifiedSplit } from '../../src/prep/split.js';
import { fitTarget } from '../../src/prep/target.js';
import { train as trainModel } from '../../src/train/train.js';
import { CREDIT } from '../helpers.js';

/** The raw credit-g training split (same split as the training test in balance.test.ts). */
async function creditTrain(): Promise<{ all: Table; train: Table; trainRows: Int32Array; valRows: Int32Array; testRows: Int32Array }> {
  const all = await readTable(CREDIT);
  const enc = fitTarget(all, 'class');
  const split = stratifiedSplit(enc.y, { val: 0.15, test: 0.15 }, 42);
  const rows = (pos: Int32Array) => pos.map((p) => enc.rows[p]!);
  return { all, train: all.take(rows(split.train)), trainRows: rows(split.train), valRows: rows(split.val), testRows: rows(split.test) };
}

const labelCounts = (t: Table) => {
  const c = t.column('class') as DictColumn;
  return c.dictionary.map((_, k) => c.codes.filter((v) => v === k).length);
};
const bad = (t: Table) => (t.column('class') as DictColumn).dictionary.indexOf('bad');

/** Every column's values, for equality checks (NaN-safe through Array.from + toEqual). */
const snapshot = (t: Table) => t.columns.map((c) => (isDict(c) ? Array.from(c.codes) : Array.from(c.values)));

/**
 * Reference SMOTE-NC distance computed directly from the definition (not through the one-hot
 * encoding): squared differences of z-scores plus med² per differing category.
 */
function referenceDistance(train: Table, minority: number[]): (a: number, b: number) => number {
  const num = train.columns.filter((c): c is ValueColumn => !isDict(c));
  const cat = train.columns.filter((c): c is DictColumn => c.type === 'categorical' && c.name !== 'class');
  const z = num.map((c) => {
    const v = Array.from(c.values);
    const mean = v.reduce((s, x) => s + x, 0) / v.length;
    const sd = Math.sqrt(v.reduce((s, x) => s + (x - mean) ** 2, 0) / v.length) || 1;
    return v.map((x) => (x - mean) / sd);
  });
  const stds = z.map((col) => {
    const v = minority.map((r) => col[r]!);
    const m = v.reduce((s, x) => s + x, 0) / v.length;
    return Math.sqrt(v.reduce((s, x) => s + (x - m) ** 2, 0) / v.length);
  }).sort((a, b) => a - b);
  const med = stds.length % 2 ? stds[stds.length >> 1]! : (stds[stds.length / 2 - 1]! + stds[stds.length / 2]!) / 2;
  return (a, b) => z.reduce((s, col) => s + (col[a]! - col[b]!) ** 2, 0) + med * med * cat.filter((c) => c.codes[a] !== c.codes[b]).length;
}

describe('prep: SMOTE-NC', () => {
  it('credit-g: equal classes, real categories voted by the neighbours, numerics on a segment to a SMOTE-NC neighbour', async () => {
    const { train } = await creditTrain();
    expect(labelCounts(train)).toEqual([490, 210]);
    const k = 5;
    const r = smoteNc(train, 'class', 7, k);
    expect(r.changed).toBe(280);
    expect(r.table.numRows).toBe(980);
    expect(labelCounts(r.table)).toEqual([490, 490]);
    expect(snapshot(r.table.take(Array.from({ length: train.numRows }, (_, i) => i)))).toEqual(snapshot(train)); // originals untouched
    const minority = Array.from({ length: train.numRows }, (_, i) => i).filter((i) => (train.column('class') as DictColumn).codes[i] === bad(train));
    const synthetic = Array.from({ length: r.changed }, (_, s) => train.numRows + s);
    for (const s of synthetic) expect(r.table.cell('class', s)).toBe('bad');

    const num = train.columns.filter((c): c is ValueColumn => !isDict(c)).map((c) => c.name);
    const cat = train.columns.filter((c) => c.type === 'categorical' && c.name !== 'class').map((c) => c.name);
    const value = (name: string, row: number, t: Table = train) => (t.column(name) as ValueColumn).values[row]!;
    // Numerics within the minority class's range, column by column.
    for (const f of num) {
      const lo = Math.min(...minority.map((i) => value(f, i)));
      const hi = Math.max(...minority.map((i) => value(f, i)));
      for (const s of synthetic) {
        expect(value(f, s, r.table)).toBeGreaterThanOrEqual(lo);
        expect(value(f, s, r.table)).toBeLessThanOrEqual(hi);
      }
    }
    // Categories: real dictionary entries.
    for (const f of cat) {
      const c = r.table.column(f) as DictColumn;
      for (const s of synthetic) {
        expect(c.codes[s]).toBeGreaterThanOrEqual(0);
        expect(c.codes[s]).toBeLessThan(c.dictionary.length);
      }
    }
    // Find each synthetic row's parents: a base row b and a minority row n with every numeric
    // value at the same point b + gap·(n − b). n must be among b's k nearest by the SMOTE-NC
    // distance computed from its definition (ties allowed), and every category must be held
    // by b or one of those neighbours; in the strict sense it is their most frequent one.
    const dist = referenceDistance(train, minority);
    const neighbours = new Map<number, { kth: number; near: number[] }>();
    const nearOf = (b: number) => {
      let e = neighbours.get(b);
      if (!e) {
        const ds = minority.filter((m) => m !== b).map((m) => ({ m, d: dist(b, m) })).sort((p, q) => p.d - q.d);
        const kth = ds[k - 1]!.d;
        e = { kth, near: ds.filter((p) => p.d <= kth + 1e-6).map((p) => p.m) };
        neighbours.set(b, e);
      }
      return e;
    };
    const mode = (f: string, near: number[]) => {
      const counts = new Map<string | number | boolean | null, number>();
      for (const h of near) counts.set(train.cell(f, h), (counts.get(train.cell(f, h)) ?? 0) + 1);
      const top = Math.max(...counts.values());
      return [...counts].filter(([, c]) => c === top).map(([v]) => v);
    };
    let strict = 0;
    for (const s of synthetic) {
      const target = num.map((f) => value(f, s, r.table));
      // A point on a segment is explained by (b, n) and by (n, b): keep every explanation.
      let held = false;
      let voted = false;
      for (const b of minority) {
        for (const n of minority) {
          if (n === b) continue;
          let gap: number | undefined;
          let ok = true;
          for (let f = 0; f < num.length && ok; f++) {
            const lo = value(num[f]!, b);
            const span = value(num[f]!, n) - lo;
            if (Math.abs(span) < 1e-9) ok = Math.abs(target[f]! - lo) < 1e-6;
            else {
              const g = (target[f]! - lo) / span;
              if (gap === undefined) ok = g >= -1e-9 && g <= 1 + 1e-9;
              else ok = Math.abs(g - gap) < 1e-6;
              gap ??= g;
            }
          }
          if (!ok || !nearOf(b).near.includes(n)) continue;
          const near = nearOf(b).near;
          if (cat.every((f) => [b, ...near].some((h) => train.cell(f, h) === r.table.cell(f, s)))) held = true;
          if (cat.every((f) => mode(f, near).includes(r.table.cell(f, s)))) voted = true;
        }
      }
      expect(held, `synthetic row ${s} has no base row and SMOTE-NC neighbour that explain it`).toBe(true);
      if (voted) strict++;
    }
    // The strict check can only miss where distance ties make the reference's neighbour set
    // differ from libtorch's float32 one (on this split it holds for all 280 rows).
    expect(strict / synthetic.length).toBeGreaterThan(0.95);
  });

  it('is deterministic under the seed', async () => {
    const { train } = await creditTrain();
    const a = smoteNc(train, 'class', 3);
    expect(snapshot(smoteNc(train, 'class', 3).table)).toEqual(snapshot(a.table));
    expect(snapshot(smoteNc(train, 'class', 4).table)).not.toEqual(snapshot(a.table));
  });

  it('on numeric columns only it is plain SMOTE (same draws, same neighbours) up to float rounding', async () => {
    const { train } = await creditTrain();
    const cats = train.columns.filter((c) => c.type === 'categorical' && c.name !== 'class').map((c) => c.name);
    const numeric = train.drop(cats);
    const features = numeric.columnNames.filter((c) => c !== 'class');
    const all = Array.from({ length: numeric.numRows }, (_, i) => i);
    const p = Pipeline.fit(numeric, features, all);
    const x = p.transform(numeric);
    const y = fitTarget(numeric, 'class').y as Int32Array;
    const plain = balance('smote', x, p.outputDim, y, 2, 11);
    const nc = smoteNc(numeric, 'class', 11);
    expect(nc.changed).toBe(plain.changed);
    const xs = p.transform(nc.table); // the same scaling for both: the one fitted before balancing
    expect(xs.length).toBe(plain.x.length);
    let worst = 0;
    for (let i = 0; i < xs.length; i++) worst = Math.max(worst, Math.abs(xs[i]! - plain.x[i]!));
    expect(worst).toBeLessThan(1e-4);
    expect(Array.from(fitTarget(nc.table, 'class').y)).toEqual(Array.from(plain.y));
  });

  it('missing values: numerics take the other parent, categories fall back to the base row', async () => {
    const { train } = await creditTrain();
    const cls = (train.column('class') as DictColumn).codes;
    const minority = Array.from({ length: train.numRows }, (_, i) => i).filter((i) => cls[i] === bad(train));
    const keep = minority[0]!;
    const columns = train.columns.map((c) => {
      if (c.name === 'duration') {
        const values = Float64Array.from((c as ValueColumn).values);
        for (const m of minority) if (m !== keep) values[m] = NaN;
        return { ...(c as ValueColumn), values };
      }
      if (c.name === 'checking_status') {
        const codes = Int32Array.from((c as DictColumn).codes);
        for (const m of minority) codes[m] = -1;
        return { ...(c as DictColumn), codes };
      }
      return c;
    });
    const holes = new Table(columns, train.numRows);
    const r = smoteNc(holes, 'class', 5);
    expect(r.changed).toBe(280);
    const kept = (holes.column('duration') as ValueColumn).values[keep]!;
    for (let s = train.numRows; s < r.table.numRows; s++) {
      const v = r.table.cell('duration', s);
      expect(v === null || v === kept).toBe(true); // both parents missing, or the one value there is
      expect(r.table.cell('checking_status', s)).toBeNull(); // no neighbour has a category
    }
    for (let s = train.numRows; s < r.table.numRows; s++) {
      for (const c of r.table.columns) if (c.type === 'numeric' && c.name !== 'duration') expect(Number.isFinite(r.table.cell(c.name, s))).toBe(true);
    }
  });

  it('errors and edge cases: unknown target, a class with one row is duplicated', async () => {
    const { train } = await creditTrain();
    try {
      smoteNc(train, 'klass', 1);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(LeptonError);
      expect((e as LeptonError).code).toBe('E_TARGET');
      expect((e as Error).message).toContain("'klass'");
    }
    const cls = (train.column('class') as DictColumn).codes;
    const good = Array.from({ length: train.numRows }, (_, i) => i).filter((i) => cls[i] !== bad(train));
    const one = Array.from({ length: train.numRows }, (_, i) => i).find((i) => cls[i] === bad(train))!;
    const t = train.take([...good, one]);
    const r = smoteNc(t, 'class', 1);
    expect(r.changed).toBe(good.length - 1);
    expect(labelCounts(r.table)).toEqual([490, 490]);
    const copy = snapshot(r.table.take([good.length]));
    for (let s = t.numRows; s < r.table.numRows; s++) expect(snapshot(r.table.take([s]))).toEqual(copy);
    // Already balanced: nothing to add.
    const even = smoteNc(r.table, 'class', 1);
    expect(even.changed).toBe(0);
  });

  it('training seam: only the training rows are resampled; validation and test rows are the same rows, unchanged', async () => {
    const { all, trainRows, valRows, testRows } = await creditTrain();
    const enc = fitTarget(all, 'class');
    const y = Int32Array.from(trainRows, (r) => (enc.y as Int32Array)[Array.from(enc.rows).indexOf(r)]!);
    const features = all.columnNames.filter((c) => c !== 'class');
    const b = balanceTable('smote', all, features, trainRows, y, 2, 42)!;
    expect(b).toBeDefined();
    expect(b.changed).toBe(280);
    expect(b.rows.length).toBe(980);
    expect(Array.from(b.rows.subarray(0, trainRows.length))).toEqual(Array.from(trainRows));
    const appended = Array.from(b.rows.subarray(trainRows.length));
    expect(appended.every((r) => r >= all.numRows)).toBe(true);
    expect(snapshot(b.table.take(valRows))).toEqual(snapshot(all.take(valRows)));
    expect(snapshot(b.table.take(testRows))).toEqual(snapshot(all.take(testRows)));
    // A pipeline fitted on the balanced training rows encodes validation rows the same from either table.
    const p = Pipeline.fit(b.table, features, b.rows);
    expect(Array.from(p.transform(b.table, valRows))).toEqual(Array.from(p.transform(all, valRows)));
    // Numeric-only features, or another method: left to the matrix balancer.
    expect(balanceTable('oversample', all, features, trainRows, y, 2, 42)).toBeUndefined();
    expect(balanceTable('smote', all, ['duration', 'age'], trainRows, y, 2, 42)).toBeUndefined();
  });
  it('training with smote on mixed data fits the pipeline on the SMOTE-NC-balanced raw rows; validation and test untouched', async () => {
    const plain = await trainModel(CREDIT, { target: 'class', model: 'logistic', refit: false });
    const nc = await trainModel(CREDIT, { target: 'class', model: 'logistic', balance: 'smote', refit: false });
    expect(nc.split).toEqual({ train: 980, val: 150, test: 150, trainSplit: 700 });
    const support = (r: typeof plain) => (r.test.task === 'classification' ? r.test.perClass.map((c) => c.support) : []);
    expect(support(nc)).toEqual(support(plain));
    // The model's pipeline is the one fitted on the SMOTE-NC-balanced raw training rows.
    const { all, trainRows } = await creditTrain();
    const enc = fitTarget(all, 'class');
    const y = Int32Array.from(trainRows, (r) => (enc.y as Int32Array)[Array.from(enc.rows).indexOf(r)]!);
    const features = all.columnNames.filter((c) => c !== 'class');
    const b = balanceTable('smote', all, features, trainRows, y, 2, 42)!;
    expect(nc.model.manifest.pipeline).toEqual(Pipeline.fit(b.table, features, b.rows).state);
    expect(nc.model.manifest.pipeline).not.toEqual(plain.model.manifest.pipeline);
    plain.model.dispose();
    nc.model.dispose();
  });
});
