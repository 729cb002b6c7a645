/**
 * Benchmarks, each run beside its peer in the same process tree and reported as a ratio.
 *   make bench              all
 *   node dist/bench/run.js mlp | cnn | lstm | transformer | text | cv | automl | smote | serve | ingest | tune | xgb | recommend
 * Results are printed as tables and written to bench/results/latest.json.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { addon } from '../src/engine/addon.js';
import { crossValidate } from '../src/eval/cv.js';
import { textTable } from '../src/eval/format.js';
import { packageRoot } from '../src/package-root.js';
import { automlBench } from './automl.js';
import { balanceBench } from './balance.js';
import { cnnBench } from './cnn.js';
import { leptonEpochSeconds } from './epochs.js';
import { ingestBench } from './ingest.js';
import { recommendBench } from './recommend.js';
import { serveBench } from './serve.js';
import { lstmBench, textBench, transformerBench } from './text.js';
import { threadsBench } from './threads.js';
import { tuneBench } from './tune.js';
import { xgbBench } from './xgb.js';

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
  const lepton = await leptonEpochSeconds(net, x, y, cfg);
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

const SEEDS = [0, 1, 2];

/** Mean and sample std over fold scores. */
function meanStd(v: number[]): { mean: number; std: number } {
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  return { mean, std: Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / (v.length - 1)) };
}

/**
 * Stratified 5-fold CV ROC-AUC, repeated for seeds 0, 1, 2, of Lepton auto beside scikit-learn
 * and XGBoost peers; every fold score of every repeat enters the mean, for both sides.
 */
async function cvAuc(): Promise<void> {
  const sets = [
    { name: 'credit-g', path: join(root, 'data', 'credit-g.arff'), target: 'class' },
    { name: 'breast-cancer-wisconsin', path: join(root, 'data', 'breast-cancer-wisconsin.csv'), target: 'diagnosis' },
  ];
  const cv: Record<string, unknown> = {};
  for (const s of sets) {
    const started = performance.now();
    const folds: number[] = [];
    const chosen: string[] = [];
    for (const seed of SEEDS) {
      const r = await crossValidate(s.path, { target: s.target, folds: 5, seed });
      for (const f of r.folds) {
        if (f.report.task === 'classification' && f.report.rocAuc !== null) folds.push(f.report.rocAuc);
        chosen.push(f.selected);
      }
    }
    const seconds = (performance.now() - started) / 1000 / SEEDS.length;
    const peerFolds = JSON.parse(python('cv_peers.py', [s.path, s.target, '5', SEEDS.join(',')])) as Record<string, number[]>;
    const lepton = meanStd(folds);
    const peers = Object.fromEntries(Object.entries(peerFolds).map(([k, v]) => [k, meanStd(v)]));
    const best = Math.max(...Object.values(peers).map((p) => p.mean));
    cv[s.name] = { lepton: { ...lepton, secondsPerCv: seconds, chosen }, peers, ratioToBestPeer: lepton.mean / best };
    console.log(`\n5-fold CV ROC-AUC on ${s.name} (seeds ${SEEDS.join(', ')}: ${folds.length} folds each)`);
    const rows = [['model', 'ROC-AUC mean', 'std']];
    rows.push([`Lepton auto (${seconds.toFixed(1)} s per CV)`, lepton.mean.toFixed(4), lepton.std.toFixed(4)]);
    for (const [name, p] of Object.entries(peers)) rows.push([name, p.mean.toFixed(4), p.std.toFixed(4)]);
    console.log(textTable(rows));
    console.log(`Lepton / best peer: ${(lepton.mean / best).toFixed(4)}`);
  }
  results.cv = cv;
}

const which = process.argv[2];
if (!which || which === 'mlp') await mlpThroughput();
if (!which || which === 'cnn') results.cnn = await cnnBench();
if (!which || which === 'threads') results.threads = await threadsBench(PYTHON);
if (!which || which === 'cv') await cvAuc();
if (!which || which === 'smote') results.smote = await balanceBench();
if (!which || which === 'serve') results.serve = await serveBench();
if (!which || which === 'ingest') results.ingest = await ingestBench(PYTHON);
if (!which || which === 'tune') results.tune = await tuneBench();
if (!which || which === 'xgb') results.xgb = await xgbBench(PYTHON);
if (!which || which === 'text') results.text = await textBench();
if (!which || which === 'lstm') results.lstm = await lstmBench();
if (!which || which === 'transformer') results.transformer = await transformerBench();
if (!which || which === 'recommend') results.recommend = await recommendBench();
if (!which || which === 'automl') results.automl = await automlBench({ python: PYTHON });
// A single benchmark updates its own entry and keeps the others' last results.
const file = join(root, 'bench', 'results', 'latest.json');
mkdirSync(join(root, 'bench', 'results'), { recursive: true });
const previous = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>) : {};
writeFileSync(file, `${JSON.stringify({ ...previous, ...results }, null, 2)}\n`);
