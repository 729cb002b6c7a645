/**
 * AutoML beside the CV peers: stratified 5-fold CV ROC-AUC on credit-g and breast-cancer of
 * Lepton AutoML (`fitAutoML`, all four families, TPE + ASHA, OOF ensemble) with a fixed time
 * budget PER FOLD (default 60 s: the whole search and the OOF fits of one fold), beside the
 * scikit-learn / XGBoost peers of the cv bench (bench/peers/cv_peers.py, their default
 * settings). In each fold the training part is split again as `train` splits (85/15
 * train/validation) for tuning; the held-out fold is scored once. Seed 0 for the folds; the peers
 * are scored on exactly Lepton's folds (a fold file for cv_peers.py), so each fold is a paired
 * comparison and the table gives Lepton's mean per-fold difference to each peer.
 *   node dist/bench/run.js automl            (or: node dist/bench/automl.js [secondsPerFold])
 *   AUTOML_SECONDS_PER_FOLD=300 AUTOML_SEED=1 AUTOML_DATASETS=credit-g node dist/bench/run.js automl
 *   AUTOML_SECONDS_PER_FOLD=60 AUTOML_DATASETS=digits,wine node dist/bench/automl.js   (generalisation sets)
 *   AUTOML_FILES=diabetes.arff,glass.arff:Type node dist/bench/automl.js   (any file; the target
 *   after a colon, else the last column — Weka's examples: `apt-get download weka`, dpkg -x)
 * AUTOML_TRIALS=N budgets N trials per family instead of time (the same tuning whatever the
 * machine's load). AUTOML_NO_BAG=both also fits each fold with `bag: false` (refitted members)
 * and reports it beside the bagged default, paired per fold: with a trial budget the two differ
 * only in what ships (and in the folds' pipelines).
 *   AUTOML_TRIALS=30 AUTOML_NO_BAG=both AUTOML_DATASETS=credit-g node dist/bench/automl.js
 * AUTOML_FAMILIES=forest (comma-separated) tunes only those families (one family: no ensemble);
 * AUTOML_INNER_FOLDS=N sets AutoML's own out-of-fold folds (default 5).
 * AUTOML_EARLY_STOP=0 tunes every family for its whole share of the budget (`earlyStop: false`,
 * as before the plateau rule); each fold's line gives the trials per family, an asterisk where
 * the family's tuning ended on a plateau.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { fitAutoML } from '../src/automl/automl.js';
import { reportFor } from '../src/eval/evaluate.js';
import { textTable } from '../src/eval/format.js';
import type { FamilyName } from '../src/models/spec.js';
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

/**
 * A dataset named by path, `FILE[:TARGET]`; without TARGET the last column is the target (Weka's
 * convention for ARFF files).
 */
function fileDataset(spec: string): { name: string; path: string; target?: string } {
  const at = spec.lastIndexOf(':');
  const [path, target] = at > 0 ? [spec.slice(0, at), spec.slice(at + 1)] : [spec, undefined];
  return { name: basename(path).replace(/\.[^.]+$/, ''), path, target };
}

export async function automlBench(options: { python?: string; secondsPerFold?: number; trials?: number; alsoRefit?: boolean; folds?: number; seed?: number; datasets?: string[]; files?: string[] } = {}): Promise<Record<string, unknown>> {
  const root = packageRoot();
  const python = options.python ?? process.env.PEER_PYTHON ?? '/usr/bin/python3';
  const seconds = options.secondsPerFold ?? Number(process.env.AUTOML_SECONDS_PER_FOLD ?? 60);
  const k = options.folds ?? 5;
  const seed = options.seed ?? Number(process.env.AUTOML_SEED ?? 0);
  const only = options.datasets ?? process.env.AUTOML_DATASETS?.split(',');
  const trialBudget = options.trials ?? (process.env.AUTOML_TRIALS ? Number(process.env.AUTOML_TRIALS) : undefined);
  const alsoRefit = options.alsoRefit ?? process.env.AUTOML_NO_BAG === 'both';
  const earlyStop = process.env.AUTOML_EARLY_STOP !== '0';
  const families = process.env.AUTOML_FAMILIES?.split(',') as FamilyName[] | undefined;
  const innerFolds = process.env.AUTOML_INNER_FOLDS ? Number(process.env.AUTOML_INNER_FOLDS) : undefined;
  const budget = trialBudget ? { trials: trialBudget } : { time: seconds };
  const budgetText = trialBudget ? `${trialBudget} trials per family` : `${seconds} s per fold`;
  const all = [
    { name: 'credit-g', path: join(root, 'data', 'credit-g.arff'), target: 'class' },
    { name: 'breast-cancer-wisconsin', path: join(root, 'data', 'breast-cancer-wisconsin.csv'), target: 'diagnosis' },
    // Generalisation: scikit-learn's bundled digits (1,797 rows, 10 classes) and wine (178 rows,
    // 3 classes), never used to choose Lepton's defaults or spaces; only when named.
    ...(['digits', 'wine'] as const).filter((n) => only?.includes(n)).map((n) => ({ name: n, path: sklearnDataset(python, n), target: 'target' })),
  ];
  const files = (options.files ?? process.env.AUTOML_FILES?.split(',') ?? []).map(fileDataset);
  const sets = [...all.filter((s) => (!only && !files.length) || only?.includes(s.name)), ...files];
  const out: Record<string, unknown> = { config: { ...budget, folds: k, innerFolds, seed, alsoRefit, earlyStop, families } };
  for (const set of sets) {
    const table = await loadInput(set.path);
    const s = { ...set, target: set.target ?? table.columnNames.at(-1)! };
    const encoded = fitTarget(table, s.target);
    const features = table.columnNames.filter((c) => c !== s.target);
    const folds = stratifiedFolds(encoded.y, k, seed);
    const aucs: number[] = [];
    const refitAucs: number[] = [];
    const chosen: string[] = [];
    const trials: number[] = [];
    const perFamily: string[] = [];
    const wall: number[] = [];
    for (let f = 0; f < k; f++) {
      const held = folds[f]!;
      const rest = Int32Array.from(folds.flatMap((fold, i) => (i === f ? [] : Array.from(fold))));
      const ySub = Int32Array.from(rest, (p) => encoded.y[p]!);
      const inner = stratifiedSplit(ySub, { val: 0.15, test: 0 }, seed + f);
      const heldAuc = async (model: Awaited<ReturnType<typeof fitAutoML>>['model']): Promise<number> => {
        const pred = await model.predictFeatures(model.pipeline.transform(table, held.map((p) => encoded.rows[p]!)));
        const rep = reportFor(model, pred, Int32Array.from(held, (p) => encoded.y[p]!));
        return rep.task === 'classification' && rep.rocAuc !== null ? rep.rocAuc : NaN;
      };
      const fitFold = (bag: boolean) => fitAutoML(table, encoded, features, inner.train.map((i) => rest[i]!), inner.val.map((i) => rest[i]!), { target: s.target, seed, ...budget, bag, earlyStop, families, folds: innerFolds });
      if (alsoRefit) {
        const r = await fitFold(false);
        refitAucs.push(await heldAuc(r.model));
        r.model.dispose();
      }
      const t = performance.now();
      const r = await fitFold(true);
      try {
        aucs.push(await heldAuc(r.model));
        chosen.push(r.model.manifest.selected === 'ensemble' ? `ensemble(${Object.entries(r.weights).map(([n, w]) => `${n} ${w!.toFixed(2)}`).join(', ')})` : r.model.manifest.selected);
        trials.push(r.leaderboard.reduce((a, e) => a + (e.trials?.total ?? 0), 0));
        // Per family: trials, and where tuning stopped on a plateau (an asterisk).
        perFamily.push(r.leaderboard.filter((e) => e.trials).map((e) => `${e.name} ${e.trials!.total}${e.plateau ? '*' : ''}`).join(', '));
      } finally {
        r.model.dispose();
      }
      wall.push((performance.now() - t) / 1000);
      console.error(`${s.name} fold ${f + 1}: ROC-AUC ${aucs.at(-1)?.toFixed(4)}${alsoRefit ? ` (refitted: ${refitAucs.at(-1)?.toFixed(4)})` : ''} (${chosen.at(-1)}, ${trials.at(-1)} trials: ${perFamily.at(-1)}; ${wall.at(-1)!.toFixed(1)} s)`);
    }
    const foldOf = new Array<number>(table.numRows).fill(-1);
    folds.forEach((fold, f) => fold.forEach((p) => (foldOf[encoded.rows[p]!] = f)));
    const foldFile = join(mkdtempSync(join(tmpdir(), 'lepton-automl-bench-')), 'folds.json');
    writeFileSync(foldFile, JSON.stringify(foldOf));
    // A peer that cannot read the file costs its columns, not Lepton's folds already scored.
    let peerFolds: Record<string, number[]> = {};
    try {
      peerFolds = JSON.parse(execFileSync(python, [join(root, 'bench', 'peers', 'cv_peers.py'), s.path, s.target, String(k), String(seed), foldFile], { encoding: 'utf8', maxBuffer: 1 << 26, stdio: ['ignore', 'pipe', 'pipe'] })) as Record<string, number[]>;
    } catch (e) {
      const stderr = String((e as { stderr?: unknown }).stderr ?? (e as Error).message).trim();
      console.error(`${s.name}: the peers failed, reported without them: ${stderr.split('\n').at(-1)}`);
    }
    const lepton = meanStd(aucs);
    // Per-fold scores beside Lepton's (bagged) ones, paired fold by fold.
    const beside = (v: number[]) => ({ ...meanStd(v), folds: v, diff: meanStd(aucs.map((a, i) => a - v[i]!)), leptonAhead: aucs.filter((a, i) => a > v[i]!).length });
    const peers = Object.fromEntries(Object.entries(peerFolds).map(([n, v]) => [n, beside(v)]));
    const ratio = Object.keys(peers).length ? lepton.mean / Math.max(...Object.values(peers).map((p) => p.mean)) : null;
    const refitted = alsoRefit ? beside(refitAucs) : undefined;
    out[s.name] = { lepton: { ...lepton, folds: aucs, chosen, trials, secondsPerFold: wall }, refitted, peers, ratioToBestPeer: ratio };
    console.log(`\n${k}-fold CV ROC-AUC on ${s.name} (seed ${seed}); Lepton AutoML with ${budgetText}`);
    const rows = [['model', 'ROC-AUC mean', 'std', 'Lepton − model, per fold (mean ± sd)', 'folds Lepton ahead']];
    rows.push([`Lepton AutoML (${meanStd(wall).mean.toFixed(0)} s/fold, ${meanStd(trials).mean.toFixed(0)} trials/fold)`, lepton.mean.toFixed(4), lepton.std.toFixed(4), '', '']);
    const others = { ...(refitted ? { 'Lepton AutoML, refitted (--no-bag)': refitted } : {}), ...peers };
    for (const [n, p] of Object.entries(others)) rows.push([n, p.mean.toFixed(4), p.std.toFixed(4), `${p.diff.mean >= 0 ? '+' : ''}${p.diff.mean.toFixed(4)} ± ${p.diff.std.toFixed(4)}`, `${p.leptonAhead} of ${k}`]);
    console.log(textTable(rows));
    console.log(`Lepton AutoML / best peer: ${ratio?.toFixed(4) ?? '— (no peer scores)'}; chosen per fold: ${chosen.join('; ')}`);
  }
  return out;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const seconds = Number(process.argv[2]);
  await automlBench({ secondsPerFold: seconds || undefined });
}
