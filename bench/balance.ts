/**
 * SMOTE beside imbalanced-learn on credit-g: the same encoded training rows resampled by each
 * (five seeds), then the same scikit-learn logistic regression trained on every resampled set
 * and scored on the same untouched test split. Same class counts, same AUC within noise is the
 * target.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readTable } from '../src/data/readers/index.js';
import { textTable } from '../src/eval/format.js';
import { packageRoot } from '../src/package-root.js';
import { balance } from '../src/prep/balance.js';
import { Pipeline } from '../src/prep/pipeline.js';
import { stratifiedSplit } from '../src/prep/split.js';
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
  return { lepton: { counts: r.countsLepton, auc: l }, imblearn: { counts: r.countsImblearn, auc: i }, noResampling: r.none };
}
