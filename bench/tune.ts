/**
 * Tuning beside Optuna on credit-g with XGBoost: time to reach a target validation ROC-AUC, and
 * the best reached, for Lepton (TPE + ASHA, worker processes) and Optuna (TPE + MedianPruner,
 * n_jobs threads). Both search the same space (Lepton's default XGBoost space) on the same
 * encoded train/validation matrices (Lepton's fixed split for seed 42), with the same number of
 * parallel workers (2) and the cores divided between them, under the same time budget.
 * Second part (`tuneMlpBench`): an MLP on a Fashion-MNIST subset, Lepton beside Optuna + PyTorch
 * (bench/peers/tune_optuna_mlp.py), same space, split, workers and threads.
 * Each run also reports the time each side took to the score both reached (the lower of the two
 * bests), a target every split allows.
 *   node dist/bench/tune.js [seconds] [targetAuc]
 *   node dist/bench/tune.js xgb|mlp [seconds] [targetAuc] [seeds]
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { textTable } from '../src/eval/format.js';
import { packageRoot } from '../src/package-root.js';
import { openHome } from '../src/registry/open.js';
import { prepareObjective } from '../src/tune/objective.js';
import { runStudy } from '../src/tune/runner.js';
import { DEFAULT_SPACES, type SearchSpace } from '../src/tune/space.js';
import { locateFashionMnist, readIdx } from '../src/data/readers/idx.js';

/** The encoded train/validation matrices, as the files the Python peers read. */
function writePeerMatrices(dir: string, obj: Awaited<ReturnType<typeof prepareObjective>>): void {
  writeFileSync(join(dir, 'xtrain.f32'), obj.train.x);
  writeFileSync(join(dir, 'ytrain.i32'), obj.train.y as Int32Array);
  writeFileSync(join(dir, 'xval.f32'), obj.val.x);
  writeFileSync(join(dir, 'yval.i32'), obj.val.y as Int32Array);
}

interface Side {
  /** Since the search started (the data in memory as matrices). */
  timeToTargetS: number | null;
  best: number | null;
  trials: number;
  complete: number;
  pruned: number;
}

/**
 * Lepton's side: a study in a fresh home under `dir`; each finished trial's time since the search
 * started (failed trials left out), and how long reading and encoding the data file took before
 * it. The peers' clocks start once their matrices are loaded, so the search is timed from the
 * same point on both sides; `prepS` says what Lepton's reading of the CSV adds.
 */
async function leptonStudy(dir: string, options: Omit<Parameters<typeof runStudy>[2], 'onTrial' | 'onStart'>): Promise<{ events: { t: number; state: string; value: number | null }[]; prepS: number }> {
  const home = await openHome({ dir: join(dir, 'home') });
  const events: { t: number; state: string; value: number | null }[] = [];
  const t0 = performance.now();
  let prepMs = 0;
  try {
    await runStudy(home, { keyId: null, name: 'bench' }, {
      ...options,
      onStart: () => (prepMs = performance.now() - t0),
      onTrial: (e) => e.trial.state !== 'failed' && events.push({ t: (e.elapsedMs - prepMs) / 1000, state: e.trial.state, value: e.trial.state === 'complete' ? e.trial.value : null }),
    });
  } finally {
    await home.close();
  }
  return { events, prepS: prepMs / 1000 };
}

function summarize(events: { t: number; state: string; value: number | null }[], target: number): Side {
  const sorted = [...events].sort((a, b) => a.t - b.t);
  const hit = sorted.find((e) => e.state === 'complete' && e.value !== null && e.value >= target);
  const values = sorted.filter((e) => e.state === 'complete' && e.value !== null).map((e) => e.value!);
  return { timeToTargetS: hit ? hit.t : null, best: values.length ? Math.max(...values) : null, trials: sorted.length, complete: values.length, pruned: sorted.filter((e) => e.state === 'pruned').length };
}

type Events = { t: number; state: string; value: number | null }[];

/**
 * A target each split allows: the score both searches reached (the lower of the two bests), and
 * when each first reached it. On credit-g's 150 validation rows the best reachable AUC ranges
 * from 0.79 to 0.93 between splits, so one fixed target is out of reach on most of them.
 */
function bothReached(lepton: Events, peer: Events): { score: number | null; lepton: number | null; optuna: number | null } {
  const best = (e: Events) => summarize(e, Infinity).best;
  const [a, b] = [best(lepton), best(peer)];
  if (a === null || b === null) return { score: null, lepton: null, optuna: null };
  const score = Math.min(a, b);
  return { score, lepton: summarize(lepton, score).timeToTargetS, optuna: summarize(peer, score).timeToTargetS };
}

const fmt = (v: number | null, d = 4) => (v === null || !Number.isFinite(v) ? '—' : v.toFixed(d));

/** One search per side: times since the search started; Lepton's reading of the data file beside it. */
function printSides(title: string, lepton: Side & { prepS: number }, peerName: string, peer: Side, common: ReturnType<typeof bothReached>): void {
  console.log(`\n${title}`);
  console.log(textTable([
    ['tuner', 'time to target (s)', 'best AUC', 'trials', 'complete', 'pruned'],
    ['Lepton TPE + ASHA', fmt(lepton.timeToTargetS, 1), fmt(lepton.best), String(lepton.trials), String(lepton.complete), String(lepton.pruned)],
    [peerName, fmt(peer.timeToTargetS, 1), fmt(peer.best), String(peer.trials), String(peer.complete), String(peer.pruned)],
  ]));
  console.log(`Times count from the start of the search (matrices in memory); reading and encoding the data file took Lepton ${lepton.prepS.toFixed(1)} s before it.`);
  console.log(`The score both reached (${fmt(common.score)}): Lepton at ${fmt(common.lepton, 1)} s, ${peerName} at ${fmt(common.optuna, 1)} s.`);
}

/** Both parts: XGBoost on credit-g, then the MLP on Fashion-MNIST (`node dist/bench/run.js tune`). */
export async function tuneBench(options: { seconds?: number; target?: number; workers?: number; seed?: number; mlpSeconds?: number; mlpTarget?: number } = {}): Promise<Record<string, unknown>> {
  const xgb = await tuneXgbBench(options);
  const mlp = await tuneMlpBench({ workers: options.workers, seed: options.seed, seconds: options.mlpSeconds, target: options.mlpTarget });
  return { ...xgb, mlp };
}

/** XGBoost on credit-g: Lepton's default XGBoost space on both sides. */
export async function tuneXgbBench(options: { seconds?: number; target?: number; workers?: number; seed?: number } = {}): Promise<Record<string, unknown>> {
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
  writePeerMatrices(dir, obj);

  // Lepton.
  const ls = await leptonStudy(dir, { data, target: 'class', model: 'xgboost', sampler: 'tpe', time: seconds, parallel: workers, study: 'bench', seed });
  const lepton = { ...summarize(ls.events, target), prepS: ls.prepS };

  // Optuna.
  const cfg = { dir, numFeatures: obj.numFeatures, space: DEFAULT_SPACES.xgboost, seconds, workers, threads, seed, rounds: 1000, earlyStoppingRounds: 50, reportEvery: 10 };
  writeFileSync(join(dir, 'cfg.json'), JSON.stringify(cfg));
  const python = process.env.PEER_PYTHON ?? '/usr/bin/python3';
  const peer = JSON.parse(execFileSync(python, [join(root, 'bench', 'peers', 'tune_optuna.py'), join(dir, 'cfg.json')], { encoding: 'utf8', maxBuffer: 1 << 26 })) as { optuna: string; xgboost: string; events: { t: number; state: string; value: number | null }[] };
  const optuna = summarize(peer.events, target);
  const common = bothReached(ls.events, peer.events);

  printSides(`Tuning XGBoost on credit-g (${obj.rows.train} train / ${obj.rows.val} validation rows, seed ${seed}): ${workers} workers × ${threads} thread(s), ${seconds} s budget, target validation ROC-AUC ${target}`, lepton, `Optuna ${peer.optuna} TPE + MedianPruner`, optuna, common);
  return { config: { seconds, target, workers, threads, seed, space: 'DEFAULT_SPACES.xgboost' }, lepton, optuna, common, versions: { optuna: peer.optuna, xgboostPython: peer.xgboost } };
}

/**
 * The MLP search space both sides search: learning rate, hidden widths, dropout and weight decay;
 * batch size, epochs and the optimizer (AdamW, Lepton's default) are fixed (single choices), and
 * epochs are ASHA's / the pruner's resource.
 */
export const MLP_BENCH_SPACE: SearchSpace = {
  lr: { type: 'loguniform', low: 1e-4, high: 1e-2 },
  hidden: { type: 'categorical', choices: [[64], [128], [256], [256, 128]] },
  dropout: { type: 'uniform', low: 0, high: 0.5 },
  weightDecay: { type: 'loguniform', low: 1e-6, high: 1e-2 },
  batchSize: { type: 'categorical', choices: [128] },
  epochs: { type: 'categorical', choices: [10] },
  optimizer: { type: 'categorical', choices: ['adamw'] },
};

/**
 * Tuning an MLP on a Fashion-MNIST subset beside Optuna: the first `rows` training images (784
 * pixels scaled to 0–1, 10 classes) written as a CSV that Lepton's study reads; Lepton's fixed
 * split (70/15/15, seed) and fitted standardisation give the train/validation matrices, which are
 * written for the Optuna peer so both sides train on identical numbers. Objective on both sides:
 * validation macro one-vs-rest ROC-AUC (Lepton's classification objective); 1 torch thread per
 * worker on both sides.
 */
export async function tuneMlpBench(options: { seconds?: number; target?: number; workers?: number; seed?: number; rows?: number } = {}): Promise<Record<string, unknown>> {
  const root = packageRoot();
  const seconds = options.seconds ?? 120;
  const target = options.target ?? 0.988;
  const workers = options.workers ?? 2;
  const seed = options.seed ?? 42;
  const rows = options.rows ?? 10_000;
  const dir = mkdtempSync(join(tmpdir(), 'lepton-tune-mlp-bench-'));

  // The subset as a CSV (pixels / 255).
  const fm = locateFashionMnist();
  const gz = (f: string) => (existsSync(join(fm, `${f}.gz`)) ? join(fm, `${f}.gz`) : join(fm, f));
  const images = await readIdx(gz('train-images-idx3-ubyte'));
  const labels = await readIdx(gz('train-labels-idx1-ubyte'));
  const px = images.shape.slice(1).reduce((a, b) => a * b, 1);
  const n = Math.min(rows, images.shape[0]!);
  const lines = [[...Array.from({ length: px }, (_, p) => `p${p}`), 'label'].join(',')];
  for (let i = 0; i < n; i++) {
    const row = new Array<string>(px + 1);
    for (let p = 0; p < px; p++) {
      const v = images.data[i * px + p]!;
      row[p] = v === 0 ? '0' : (v / 255).toFixed(4);
    }
    row[px] = `c${labels.data[i]}`;
    lines.push(row.join(','));
  }
  const data = join(dir, 'fashion-subset.csv');
  writeFileSync(data, lines.join('\n') + '\n');

  // The same matrices for the peer.
  const obj = await prepareObjective(data, { target: 'label', seed });
  writePeerMatrices(dir, obj);

  // Lepton: ASHA rungs at 3 and 9 epochs (min 3, factor 3, max 10).
  const ls = await leptonStudy(dir, { data, target: 'label', model: 'mlp', space: MLP_BENCH_SPACE, sampler: 'tpe', time: seconds, parallel: workers, study: 'bench-mlp', seed });
  const lepton = { ...summarize(ls.events, target), prepS: ls.prepS };

  // Optuna: MedianPruner on −validation log-loss per epoch, no pruning before epoch 3 (ASHA's first rung).
  const cfg = { dir, numFeatures: obj.numFeatures, numClasses: obj.numClasses, space: MLP_BENCH_SPACE, seconds, workers, seed, warmupEpochs: 2 };
  writeFileSync(join(dir, 'cfg.json'), JSON.stringify(cfg));
  const python = process.env.PEER_PYTHON ?? '/usr/bin/python3';
  const peer = JSON.parse(execFileSync(python, [join(root, 'bench', 'peers', 'tune_optuna_mlp.py'), join(dir, 'cfg.json')], { encoding: 'utf8', maxBuffer: 1 << 26 })) as { optuna: string; torch: string; events: { t: number; state: string; value: number | null }[] };
  const optuna = summarize(peer.events, target);
  const common = bothReached(ls.events, peer.events);

  printSides(`Tuning an MLP on Fashion-MNIST (first ${n} training images; ${obj.rows.train} train / ${obj.rows.val} validation rows, seed ${seed}): ${workers} workers × 1 torch thread, ${seconds} s budget, up to 10 epochs, target validation macro ROC-AUC ${target}`, lepton, `Optuna ${peer.optuna} TPE + MedianPruner (torch ${peer.torch})`, optuna, common);
  return { config: { seconds, target, workers, threads: 1, seed, rows: { subset: n, ...obj.rows }, space: MLP_BENCH_SPACE }, lepton, optuna, common, versions: { optuna: peer.optuna, torchPython: peer.torch } };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const part = process.argv[2];
  if (part === 'mlp' || part === 'xgb') {
    // One search per seed (its own split): which early trial reaches an easy target is partly
    // luck, so several seeds and the median say more than one run.
    const [seconds, target, seeds] = process.argv.slice(3).map(Number);
    const bench = part === 'mlp' ? tuneMlpBench : tuneXgbBench;
    const runs: { seed: number; lepton: number | null; withPrep: number | null; optuna: number | null; common: ReturnType<typeof bothReached> }[] = [];
    for (let seed = 42; seed < 42 + (seeds || 1); seed++) {
      const r = (await bench({ seconds: seconds || undefined, target: target || undefined, seed })) as { lepton: Side & { prepS: number }; optuna: Side; common: ReturnType<typeof bothReached> };
      const t = r.lepton.timeToTargetS;
      runs.push({ seed, lepton: t, withPrep: t === null ? null : t + r.lepton.prepS, optuna: r.optuna.timeToTargetS, common: r.common });
    }
    if (runs.length > 1) {
      // A search that never reaches the target counts as slower than any that does.
      const median = (v: (number | null)[]) => v.map((x) => x ?? Infinity).sort((x, y) => x - y)[Math.floor((v.length - 1) / 2)]!;
      const cells = (r: { lepton: number | null; withPrep: number | null; optuna: number | null }) => [fmt(r.lepton, 1), fmt(r.withPrep, 1), fmt(r.optuna, 1)];
      const med = { lepton: median(runs.map((r) => r.lepton)), withPrep: median(runs.map((r) => r.withPrep)), optuna: median(runs.map((r) => r.optuna)) };
      console.log(textTable([['seed', 'Lepton time to target (s)', 'Lepton incl. reading the data (s)', 'Optuna time to target (s)'], ...runs.map((r) => [String(r.seed), ...cells(r)]), ['median', ...cells(med)]]));
      console.log(`Lepton first in ${runs.filter((r) => (r.lepton ?? Infinity) < (r.optuna ?? Infinity)).length} of ${runs.length} seeds`);
      console.log(`\nTime to the score both searches reached in the split (the lower of the two bests)`);
      const c = runs.map((r) => r.common);
      const medC = { lepton: median(c.map((x) => x.lepton)), optuna: median(c.map((x) => x.optuna)) };
      console.log(textTable([['seed', 'score', 'Lepton (s)', 'Optuna (s)'], ...runs.map((r) => [String(r.seed), fmt(r.common.score), fmt(r.common.lepton, 1), fmt(r.common.optuna, 1)]), ['median', '', fmt(medC.lepton, 1), fmt(medC.optuna, 1)]]));
      console.log(`Lepton first in ${c.filter((x) => (x.lepton ?? Infinity) < (x.optuna ?? Infinity)).length} of ${runs.length} seeds`);
    }
  } else {
    const [seconds, target] = process.argv.slice(2).map(Number);
    await tuneBench({ seconds: seconds || undefined, target: target || undefined });
  }
}
