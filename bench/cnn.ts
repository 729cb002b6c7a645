/**
 * CNN training throughput beside PyTorch: Lepton's DEFAULT_CNN on TorchNet and the same network
 * in PyTorch (bench/peers/cnn_throughput.py), trained on the same random 1×28×28 rows (handed
 * over as files), batch 64, Adam, one thread each. The first epoch is warm-up for both
 * (allocator, convolution primitive caches) and is left out of the rate.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { textTable } from '../src/eval/format.js';
import { buildNet, DEFAULT_CNN } from '../src/models/net-spec.js';
import { packageRoot } from '../src/package-root.js';
import { leptonEpochSeconds } from './epochs.js';

export async function cnnBench(): Promise<Record<string, unknown>> {
  const cfg = { rows: 6400, inputShape: [1, 28, 28] as [number, number, number], classes: 10, batchSize: 64, epochs: 3, threads: 1 };
  const d = cfg.inputShape.reduce((a, b) => a * b, 1);
  let s = 12345;
  const rand = () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
  const x = Float32Array.from({ length: cfg.rows * d }, rand);
  const y = Int32Array.from({ length: cfg.rows }, () => Math.floor(rand() * cfg.classes));

  const net = buildNet(DEFAULT_CNN(cfg.inputShape, cfg.classes));
  const lepton = await leptonEpochSeconds(net, x, y, { ...cfg, compute: 'convolution' });
  const parameters = net.numParameters;
  net.dispose();

  const dir = mkdtempSync(join(tmpdir(), 'lepton-cnn-'));
  const xFile = join(dir, 'x.f32');
  const yFile = join(dir, 'y.i32');
  writeFileSync(xFile, new Uint8Array(x.buffer, x.byteOffset, x.byteLength));
  writeFileSync(yFile, new Uint8Array(y.buffer, y.byteOffset, y.byteLength));
  const python = process.env.PEER_PYTHON ?? '/usr/bin/python3';
  let peer: { epochSeconds: number[]; torch: string; parameters: number };
  try {
    const out = execFileSync(python, [join(packageRoot(), 'bench', 'peers', 'cnn_throughput.py'), JSON.stringify({ ...cfg, xFile, yFile })], { encoding: 'utf8', maxBuffer: 1 << 26 });
    peer = JSON.parse(out) as typeof peer;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  if (peer.parameters !== parameters) throw new Error(`the PyTorch peer's network has ${peer.parameters} parameters, Lepton's ${parameters}: they are not the same network`);

  const rate = (sec: number[]) => cfg.rows / (sec.slice(1).reduce((a, b) => a + b, 0) / (sec.length - 1));
  const l = rate(lepton);
  const p = rate(peer.epochSeconds);
  console.log(`\nCNN training throughput (DEFAULT_CNN on 1×28×28: 2 × [conv 3×3 → BN → ReLU → max-pool], dropout, 128 → 10; ${parameters} parameters, batch ${cfg.batchSize}, Adam, ${cfg.threads} thread)`);
  console.log(textTable([['engine', 'samples/s', 'ratio'], ['Lepton TorchNet (libtorch via N-API)', l.toFixed(0), (l / p).toFixed(2)], [`PyTorch ${peer.torch} (Python)`, p.toFixed(0), '1.00']]));
  return { config: cfg, parameters, leptonSamplesPerSec: l, pytorchSamplesPerSec: p, ratio: l / p, pytorch: peer.torch, leptonEpochSeconds: lepton, pytorchEpochSeconds: peer.epochSeconds };
}
