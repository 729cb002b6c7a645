/**
 * SMOTE beside imbalanced-learn on credit-g: the same encoded training rows resampled by each
 * (five seeds), then the same scikit-learn logistic regression trained on every resampled set
 * and scored on the same untouched test split. Same class counts, same AUC within noise is the
 * target. Then SMOTE-NC beside imblearn's SMOTENC on the raw (mixed-type) training rows.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readTable } from '../src/data/readers/index.js';
import { textTable } from '../src/eval/format.js';
import { packageRoot } from '../src/package-root.js';
import { isDict, type DictColumn, type Table, type ValueColumn } from '../src/data/table.js';
import { balance } from '../src/prep/balance.js';
import { Pipeline } from '../src/prep/pipeline.js';
import { stratifiedSplit } from '../src/prep/split.js';
import { smoteNc } from '../src/prep/smote-nc.js';
import { fitTarget } from '../src/prep/target.js';

export async function balanceBench(): Promise<Record<string, unknown>> {
  const root = packageRoot();
  const t = await readTable(join(root, 'data', 'credit-g.arff'));
  const enc = fitTarget(t, 'class');
  const split = stratifiedSplit(enc.y, { val: 0, test: 0.3 }, 42);
  const rows = (pos: Int32Array) => pos.map((p) => enc.rows[p]!);
  const p = Pipeline.fit(t, t.columnNames.filter((c) => c !== 'class'), rows(split.train));
  const d = p.outputDim;
  const x = p.transform(t, rows(split.train));
  const y = Int32Array.from(split.train, (i) => (enc.y as Int32Array)[i]!);
  const seeds = [0, 1, 2, 3, 4];
  const lepton = seeds.map((seed) => {
    const b = balance('smote', x, d, y, 2, seed);
    return { seed, x: Array.from(b.x), y: Array.from(b.y) };
  });
  const file = join(mkdtempSync(join(tmpdir(), 'lepton-smote-')), 'data.json');
  writeFileSync(file, JSON.stringify({ d, x: Array.from(x), y: Array.from(y), xTest: Array.from(p.transform(t, rows(split.test))), yTest: Array.from(split.test, (i) => (enc.y as Int32Array)[i]!), lepton }));
  const python = process.env.PEER_PYTHON ?? '/usr/bin/python3';
  const r = JSON.parse(execFileSync(python, [join(root, 'bench', 'peers', 'smote_imblearn.py'), file], { encoding: 'utf8', maxBuffer: 1 << 26 })) as { imblearn: number[]; lepton: number[]; countsImblearn: number[]; countsLepton: number[]; none: number };
  const ms = (v: number[]) => {
    const m = v.reduce((a, b) => a + b, 0) / v.length;
    return { mean: m, std: Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / (v.length - 1)) };
  };
  const l = ms(r.lepton);
  const i = ms(r.imblearn);
  console.log(`\nSMOTE on the credit-g training split (${y.length} rows), logistic regression (scikit-learn) on each, test ROC-AUC over ${seeds.length} seeds`);
  console.log(textTable([['resampler', 'class counts', 'test ROC-AUC', 'std'], ['Lepton SMOTE', r.countsLepton.join(' / '), l.mean.toFixed(4), l.std.toFixed(4)], ['imblearn SMOTE', r.countsImblearn.join(' / '), i.mean.toFixed(4), i.std.toFixed(4)], ['no resampling', Array.from(new Set(y)).map((c) => y.filter((v) => v === c).length).join(' / '), r.none.toFixed(4), '']]));
  return { lepton: { counts: r.countsLepton, auc: l }, imblearn: { counts: r.countsImblearn, auc: i }, noResampling: r.none, smoteNc: await smoteNcBench() };
}

const meanSd = (v: number[]) => {
  const m = v.reduce((a, b) => a + b, 0) / v.length;
  return { mean: m, std: Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / (v.length - 1)) };
};

/** Numeric columns (NaN as null) and categorical codes of a table, for the Python peer. */
function rawColumns(t: Table, target: string): { num: (number | null)[][]; cat: number[][]; y: number[] } {
  const num = t.columns.filter((c): c is ValueColumn => !isDict(c)).map((c) => Array.from(c.values, (v) => (Number.isNaN(v) ? null : v)));
  const cat = t.columns.filter((c): c is DictColumn => c.type === 'categorical' && c.name !== target).map((c) => Array.from(c.codes));
  const tc = t.column(target) as DictColumn;
  return { num, cat, y: Array.from(tc.codes) };
}

/**
 * SMOTE-NC beside imblearn's SMOTENC (k = 5, 40 seeds) on the raw credit-g training split
 * (7 numeric, 13 categorical columns). imblearn gets the numeric columns standardised with the
 * training split's statistics (it does not scale them itself; Lepton's distance does), and,
 * for reference, raw. Every resampled set goes through the same scikit-learn preprocessing
 * (standardise + one-hot, fitted on that set) and logistic regression, scored on the same
 * untouched test split.
 */
export async function smoteNcBench(): Promise<Record<string, unknown>> {
  const root = packageRoot();
  const t = await readTable(join(root, 'data', 'credit-g.arff'));
  const enc = fitTarget(t, 'class');
  const split = stratifiedSplit(enc.y, { val: 0, test: 0.3 }, 42);
  const train = t.take(split.train.map((p) => enc.rows[p]!));
  const test = t.take(split.test.map((p) => enc.rows[p]!));
  const seeds = Array.from({ length: 40 }, (_, i) => i);
  const seconds: number[] = [];
  const lepton = seeds.map((seed) => {
    const started = performance.now();
    const b = smoteNc(train, 'class', seed);
    seconds.push((performance.now() - started) / 1000);
    const synthetic = b.table.take(Array.from({ length: b.changed }, (_, i) => train.numRows + i));
    return { seed, ...rawColumns(b.table, 'class'), synthCat: rawColumns(synthetic, 'class').cat };
  });
  const file = join(mkdtempSync(join(tmpdir(), 'lepton-smotenc-')), 'data.json');
  writeFileSync(file, JSON.stringify({ train: rawColumns(train, 'class'), test: rawColumns(test, 'class'), positive: (t.column('class') as DictColumn).dictionary.indexOf('bad'), lepton }));
  const python = process.env.PEER_PYTHON ?? '/usr/bin/python3';
  type Side = { auc: number[]; counts: number[]; seconds: number[] };
  const r = JSON.parse(execFileSync(python, [join(root, 'bench', 'peers', 'smotenc_imblearn.py'), file], { encoding: 'utf8', maxBuffer: 1 << 27 })) as {
    lepton: Side; imblearn: Side; imblearnRaw: Side; none: number; countsNone: number[]; categoryTv: number; categoryTvImblearnSeeds: number; categoryTvLeptonSeeds: number;
  };
  const l = meanSd(r.lepton.auc);
  const i = meanSd(r.imblearn.auc);
  const ir = meanSd(r.imblearnRaw.auc);
  const ms = (v: number[]) => `${((v.reduce((a, b) => a + b, 0) / v.length) * 1000).toFixed(0)} ms`;
  console.log(`\nSMOTE-NC on the raw credit-g training split (${train.numRows} rows, 7 numeric + 13 categorical), k = 5, scikit-learn one-hot + logistic regression on each, test ROC-AUC over ${seeds.length} seeds`);
  console.log(textTable([
    ['resampler', 'class counts', 'test ROC-AUC', 'std', 'time'],
    ['Lepton smoteNc', r.lepton.counts.join(' / '), l.mean.toFixed(4), l.std.toFixed(4), ms(seconds)],
    ['imblearn SMOTENC (z-scored numerics)', r.imblearn.counts.join(' / '), i.mean.toFixed(4), i.std.toFixed(4), ms(r.imblearn.seconds)],
    ['imblearn SMOTENC (raw numerics)', r.imblearnRaw.counts.join(' / '), ir.mean.toFixed(4), ir.std.toFixed(4), ms(r.imblearnRaw.seconds)],
    ['no resampling', r.countsNone.join(' / '), r.none.toFixed(4), '', ''],
  ]));
  console.log(`synthetic rows' category frequencies, mean total-variation distance (seeds 0-${seeds.length / 2 - 1} vs ${seeds.length / 2}-${seeds.length - 1}): Lepton vs imblearn ${r.categoryTv.toFixed(4)}, imblearn vs imblearn ${r.categoryTvImblearnSeeds.toFixed(4)}, Lepton vs Lepton ${r.categoryTvLeptonSeeds.toFixed(4)}`);
  return {
    seeds,
    lepton: { counts: r.lepton.counts, auc: l, seconds: meanSd(seconds).mean },
    imblearn: { counts: r.imblearn.counts, auc: i, seconds: meanSd(r.imblearn.seconds).mean },
    imblearnRawNumerics: { counts: r.imblearnRaw.counts, auc: ir },
    noResampling: r.none,
    categoryTv: r.categoryTv,
    categoryTvImblearnSeeds: r.categoryTvImblearnSeeds,
    categoryTvLeptonSeeds: r.categoryTvLeptonSeeds,
  };
}
