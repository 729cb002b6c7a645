/**
 * AutoML beside the CV peers: stratified 5-fold CV ROC-AUC on credit-g and breast-cancer of
 * Lepton AutoML (`fitAutoML`, all four families, TPE + ASHA, OOF ensemble) with a fixed time
 * budget PER FOLD (default 60 s: the whole search, OOF fits and refit of one fold), beside the
 * scikit-learn / XGBoost peers of the cv bench (bench/peers/cv_peers.py, their default
 * settings). In each fold the training part is split again as `train` splits (85/15
 * train/validation) for tuning; the held-out fold is scored once. Seed 0 for the folds; the peers
 * are scored on exactly Lepton's folds (a fold file for cv_peers.py), so each fold is a paired
 * comparison and the table gives Lepton's mean per-fold difference to each peer.
 *   node dist/bench/run.js automl            (or: node dist/bench/automl.js [secondsPerFold])
 *   AUTOML_SECONDS_PER_FOLD=300 AUTOML_SEED=1 AUTOML_DATASETS=credit-g node dist/bench/run.js automl
 *   AUTOML_SECONDS_PER_FOLD=60 AUTOML_DATASETS=digits,wine node dist/bench/automl.js   (generalisation sets)
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { fitAutoML } from '../src/automl/automl.js';
import { reportFor } from '../src/eval/evaluate.js';
import { textTable } from '../src/eval/format.js';
import { packageRoot } from '../src/package-root.js';
import { stratifiedFolds, stratifiedSplit } from '../src/prep/split.js';
import { fitTarget } from '../src/prep/target.js';
import { loadInput } from '../src/train/train.js';

const meanStd = (v: number[]) => {
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  return { mean, std: v.length > 1 ? Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / (v.length - 1)) : 0 };
};

/** One of scikit-learn's bundled datasets as a CSV in a scratch folder (bench/peers/sklearn_dataset.py). */
function sklearnDataset(python: string, name: string): string {
  const out = join(mkdtempSync(join(tmpdir(), 'lepton-sklearn-')), `${name}.csv`);
  execFileSync(python, [join(packageRoot(), 'bench', 'peers', 'sklearn_dataset.py'), name, out]);
  return out;
}

export async function automlBench(options: { python?: string; secondsPerFold?: number; folds?: number; seed?: number; datasets?: string[] } = {}): Promise<Record<string, unknown>> {
  const root = packageRoot();
  const python = options.python ?? process.env.PEER_PYTHON ?? '/usr/bin/python3';
  const seconds = options.secondsPerFold ?? Number(process.env.AUTOML_SECONDS_PER_FOLD ?? 60);
  const k = options.folds ?? 5;
  const seed = options.seed ?? Number(process.env.AUTOML_SEED ?? 0);
  const only = options.datasets ?? process.env.AUTOML_DATASETS?.split(',');
  const all = [
    { name: 'credit-g', path: join(root, 'data', 'credit-g.arff'), target: 'class' },
    { name: 'breast-cancer-wisconsin', path: join(root, 'data', 'breast-cancer-wisconsin.csv'), target: 'diagnosis' },
    // Generalisation: scikit-learn's bundled digits (1,797 rows, 10 classes) and wine (178 rows,
    // 3 classes), never used to choose Lepton's defaults or spaces; only when named.
    ...(['digits', 'wine'] as const).filter((n) => only?.includes(n)).map((n) => ({ name: n, path: sklearnDataset(python, n), target: 'target' })),
  ];
  const sets = all.filter((s) => !only || only.includes(s.name));
  const out: Record<string, unknown> = { config: { secondsPerFold: seconds, folds: k, seed } };
  for (const s of sets) {
    const table = await loadInput(s.path);
    const encoded = fitTarget(table, s.target);
    const features = table.columnNames.filter((c) => c !== s.target);
    const folds = stratifiedFolds(encoded.y, k, seed);
    const aucs: number[] = [];
    const chosen: string[] = [];
    const trials: number[] = [];
    const wall: number[] = [];
    for (let f = 0; f < k; f++) {
      const held = folds[f]!;
      const rest = Int32Array.from(folds.flatMap((fold, i) => (i === f ? [] : Array.from(fold))));
      const ySub = Int32Array.from(rest, (p) => encoded.y[p]!);
      const inner = stratifiedSplit(ySub, { val: 0.15, test: 0 }, seed + f);
      const t = performance.now();
      const r = await fitAutoML(table, encoded, features, inner.train.map((i) => rest[i]!), inner.val.map((i) => rest[i]!), { target: s.target, seed, time: seconds });
      try {
        const pred = await r.model.predictFeatures(r.model.pipeline.transform(table, held.map((p) => encoded.rows[p]!)));
        const rep = reportFor(r.model, pred, Int32Array.from(held, (p) => encoded.y[p]!));
        if (rep.task === 'classification' && rep.rocAuc !== null) aucs.push(rep.rocAuc);
        chosen.push(r.model.manifest.selected === 'ensemble' ? `ensemble(${Object.entries(r.weights).map(([n, w]) => `${n} ${w!.toFixed(2)}`).join(', ')})` : r.model.manifest.selected);
        trials.push(r.leaderboard.reduce((a, e) => a + (e.trials?.total ?? 0), 0));
      } finally {
        r.model.dispose();
      }
      wall.push((performance.now() - t) / 1000);
      console.error(`${s.name} fold ${f + 1}: ROC-AUC ${aucs.at(-1)?.toFixed(4)} (${chosen.at(-1)}, ${trials.at(-1)} trials, ${wall.at(-1)!.toFixed(1)} s)`);
    }
    const foldOf = new Array<number>(table.numRows).fill(-1);
    folds.forEach((fold, f) => fold.forEach((p) => (foldOf[encoded.rows[p]!] = f)));
    const foldFile = join(mkdtempSync(join(tmpdir(), 'lepton-automl-bench-')), 'folds.json');
    writeFileSync(foldFile, JSON.stringify(foldOf));
    const peerFolds = JSON.parse(execFileSync(python, [join(root, 'bench', 'peers', 'cv_peers.py'), s.path, s.target, String(k), String(seed), foldFile], { encoding: 'utf8', maxBuffer: 1 << 26 })) as Record<string, number[]>;
    const lepton = meanStd(aucs);
    const peers = Object.fromEntries(Object.entries(peerFolds).map(([n, v]) => [n, { ...meanStd(v), folds: v, diff: meanStd(aucs.map((a, i) => a - v[i]!)), leptonAhead: aucs.filter((a, i) => a > v[i]!).length }]));
    const best = Math.max(...Object.values(peers).map((p) => p.mean));
    out[s.name] = { lepton: { ...lepton, folds: aucs, chosen, trials, secondsPerFold: wall }, peers, ratioToBestPeer: lepton.mean / best };
    console.log(`\n${k}-fold CV ROC-AUC on ${s.name} (seed ${seed}); Lepton AutoML with ${seconds} s per fold`);
    const rows = [['model', 'ROC-AUC mean', 'std', 'Lepton − model, per fold (mean ± sd)', 'folds Lepton ahead']];
    rows.push([`Lepton AutoML (${meanStd(wall).mean.toFixed(0)} s/fold, ${meanStd(trials).mean.toFixed(0)} trials/fold)`, lepton.mean.toFixed(4), lepton.std.toFixed(4), '', '']);
    for (const [n, p] of Object.entries(peers)) rows.push([n, p.mean.toFixed(4), p.std.toFixed(4), `${p.diff.mean >= 0 ? '+' : ''}${p.diff.mean.toFixed(4)} ± ${p.diff.std.toFixed(4)}`, `${p.leptonAhead} of ${k}`]);
    console.log(textTable(rows));
    console.log(`Lepton AutoML / best peer: ${(lepton.mean / best).toFixed(4)}; chosen per fold: ${chosen.join('; ')}`);
  }
  return out;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const seconds = Number(process.argv[2]);
  await automlBench({ secondsPerFold: seconds || undefined });
}
