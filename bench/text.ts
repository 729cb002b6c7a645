/**
 * Text benchmarks.
 *
 * textBench(): positive-class F1 on ReutersGrain (train split → test split) of Lepton's text
 * classifiers (word vocabulary + DEFAULT_TEXT_TRANSFORMER / DEFAULT_TEXT_GRU on TorchNet) beside
 * scikit-learn TF-IDF + logistic regression (bench/peers/text_tfidf.py), in the same run, on the
 * same texts.
 *
 * lstmBench(): LSTM-classifier training throughput beside PyTorch: embedding 64 → LSTM 64 → last
 * step → dense 2, token-id rows of length 100 (random ids, so no padding), batch 64, Adam, one
 * thread each. PyTorch runs it plain and with packed sequences (the usual way to mask padding
 * in PyTorch, ~10× slower on CPU; Lepton's mask uses the fused kernels instead). The first epoch
 * is warm-up and is left out of the rate.
 *
 * transformerBench(): the same for DEFAULT_TEXT_TRANSFORMER (embedding 64, learned positions, 2
 * pre-norm blocks of 4 heads and feed-forward 128, masked mean pool, dense 2), length 100, batch
 * 64, one thread each, beside the layer-for-layer PyTorch copy in
 * bench/peers/transformer_throughput.py (key-padding mask built from the ids each batch as Lepton
 * does).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { textTable } from '../src/eval/format.js';
import { buildNet, DEFAULT_TEXT_TRANSFORMER } from '../src/models/net-spec.js';
import { packageRoot } from '../src/package-root.js';
import { leptonEpochSeconds } from './epochs.js';
import { positiveF1, readTextArff, trainTextClassifier } from '../src/text/classify.js';

const python = () => process.env.PEER_PYTHON ?? '/usr/bin/python3';
const peer = <T>(config: Record<string, unknown>): T =>
  JSON.parse(execFileSync(python(), [join(packageRoot(), 'bench', 'peers', 'text_tfidf.py'), JSON.stringify(config)], { encoding: 'utf8', maxBuffer: 1 << 26 })) as T;

export async function textBench(): Promise<Record<string, unknown>> {
  const root = packageRoot();
  const train = await readTextArff(join(root, 'data', 'ReutersGrain-train.arff'));
  const test = await readTextArff(join(root, 'data', 'ReutersGrain-test.arff'));
  const cfg = { seqLen: 128, epochs: 6, batchSize: 32, lr: 2e-3, seed: 0, threads: 1 };
  const rows: Record<string, { precision: number; recall: number; f1: number; fitSeconds: number }> = {};
  for (const architecture of ['transformer', 'gru'] as const) {
    const t0 = performance.now();
    const m = await trainTextClassifier(train, { architecture, seqLen: cfg.seqLen, seed: cfg.seed, fit: { epochs: cfg.epochs, batchSize: cfg.batchSize, lr: cfg.lr, threads: cfg.threads } });
    const fitSeconds = (performance.now() - t0) / 1000;
    rows[architecture] = { ...positiveF1(await m.predict(test.texts), test.labels, 2), fitSeconds };
    m.net.dispose();
  }
  const dir = mkdtempSync(join(tmpdir(), 'lepton-text-'));
  let sk: { precision: number; recall: number; f1: number; fitSeconds: number; features: number; sklearn: string };
  try {
    const dataFile = join(dir, 'data.json');
    writeFileSync(dataFile, JSON.stringify({ train: { texts: train.texts, labels: Array.from(train.labels) }, test: { texts: test.texts, labels: Array.from(test.labels) } }));
    sk = peer({ task: 'tfidf', dataFile });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const fmt = (r: { precision: number; recall: number; f1: number; fitSeconds: number }) => [r.f1.toFixed(3), r.precision.toFixed(3), r.recall.toFixed(3), r.fitSeconds.toFixed(1)];
  console.log(`\nText classification on ReutersGrain (train 1554 → test 604 articles; positive class "grain", 57 in test); Lepton: word vocabulary (minFreq 2), seqLen ${cfg.seqLen}, ${cfg.epochs} epochs, batch ${cfg.batchSize}, Adam ${cfg.lr}, ${cfg.threads} thread`);
  console.log(
    textTable([
      ['model', 'F1 (grain)', 'precision', 'recall', 'fit s'],
      ['Lepton DEFAULT_TEXT_TRANSFORMER (2 × pre-norm, 4 heads, dim 64)', ...fmt(rows.transformer!)],
      ['Lepton DEFAULT_TEXT_GRU (bi-GRU 64, masked mean pool)', ...fmt(rows.gru!)],
      [`scikit-learn ${sk.sklearn} TF-IDF (1–2-grams) + logistic regression`, ...fmt(sk)],
    ]),
  );
  return { config: cfg, lepton: rows, sklearn: sk };
}

export async function lstmBench(): Promise<Record<string, unknown>> {
  const cfg = { rows: 6400, seqLen: 100, vocab: 5000, dim: 64, hidden: 64, classes: 2, batchSize: 64, epochs: 3, threads: 1 };
  let s = 12345;
  const rand = () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
  const x = Float32Array.from({ length: cfg.rows * cfg.seqLen }, () => 1 + Math.floor(rand() * (cfg.vocab - 1)));
  const y = Int32Array.from({ length: cfg.rows }, () => Math.floor(rand() * cfg.classes));
  const net = buildNet({
    inputShape: [cfg.seqLen],
    layers: [{ type: 'embedding', vocab: cfg.vocab, dim: cfg.dim }, { type: 'lstm', hidden: cfg.hidden }, { type: 'pool', mode: 'last' }, { type: 'linear', out: cfg.classes }],
    outputDim: cfg.classes,
    seed: 0,
  });
  const lepton = await leptonEpochSeconds(net, x, y, cfg);
  const parameters = net.numParameters;
  net.dispose();

  const dir = mkdtempSync(join(tmpdir(), 'lepton-lstm-'));
  let p: { plainEpochSeconds: number[]; packedEpochSeconds: number[]; torch: string; parameters: number };
  try {
    const xFile = join(dir, 'x.f32');
    const yFile = join(dir, 'y.i32');
    writeFileSync(xFile, new Uint8Array(x.buffer, x.byteOffset, x.byteLength));
    writeFileSync(yFile, new Uint8Array(y.buffer, y.byteOffset, y.byteLength));
    p = peer({ task: 'lstm', ...cfg, xFile, yFile });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  if (p.parameters !== parameters) throw new Error(`the PyTorch peer's network has ${p.parameters} parameters, Lepton's ${parameters}: they are not the same network`);
  const rate = (sec: number[]) => cfg.rows / (sec.slice(1).reduce((a, b) => a + b, 0) / (sec.length - 1));
  const l = rate(lepton);
  const plain = rate(p.plainEpochSeconds);
  const packed = rate(p.packedEpochSeconds);
  console.log(`\nLSTM classifier training throughput (embedding ${cfg.vocab} × ${cfg.dim} → LSTM ${cfg.hidden} → last step → dense ${cfg.classes}; ${parameters} parameters, length ${cfg.seqLen}, batch ${cfg.batchSize}, Adam, ${cfg.threads} thread)`);
  console.log(
    textTable([
      ['engine', 'samples/s', 'ratio to plain'],
      ['Lepton TorchNet (padding mask on)', l.toFixed(0), (l / plain).toFixed(2)],
      [`PyTorch ${p.torch} plain nn.LSTM`, plain.toFixed(0), '1.00'],
      [`PyTorch ${p.torch} packed (pack_padded_sequence)`, packed.toFixed(0), (packed / plain).toFixed(2)],
    ]),
  );
  return { config: cfg, parameters, leptonSamplesPerSec: l, pytorchPlainSamplesPerSec: plain, pytorchPackedSamplesPerSec: packed, ratio: l / plain, ratioPacked: l / packed, pytorch: p.torch };
}

export async function transformerBench(rounds = 3): Promise<Record<string, unknown>> {
  const cfg = { rows: 1280, seqLen: 100, vocab: 5000, dim: 64, heads: 4, ff: 128, layers: 2, dropout: 0.1, classes: 2, batchSize: 64, epochs: 3, threads: 1 };
  let s = 12345;
  const rand = () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
  const x = Float32Array.from({ length: cfg.rows * cfg.seqLen }, () => 1 + Math.floor(rand() * (cfg.vocab - 1)));
  const y = Int32Array.from({ length: cfg.rows }, () => Math.floor(rand() * cfg.classes));
  const rate = (sec: number[]) => cfg.rows / (sec.slice(1).reduce((a, b) => a + b, 0) / (sec.length - 1));
  const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
  const dir = mkdtempSync(join(tmpdir(), 'lepton-transformer-'));
  try {
    const xFile = join(dir, 'x.f32');
    const yFile = join(dir, 'y.i32');
    writeFileSync(xFile, new Uint8Array(x.buffer, x.byteOffset, x.byteLength));
    writeFileSync(yFile, new Uint8Array(y.buffer, y.byteOffset, y.byteLength));
    type Peer = { epochSeconds: number[]; torch: string; parameters: number; probe?: number[] };
    const torchRun = (extra: Record<string, unknown> = {}) =>
      JSON.parse(execFileSync(python(), [join(packageRoot(), 'bench', 'peers', 'transformer_throughput.py'), JSON.stringify({ ...cfg, xFile, yFile, ...extra })], { encoding: 'utf8' })) as Peer;

    // Same network check: parameter count, and the peer's outputs on Lepton's weights for probe rows with padding (100, 60, 7 and 1 tokens).
    const net = buildNet(DEFAULT_TEXT_TRANSFORMER(cfg.vocab, cfg.seqLen, cfg.classes, 0));
    const parameters = net.numParameters;
    const probe = Array.from(x.subarray(0, 4 * cfg.seqLen), (v, i) => (i % cfg.seqLen < [100, 60, 7, 1][Math.floor(i / cfg.seqLen)]! ? v : 0));
    const probeOut = net.predictSync(Float32Array.from(probe), { softmax: false });
    const stateFile = join(dir, 'state.json');
    writeFileSync(stateFile, JSON.stringify(net.stateDict().map((t) => ({ name: t.name, shape: t.shape, data: Array.from(t.data) }))));
    net.dispose();
    const leptonRun = async () => {
      const n = buildNet(DEFAULT_TEXT_TRANSFORMER(cfg.vocab, cfg.seqLen, cfg.classes, 0));
      try {
        return await leptonEpochSeconds(n, x, y, cfg);
      } finally {
        n.dispose();
      }
    };

    // The machine is shared: the two sides alternate (L P, P L, L P, …) so load drifts hit both alike.
    const l: number[] = [];
    const t: number[] = [];
    let version = '';
    let probeDiff = Number.NaN;
    for (let r = 0; r < rounds; r++) {
      const sides = r % 2 === 0 ? (['lepton', 'torch'] as const) : (['torch', 'lepton'] as const);
      for (const side of sides) {
        if (side === 'lepton') {
          l.push(rate(await leptonRun()));
          continue;
        }
        const p = torchRun(r === 0 ? { stateFile, probe } : {});
        if (p.parameters !== parameters) throw new Error(`the PyTorch peer's network has ${p.parameters} parameters, Lepton's ${parameters}: they are not the same network`);
        if (p.probe) {
          if (p.probe.length !== probeOut.length) throw new Error(`the PyTorch peer gave ${p.probe.length} probe outputs, Lepton ${probeOut.length}`);
          probeDiff = p.probe.reduce((m, v, i) => Math.max(m, Math.abs(v - probeOut[i]!)), 0);
          if (!(probeDiff < 1e-4)) throw new Error(`on Lepton's weights the PyTorch peer's outputs differ by ${probeDiff}: they are not the same network`);
        }
        version = p.torch;
        t.push(rate(p.epochSeconds));
      }
    }
    const ratios = l.map((v, i) => v / t[i]!);
    console.log(`\nTransformer classifier training throughput (embedding ${cfg.vocab} × ${cfg.dim} + positions → ${cfg.layers} pre-norm blocks, ${cfg.heads} heads, ff ${cfg.ff}, dropout ${cfg.dropout} → masked mean → dense ${cfg.classes}; ${parameters} parameters, length ${cfg.seqLen}, batch ${cfg.batchSize}, Adam, ${cfg.threads} thread; first epoch of each run left out; ${rounds} alternating rounds; outputs on the same weights agree to ${probeDiff.toExponential(1)})`);
    console.log(
      textTable([
        ['engine', ...l.map((_, i) => `round ${i + 1} samples/s`), 'median', 'ratio (median of rounds)'],
        ['Lepton TorchNet (DEFAULT_TEXT_TRANSFORMER)', ...l.map((v) => v.toFixed(0)), median(l).toFixed(0), median(ratios).toFixed(2)],
        [`PyTorch ${version} (same network, nn.MultiheadAttention)`, ...t.map((v) => v.toFixed(0)), median(t).toFixed(0), '1.00'],
      ]),
    );
    return { config: cfg, parameters, probeMaxDiff: probeDiff, rounds, leptonSamplesPerSec: l, pytorchSamplesPerSec: t, ratios, ratio: median(ratios), pytorch: version };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
