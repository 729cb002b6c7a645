/**
 * Tuning beside Optuna on credit-g with XGBoost: time to reach a target validation ROC-AUC, and
 * the best reached, for Lepton (TPE + ASHA, worker processes) and Optuna (TPE + MedianPruner,
 * n_jobs threads). Both search the same space (Lepton's default XGBoost space) on the same
 * encoded train/validation matrices (Lepton's fixed split for seed 42), with the same number of
 * parallel workers (2) and the cores divided between them, under the same time budget.
 *   node dist/bench/tune.js [seconds] [targetAuc]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { textTable } from '../src/eval/format.js';
import { packageRoot } from '../src/package-root.js';
import { openHome } from '../src/registry/open.js';
import { prepareObjective } from '../src/tune/objective.js';
import { runStudy } from '../src/tune/runner.js';
import { DEFAULT_SPACES } from '../src/tune/space.js';

interface Side {
  timeToTargetS: number | null;
  best: number | null;
  trials: number;
  complete: number;
  pruned: number;
}

function summarize(events: { t: number; state: string; value: number | null }[], target: number): Side {
  const sorted = [...events].sort((a, b) => a.t - b.t);
  const hit = sorted.find((e) => e.state === 'complete' && e.value !== null && e.value >= target);
  const values = sorted.filter((e) => e.state === 'complete' && e.value !== null).map((e) => e.value!);
  return { timeToTargetS: hit ? hit.t : null, best: values.length ? Math.max(...values) : null, trials: sorted.length, complete: values.length, pruned: sorted.filter((e) => e.state === 'pruned').length };
}

export async function tuneBench(options: { seconds?: number; target?: number; workers?: number; seed?: number } = {}): Promise<Record<string, unknown>> {
  const root = packageRoot();
  const seconds = options.seconds ?? 60;
  const target = options.target ?? 0.9;
  const workers = options.workers ?? 2;
  const seed = options.seed ?? 42;
  const threads = Math.max(1, Math.floor(availableParallelism() / workers));
  const data = join(root, 'data', 'credit-g.arff');
  const dir = mkdtempSync(join(tmpdir(), 'lepton-tune-bench-'));

  // The same matrices for the peer.
  const obj = await prepareObjective(data, { target: 'class', seed });
  writeFileSync(join(dir, 'xtrain.f32'), obj.train.x);
  writeFileSync(join(dir, 'ytrain.i32'), obj.train.y as Int32Array);
  writeFileSync(join(dir, 'xval.f32'), obj.val.x);
  writeFileSync(join(dir, 'yval.i32'), obj.val.y as Int32Array);

  // Lepton.
  const home = await openHome({ dir: join(dir, 'home') });
  const events: { t: number; state: string; value: number | null }[] = [];
  try {
    await runStudy(home, { keyId: null, name: 'bench' }, {
      data, target: 'class', model: 'xgboost', sampler: 'tpe', time: seconds, parallel: workers, study: 'bench', seed,
      onTrial: (e) => events.push({ t: e.elapsedMs / 1000, state: e.trial.state, value: e.trial.state === 'complete' ? e.trial.value : null }),
    });
  } finally {
    await home.close();
  }
  const lepton = summarize(events.filter((e) => !(e.state === 'failed')), target);

  // Optuna.
  const cfg = { dir, numFeatures: obj.numFeatures, space: DEFAULT_SPACES.xgboost, seconds, workers, threads, seed, rounds: 1000, earlyStoppingRounds: 50, reportEvery: 10 };
  writeFileSync(join(dir, 'cfg.json'), JSON.stringify(cfg));
  const python = process.env.PEER_PYTHON ?? '/usr/bin/python3';
  const peer = JSON.parse(execFileSync(python, [join(root, 'bench', 'peers', 'tune_optuna.py'), join(dir, 'cfg.json')], { encoding: 'utf8', maxBuffer: 1 << 26 })) as { optuna: string; xgboost: string; events: { t: number; state: string; value: number | null }[] };
  const optuna = summarize(peer.events, target);

  const fmt = (v: number | null, d = 4) => (v === null ? '—' : v.toFixed(d));
  console.log(`\nTuning XGBoost on credit-g (${obj.rows.train} train / ${obj.rows.val} validation rows, seed ${seed}): ${workers} workers × ${threads} thread(s), ${seconds} s budget, target validation ROC-AUC ${target}`);
  console.log(textTable([
    ['tuner', 'time to target (s)', 'best AUC', 'trials', 'complete', 'pruned'],
    ['Lepton TPE + ASHA', fmt(lepton.timeToTargetS, 1), fmt(lepton.best), String(lepton.trials), String(lepton.complete), String(lepton.pruned)],
    [`Optuna ${peer.optuna} TPE + MedianPruner`, fmt(optuna.timeToTargetS, 1), fmt(optuna.best), String(optuna.trials), String(optuna.complete), String(optuna.pruned)],
  ]));
  return { config: { seconds, target, workers, threads, seed, space: 'DEFAULT_SPACES.xgboost' }, lepton, optuna, versions: { optuna: peer.optuna, xgboostPython: peer.xgboost } };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [seconds, target] = process.argv.slice(2).map(Number);
  await tuneBench({ seconds: seconds || undefined, target: target || undefined });
}
