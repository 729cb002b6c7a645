/**
 * Benchmarks, each run beside its peer in the same process tree and reported as a ratio.
 *   make bench              all
 *   node dist/bench/run.js mlp | cv
 * Results are printed as tables and written to bench/results/latest.json.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { addon } from '../src/engine/addon.js';
import { crossValidate } from '../src/eval/cv.js';
import { textTable } from '../src/eval/format.js';
import { packageRoot } from '../src/package-root.js';

const root = packageRoot();
// Debian's interpreter, where python3-torch / -sklearn / -xgboost live (a pyenv python3 may shadow it on PATH).
const PYTHON = process.env.PEER_PYTHON ?? '/usr/bin/python3';
const python = (script: string, args: string[]) => execFileSync(PYTHON, [join(root, 'bench', 'peers', script), ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
const results: Record<string, unknown> = { date: new Date().toISOString(), versions: addon().versions() };

/** MLP 100→256→256→10, batch 64, Adam, one thread each, same rows: samples per second. */
async function mlpThroughput(): Promise<void> {
  const cfg = { rows: 50_000, inputDim: 100, hidden: [256, 256], classes: 10, batchSize: 64, epochs: 4, threads: 1 };
  const { TorchMlp } = addon();
  const x = new Float32Array(cfg.rows * cfg.inputDim).map(() => Math.random() * 2 - 1);
  const y = Int32Array.from({ length: cfg.rows }, () => Math.floor(Math.random() * cfg.classes));
  const net = new TorchMlp({ inputDim: cfg.inputDim, outputDim: cfg.classes, hidden: cfg.hidden, activation: 'relu', dropout: 0, batchNorm: false, seed: 0 });
  const lepton: number[] = [];
  let last = 0;
  await net.fit({ x, y }, { task: 'classification', epochs: cfg.epochs, batchSize: cfg.batchSize, optimizer: 'adam', lrPerEpoch: new Float64Array([1e-3]), weightDecay: 0, patience: 0, seed: 0, threads: cfg.threads }, (e) => {
    lepton.push(e.seconds - last);
    last = e.seconds;
  });
  net.dispose();
  const peer = JSON.parse(python('mlp_throughput.py', [JSON.stringify(cfg)])) as { epochSeconds: number[]; torch: string };
  // First epoch is warm-up (allocator, oneDNN primitive caches) for both.
  const rate = (s: number[]) => cfg.rows / (s.slice(1).reduce((a, b) => a + b, 0) / (s.length - 1));
  const l = rate(lepton);
  const p = rate(peer.epochSeconds);
  results.mlp = { config: cfg, leptonSamplesPerSec: l, pytorchSamplesPerSec: p, ratio: l / p, pytorch: peer.torch };
  console.log(`\nMLP training throughput (${cfg.inputDim}→${cfg.hidden.join('→')}→${cfg.classes}, batch ${cfg.batchSize}, Adam, ${cfg.threads} thread)`);
  console.log(textTable([['engine', 'samples/s', 'ratio'], ['Lepton (libtorch via N-API)', l.toFixed(0), (l / p).toFixed(2)], [`PyTorch ${peer.torch} (Python)`, p.toFixed(0), '1.00']]));
}

/** 5-fold CV ROC-AUC of Lepton auto beside scikit-learn / XGBoost peers on the same folds count and seed. */
async function cvAuc(): Promise<void> {
  const sets = [
    { name: 'credit-g', path: join(root, 'data', 'credit-g.arff'), target: 'class' },
    { name: 'breast-cancer-wisconsin', path: join(root, 'data', 'breast-cancer-wisconsin.csv'), target: 'diagnosis' },
  ];
  const cv: Record<string, unknown> = {};
  for (const s of sets) {
    const started = performance.now();
    const lepton = await crossValidate(s.path, { target: s.target, folds: 5, seed: 0 });
    const seconds = (performance.now() - started) / 1000;
    const peers = JSON.parse(python('cv_peers.py', [s.path, s.target, '5', '0'])) as Record<string, { mean: number; std: number }>;
    const auc = lepton.summary.rocAuc!;
    const best = Math.max(...Object.values(peers).map((p) => p.mean));
    cv[s.name] = { lepton: { ...auc, seconds, chosen: lepton.folds.map((f) => f.selected) }, peers, ratioToBestPeer: auc.mean / best };
    console.log(`\n5-fold CV ROC-AUC on ${s.name}`);
    const rows = [['model', 'ROC-AUC mean', 'std']];
    rows.push([`Lepton auto (${seconds.toFixed(1)} s)`, auc.mean.toFixed(4), auc.std.toFixed(4)]);
    for (const [name, p] of Object.entries(peers)) rows.push([name, p.mean.toFixed(4), p.std.toFixed(4)]);
    console.log(textTable(rows));
    console.log(`Lepton / best peer: ${(auc.mean / best).toFixed(4)}`);
  }
  results.cv = cv;
}

const which = process.argv[2];
if (!which || which === 'mlp') await mlpThroughput();
if (!which || which === 'cv') await cvAuc();
mkdirSync(join(root, 'bench', 'results'), { recursive: true });
writeFileSync(join(root, 'bench', 'results', 'latest.json'), `${JSON.stringify(results, null, 2)}\n`);
