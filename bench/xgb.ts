/**
 * Repeated XGBoost fits in one process, as a tuner or AutoML makes them: the same booster (the
 * family's defaults, early stopping on validation, then a prediction of the validation rows)
 * fitted `fits` times on scikit-learn's digits (10 classes), Lepton through its addon and
 * Python's xgboost package beside it on the same matrices and threads. Reported: median seconds
 * per fit and the ratio. A single fit would not show what this is for: before the addon ran all
 * XGBoost work on one thread, every fit after the first took 5× longer (OpenMP teams on several
 * threads; see native/xgb.cc).
 *   node dist/bench/run.js xgb
 * @module
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { textTable } from '../src/eval/format.js';
import { resolveParams, type XgbParams } from '../src/models/spec.js';
import { fitXgb } from '../src/models/xgboost-family.js';
import { packageRoot } from '../src/package-root.js';
import { loadInput } from '../src/train/train.js';
import { prepareObjective } from '../src/tune/objective.js';

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;

export async function xgbBench(python: string, o: { fits?: number; threads?: number } = {}): Promise<Record<string, unknown>> {
  const root = packageRoot();
  const dir = mkdtempSync(join(tmpdir(), 'lepton-xgb-bench-'));
  const csv = join(dir, 'digits.csv');
  execFileSync(python, [join(root, 'bench', 'peers', 'sklearn_dataset.py'), 'digits', csv]);
  const data = await prepareObjective(await loadInput(csv), { target: 'target', seed: 42 });
  const threads = o.threads ?? availableParallelism();
  const fits = o.fits ?? 6;
  const params = resolveParams('xgboost', {}) as XgbParams;
  const ctx = { task: 'classification' as const, numClasses: data.numClasses, numFeatures: data.numFeatures, seed: 42, torchThreads: 1, xgbThreads: threads };
  const lepton: number[] = [];
  const leptonRounds: number[] = [];
  for (let i = 0; i < fits; i++) {
    const t = performance.now();
    const m = await fitXgb(params, data.train, data.val, ctx);
    await m.predict(data.val.x);
    lepton.push((performance.now() - t) / 1000);
    leptonRounds.push(m.info.bestEpoch);
    m.dispose();
  }
  writeFileSync(join(dir, 'x_train.f32'), data.train.x);
  writeFileSync(join(dir, 'y_train.f32'), Float32Array.from(data.train.y));
  writeFileSync(join(dir, 'x_val.f32'), data.val.x);
  writeFileSync(join(dir, 'y_val.f32'), Float32Array.from(data.val.y));
  // The booster parameters fitXgb sets, in XGBoost's own vocabulary.
  const booster = { eta: params.learningRate, max_depth: params.maxDepth, min_child_weight: params.minChildWeight, subsample: params.subsample, colsample_bytree: params.colsampleBytree, lambda: params.lambda, alpha: params.alpha, tree_method: 'hist', nthread: threads, seed: 42, objective: 'multi:softprob', num_class: data.numClasses, eval_metric: 'mlogloss' };
  const cfg = { numFeatures: data.numFeatures, fits, rounds: params.rounds, earlyStoppingRounds: params.earlyStoppingRounds, params: booster };
  const peer = JSON.parse(execFileSync(python, [join(root, 'bench', 'peers', 'xgb_fits.py'), dir, JSON.stringify(cfg)], { encoding: 'utf8' })) as { seconds: number[]; bestRounds: number[]; xgboost: string };
  const l = median(lepton);
  const p = median(peer.seconds);
  console.log(`\nXGBoost: ${fits} fits in one process (digits, ${data.train.y.length} rows × ${data.numFeatures}, 10 classes, early stopping on ${data.val.y.length} rows, ${threads} threads)`);
  console.log(
    textTable([
      ['engine', 'median s/fit', 'each fit (s)', 'best rounds', 'ratio'],
      ['Lepton (XGBoost via N-API)', l.toFixed(2), lepton.map((s) => s.toFixed(2)).join(' '), String(median(leptonRounds)), (p / l).toFixed(2)],
      [`xgboost ${peer.xgboost} (Python)`, p.toFixed(2), peer.seconds.map((s) => s.toFixed(2)).join(' '), String(median(peer.bestRounds)), '1.00'],
    ]),
  );
  console.log('ratio: the peer\'s median seconds over Lepton\'s (above 1: Lepton is faster)');
  return { config: { fits, threads, rows: data.train.y.length, features: data.numFeatures }, leptonSeconds: lepton, peerSeconds: peer.seconds, leptonBestRounds: leptonRounds, peerBestRounds: peer.bestRounds, speedup: p / l, xgboost: peer.xgboost };
}
