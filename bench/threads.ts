/**
 * Training throughput on every core, beside PyTorch on the same number of threads: an MLP
 * (100→256→256→10) and an LSTM classifier, the networks of the one-thread benchmarks. Lepton
 * gives a fit's cores to one of libtorch's two pools (OpenBLAS for matrix products; see
 * src/engine/threads.ts); the PyTorch peer runs as its users set it, `torch.set_num_threads(n)`
 * (OpenBLAS then also has n threads), and once more with Lepton's split, so the table shows
 * how much of the ratio is the split. The first epoch is warm-up for every run.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { addon } from '../src/engine/addon.js';
import { textTable } from '../src/eval/format.js';
import { buildNet } from '../src/models/net-spec.js';
import { packageRoot } from '../src/package-root.js';
import { leptonEpochSeconds } from './epochs.js';

type PeerRun = { epochSeconds?: number[]; plainEpochSeconds?: number[] };

export async function threadsBench(python: string, cores = availableParallelism()): Promise<Record<string, unknown>> {
  let s = 12345;
  const rand = () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
  const peer = (script: string, cfg: Record<string, unknown>) => {
    const r = JSON.parse(execFileSync(python, [join(packageRoot(), 'bench', 'peers', script), JSON.stringify(cfg)], { encoding: 'utf8', maxBuffer: 1 << 26 })) as PeerRun;
    return (r.epochSeconds ?? r.plainEpochSeconds)!;
  };
  const dir = mkdtempSync(join(tmpdir(), 'lepton-threads-'));
  const out: Record<string, unknown> = { cores };
  const table = [['network', `Lepton, ${cores} cores`, 'Lepton, 1 thread', `PyTorch set_num_threads(${cores})`, 'PyTorch, Lepton\'s split', 'ratio']];
  try {
    const nets = [
      {
        name: 'MLP 100→256→256→10',
        cfg: { rows: 20_000, batchSize: 64, epochs: 4 },
        data: () => {
          const x = Float32Array.from({ length: 20_000 * 100 }, () => rand() * 2 - 1);
          return { x, y: Int32Array.from({ length: 20_000 }, () => Math.floor(rand() * 10)) };
        },
        build: () => new (addon().TorchMlp)({ inputDim: 100, outputDim: 10, hidden: [256, 256], activation: 'relu', dropout: 0, batchNorm: false, seed: 0 }),
        peer: (threads: number, blasThreads: number) => peer('mlp_throughput.py', { rows: 20_000, inputDim: 100, hidden: [256, 256], classes: 10, batchSize: 64, epochs: 4, threads, blasThreads }),
      },
      {
        name: 'LSTM 64 over 100 tokens',
        cfg: { rows: 3200, batchSize: 64, epochs: 3 },
        data: () => {
          const x = Float32Array.from({ length: 3200 * 100 }, () => 1 + Math.floor(rand() * 4999));
          const y = Int32Array.from({ length: 3200 }, () => Math.floor(rand() * 2));
          writeFileSync(join(dir, 'x.f32'), new Uint8Array(x.buffer));
          writeFileSync(join(dir, 'y.i32'), new Uint8Array(y.buffer));
          return { x, y };
        },
        build: () =>
          buildNet({ inputShape: [100], layers: [{ type: 'embedding', vocab: 5000, dim: 64 }, { type: 'lstm', hidden: 64 }, { type: 'pool', mode: 'last' }, { type: 'linear', out: 2 }], outputDim: 2, seed: 0 }),
        peer: (threads: number, blasThreads: number) =>
          peer('text_tfidf.py', { task: 'lstm', rows: 3200, seqLen: 100, vocab: 5000, dim: 64, hidden: 64, classes: 2, batchSize: 64, epochs: 3, threads, blasThreads, xFile: join(dir, 'x.f32'), yFile: join(dir, 'y.i32') }),
      },
    ];
    for (const n of nets) {
      const { x, y } = n.data();
      const rate = (sec: number[]) => n.cfg.rows / (sec.slice(1).reduce((a, b) => a + b, 0) / (sec.length - 1));
      const lepton = async (threads: number) => {
        const net = n.build();
        try {
          return rate(await leptonEpochSeconds(net, x, y, { ...n.cfg, threads }));
        } finally {
          net.dispose();
        }
      };
      const all = await lepton(cores);
      const one = await lepton(1);
      const asSet = rate(n.peer(cores, cores));
      const split = rate(n.peer(1, cores));
      out[n.name] = { leptonSamplesPerSec: all, leptonOneThreadSamplesPerSec: one, pytorchSamplesPerSec: asSet, pytorchSplitSamplesPerSec: split, ratio: all / asSet, ratioToSplit: all / split };
      table.push([n.name, all.toFixed(0), one.toFixed(0), asSet.toFixed(0), split.toFixed(0), (all / asSet).toFixed(2)]);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`\nTraining throughput on ${cores} cores (samples/s; ratio: Lepton / PyTorch set_num_threads(${cores}))`);
  console.log(textTable(table));
  return out;
}
