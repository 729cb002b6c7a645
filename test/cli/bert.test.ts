import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeSafetensors } from '../../src/engine/safetensors.js';
import { cli, expectCleanError, tmp } from '../helpers.js';
import { BAD, GOOD, normals, writeTinyBert } from '../models/fixtures/tiny-bert.js';

/** DIR/<good|bad>/NN.txt: `n` short reviews per class, each with two words of its class. */
async function writeReviews(dir: string, n: number): Promise<void> {
  const fillers = ['the', 'food', 'was', 'very', 'movie', 'really', 'day', 'service', 'hotel', 'room'];
  const z = normals(8 * n, 7);
  const pick = (list: readonly string[], v: number) => list[Math.floor(Math.abs(v * 1000)) % list.length]!;
  for (const [name, words] of [['good', GOOD], ['bad', BAD]] as const) {
    await mkdir(join(dir, name), { recursive: true });
    for (let i = 0; i < n; i++) {
      const v = (k: number) => z[(name === 'good' ? 0 : 4 * n) + 4 * i + k]!;
      await writeFile(join(dir, name, `${String(i).padStart(2, '0')}.txt`), `${pick(fillers, v(0))} ${pick(words, v(1))} ${pick(fillers, v(2))} ${pick(words, v(3))}`);
    }
  }
}

describe('cli: fine-tuning a BERT checkpoint on a text folder', () => {
  it('trains LoRA adapters on a tiny checkpoint, keeps its weights, predicts texts and warns on truncation', async () => {
    const cwd = tmp();
    const ckpt = join(cwd, 'tiny');
    const tensors = await writeTinyBert(ckpt);
    await writeReviews(join(cwd, 'reviews'), 30);
    const model = join(cwd, 'reviews.lepton');
    const t = await cli(['train', 'reviews', '--checkpoint', 'tiny', '--lora', '4', '--epochs', '15', '--batch-size', '8', '--lr', '0.01', '--seq-len', '16', '--out', model, '--json'], { cwd });
    expect(t.code, t.stderr).toBe(0);
    const r = JSON.parse(t.stdout) as { leaderboard: { name: string; epochs: number; bestEpoch: number }[]; test: { accuracy: number }; split: { train: number; val: number; test: number } };
    console.log(`tiny BERT + LoRA (CLI): test accuracy ${r.test.accuracy.toFixed(3)}, epochs ${r.leaderboard[0]!.epochs} (best ${r.leaderboard[0]!.bestEpoch})`);
    expect(r.leaderboard[0]!.name).toBe('textnet');
    expect(r.split.train + r.split.val + r.split.test).toBe(60);

    // The artifact keeps the checkpoint's encoder bit for bit (only adapters and head trained) and its tokenizer.
    const saved = decodeSafetensors(await readFile(model), model);
    const q = saved.tensors.get('m0.layers.0.encoder.layer.1.attention.self.query.weight')!;
    expect(Buffer.from(q.data.buffer, q.data.byteOffset, q.data.byteLength).equals(Buffer.from(tensors.get('encoder.layer.1.attention.self.query.weight')!.data.buffer))).toBe(true);
    expect(saved.tensors.has('m0.layers.0.encoder.layer.1.attention.self.query.lora_A')).toBe(true);
    const manifest = JSON.parse(saved.metadata['lepton.manifest']!) as { input: { kind: string; seqLen: number; tokenizer: { kind: string; json: string } }; training: { pretrained: { lora: { r: number } } } };
    expect(manifest.input.kind).toBe('text');
    expect(manifest.input.seqLen).toBe(16);
    expect(manifest.input.tokenizer.kind).toBe('hf');
    expect(JSON.parse(manifest.input.tokenizer.json)).toEqual(JSON.parse(await readFile(join(ckpt, 'tokenizer.json'), 'utf8')));
    expect(manifest.training.pretrained.lora.r).toBe(4);

    const long = Array.from({ length: 40 }, () => 'great').join(' ');
    const p = await cli(['predict', model, 'the food was great and wonderful', 'awful service, terrible room', long, '--json'], { cwd });
    expect(p.code, p.stderr).toBe(0);
    const preds = JSON.parse(p.stdout) as { input: string; label: string; probabilities: Record<string, number> }[];
    expect(preds).toHaveLength(3);
    expect(Object.keys(preds[0]!.probabilities).sort()).toEqual(['bad', 'good']);
    expect(p.stderr).toMatch(/1 of 3 texts are longer than 16 tokens and were truncated/);
    console.log(`tiny BERT + LoRA predictions: ${preds.map((x) => `${x.label} ${x.probabilities.good!.toFixed(2)}`).join(', ')}`);

    const e = await cli(['eval', model, 'reviews', '--json'], { cwd });
    expect(e.code, e.stderr).toBe(0);
    expect((JSON.parse(e.stdout) as { n: number }).n).toBe(60);

    expectCleanError(await cli(['train', 'reviews', '--lora', '4'], { cwd }), /--lora needs --checkpoint/);
    expectCleanError(await cli(['train', 'reviews', '--checkpoint', 'nowhere'], { cwd }), /nowhere\/config\.json not found/);
    expectCleanError(await cli(['train', 'reviews', '--checkpoint', 'tiny', '--seq-len', '100'], { cwd }), /seqLen must be an integer in \[2, 64\]/);
  }, 60_000);
});
