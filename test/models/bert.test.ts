import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { NativeTorchNet } from '../../src/engine/addon.js';
import { decodeSafetensors, encodeSafetensors, type StTensor } from '../../src/engine/safetensors.js';
import { buildNet } from '../../src/models/net-spec.js';
import { bertClassifierSpec, loadCheckpointWeights, readHfCheckpoint, type HfCheckpoint } from '../../src/models/pretrained/hf-checkpoint.js';
import { weightsOf } from '../../src/models/torch-weights.js';
import { tmp } from '../helpers.js';
import { BAD, GOOD, normals, VOCAB, writeTinyBert } from './fixtures/tiny-bert.js';

const PYTHON = process.env.PEER_PYTHON ?? '/usr/bin/python3';
const REFERENCE = join(__dirname, 'fixtures', 'bert_reference.py');

const TEXTS = ['good', 'the movie was great and the food was really nice', 'bad service', 'I hate this broken phone, the worst day', 'zebra quokka good'];

/** Logits of BertForSequenceClassification by the hand-written PyTorch reference. */
function reference(dir: string, ids: Float32Array, seqLen: number, pad: number, lora?: { file: string; scaling: number }, float64 = false): number[][] {
  const rows = Array.from({ length: ids.length / seqLen }, (_, i) => Array.from(ids.subarray(i * seqLen, (i + 1) * seqLen)));
  const req = join(dir, 'ids.json');
  writeFileSync(req, JSON.stringify({ ids: rows, pad }));
  const r = spawnSync(PYTHON, [REFERENCE, ...(float64 ? ['--float64'] : []), dir, req, ...(lora ? [lora.file, String(lora.scaling)] : [])], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`reference failed: ${r.stderr}`);
  return (JSON.parse(r.stdout) as { logits: number[][] }).logits;
}

function maxDiff(a: Float32Array, b: number[][]): number {
  return Math.max(...b.flat().map((v, i) => Math.abs(v - a[i]!)));
}

async function tinyNet(ckpt: HfCheckpoint, lora?: { r: number; alpha: number }): Promise<NativeTorchNet> {
  const net = buildNet(bertClassifierSpec(ckpt, { classes: 3, seqLen: 16, lora }));
  expect(loadCheckpointWeights(net, ckpt).headFromCheckpoint).toBe(true);
  return net;
}

describe('pretrained BERT checkpoints', () => {
  it('computes the same logits as a PyTorch BERT on the same weights, with and without LoRA', async () => {
    const dir = tmp();
    await writeTinyBert(dir, { classes: 3 });
    const ckpt = await readHfCheckpoint(dir);
    expect(ckpt.ignored).toBe(0);
    const enc = ckpt.tokenizer.encode(TEXTS, 16);
    // Different lengths, so padding is exercised: 3, 13, 4, … tokens.
    expect(new Set(Array.from({ length: TEXTS.length }, (_, i) => enc.ids.subarray(i * 16, (i + 1) * 16).filter((v) => v !== 0).length)).size).toBeGreaterThan(2);

    const net = await tinyNet(ckpt);
    const logits = await net.predict(enc.ids, { softmax: false });
    const full = maxDiff(logits, reference(dir, enc.ids, 16, ckpt.tokenizer.padId));
    // The same forward in float64: how far float32 rounding takes either implementation.
    const exact = maxDiff(logits, reference(dir, enc.ids, 16, ckpt.tokenizer.padId, undefined, true));
    net.dispose();

    // LoRA on query and value with non-zero B, so the adapters change the output.
    const lnet = await tinyNet(ckpt, { r: 4, alpha: 8 });
    const state = weightsOf(lnet, '');
    const adapters = new Map<string, StTensor>();
    let seed = 100;
    for (const [name, t] of state) {
      if (!name.includes('.lora_')) continue;
      const data = name.endsWith('lora_B') ? normals(t.data.length, seed++).map((v) => 0.3 * v) : t.data;
      state.set(name, { ...t, data });
      adapters.set(name.replace(/^layers\.0\./, ''), { ...t, data });
    }
    expect([...adapters.keys()].filter((k) => k.endsWith('lora_A'))).toEqual(['encoder.layer.0.attention.self.query.lora_A', 'encoder.layer.0.attention.self.value.lora_A', 'encoder.layer.1.attention.self.query.lora_A', 'encoder.layer.1.attention.self.value.lora_A']);
    lnet.loadStateDict([...state].map(([name, t]) => ({ name, shape: t.shape, data: t.data as Float32Array })));
    const loraFile = join(dir, 'lora.safetensors');
    writeFileSync(loraFile, encodeSafetensors(adapters, {}));
    const withLora = await lnet.predict(enc.ids, { softmax: false });
    const lora = maxDiff(withLora, reference(dir, enc.ids, 16, ckpt.tokenizer.padId, { file: loraFile, scaling: 2 }));
    const loraEffect = maxDiff(withLora, reference(dir, enc.ids, 16, ckpt.tokenizer.padId));
    lnet.dispose();
    console.log(`BERT parity vs PyTorch (float32): max |diff| full ${full.toExponential(2)}, LoRA ${lora.toExponential(2)}; vs float64 ${exact.toExponential(2)} (LoRA moves logits by ${loraEffect.toFixed(3)})`);
    expect(full).toBeLessThan(1e-4);
    expect(exact).toBeLessThan(1e-4);
    expect(lora).toBeLessThan(1e-4);
    expect(loraEffect).toBeGreaterThan(1e-2);
  }, 30_000);

  it('LoRA fine-tuning moves only the adapters and the head; full fine-tuning moves the encoder too', async () => {
    const dir = tmp();
    await writeTinyBert(dir); // no classifier in the file: the head starts fresh
    const ckpt = await readHfCheckpoint(dir);
    const { x, y } = sentiment(96, 1, ckpt);
    const val = sentiment(32, 2, ckpt);
    const same = (a: StTensor, b: StTensor) => Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength).equals(Buffer.from(b.data.buffer, b.data.byteOffset, b.data.byteLength));
    const runs: Record<string, { changed: string[]; losses: number[]; names: string[] }> = {};
    for (const mode of ['lora', 'full'] as const) {
      const net = buildNet(bertClassifierSpec(ckpt, { classes: 2, seqLen: 16, lora: mode === 'lora' ? { r: 4, alpha: 8 } : undefined }));
      expect(loadCheckpointWeights(net, ckpt).headFromCheckpoint).toBe(false);
      const before = weightsOf(net, '');
      const losses: number[] = [];
      // Weight decay on, and validation with best-weights restore: neither may touch frozen weights.
      await net.fit({ x, y, xVal: val.x, yVal: val.y }, { task: 'classification', epochs: 6, batchSize: 16, optimizer: 'adamw', lr: mode === 'lora' ? 5e-3 : 1e-3, weightDecay: 0.01, patience: 0, seed: 1, threads: 1 }, (r) => losses.push(r.trainLoss));
      const after = weightsOf(net, '');
      runs[mode] = { changed: [...before].filter(([k, t]) => !same(t, after.get(k)!)).map(([k]) => k), losses, names: [...before.keys()] };
      net.dispose();
    }
    const lora = runs.lora!;
    const adapters = lora.names.filter((n) => n.includes('.lora_'));
    expect(adapters).toHaveLength(8);
    expect(lora.changed.sort()).toEqual([...adapters, 'layers.2.bias', 'layers.2.weight'].sort());
    expect(lora.losses.at(-1)!).toBeLessThan(lora.losses[0]!);
    const full = runs.full!;
    expect(full.changed).toContain('layers.0.encoder.layer.0.attention.self.query.weight');
    expect(full.changed).toContain('layers.0.embeddings.word_embeddings.weight');
    expect(full.losses.at(-1)!).toBeLessThan(full.losses[0]!);
    console.log(`tiny BERT train loss: LoRA ${lora.losses[0]!.toFixed(3)} → ${lora.losses.at(-1)!.toFixed(3)}, full ${full.losses[0]!.toFixed(3)} → ${full.losses.at(-1)!.toFixed(3)}`);
  }, 60_000);

  it('names the mismatching tensor, the bad config field, maps unknown words to [UNK] and truncates long texts', async () => {
    const wrong = tmp();
    await writeTinyBert(wrong, { reshape: { 'encoder.layer.1.attention.self.key.weight': [32, 16] } });
    await expect(readHfCheckpoint(wrong)).rejects.toThrow(/tensor 'encoder\.layer\.1\.attention\.self\.key\.weight' has shape \[32, 16\], but config\.json implies \[32, 32\]/);
    const badType = tmp();
    await writeTinyBert(badType, { config: { num_attention_heads: 'four' } });
    await expect(readHfCheckpoint(badType)).rejects.toThrow(/config\.json: field 'num_attention_heads'/);
    const missing = tmp();
    await writeTinyBert(missing, { config: { hidden_size: undefined } });
    await expect(readHfCheckpoint(missing)).rejects.toThrow(/config\.json: field 'hidden_size' is missing/);
    const gpt = tmp();
    await writeTinyBert(gpt, { config: { model_type: 'gpt2' } });
    await expect(readHfCheckpoint(gpt)).rejects.toThrow(/field 'model_type' must be "bert"/);

    const dir = tmp();
    await writeTinyBert(dir, { prefix: false, classes: 2, extra: { 'cls.predictions.bias': { dtype: 'F32', shape: [100], data: new Float32Array(100) } } });
    const ckpt = await readHfCheckpoint(dir);
    expect(ckpt.classifier?.weight.shape).toEqual([2, 32]);
    expect(ckpt.ignored).toBe(1);
    const tok = ckpt.tokenizer;
    const id = (t: string) => VOCAB.indexOf(t);
    const oov = tok.encode(['Zebra GOOD'], 6);
    expect(Array.from(oov.ids)).toEqual([id('[CLS]'), id('[UNK]'), id('good'), id('[SEP]'), id('[PAD]'), id('[PAD]')]);
    expect(oov.unknown).toBe(1);
    const long = tok.encode([Array.from({ length: 70 }, (_, i) => GOOD[i % GOOD.length]).join(' '), 'bad day'], 16);
    expect(long.truncated).toBe(1);
    expect(long.warnings[0]).toMatch(/1 of 2 texts are longer than 16 tokens and were truncated to 16 tokens/);
    expect(Array.from(long.ids.subarray(0, 16))).toEqual([id('[CLS]'), ...Array.from({ length: 14 }, (_, i) => id(GOOD[i % GOOD.length]!)), id('[SEP]')]);
    expect(() => buildNet(bertClassifierSpec(ckpt, { classes: 2, seqLen: 65 }))).toThrow(/seqLen 65 is longer than maxPositions 64/);
  }, 30_000);

  it('reads F16, BF16 and F64 checkpoint tensors as float32 and skips int64 position ids', () => {
    const f16 = [0x3c00, 0xc000, 0x3800, 0x7bff, 0x0001];
    const bf16 = [0x3f80, 0xc000, 0x3f00, 0x4049];
    const header = JSON.stringify({
      a: { dtype: 'F16', shape: [5], data_offsets: [0, 10] },
      b: { dtype: 'BF16', shape: [2, 2], data_offsets: [10, 18] },
      c: { dtype: 'F64', shape: [2], data_offsets: [18, 34] },
      'bert.embeddings.position_ids': { dtype: 'I64', shape: [1, 2], data_offsets: [34, 50] },
    });
    const buf = Buffer.alloc(8 + header.length + 50);
    buf.writeBigUInt64LE(BigInt(header.length), 0);
    buf.write(header, 8);
    const at = 8 + header.length;
    [...f16, ...bf16].forEach((h, i) => buf.writeUInt16LE(h, at + 2 * i));
    buf.writeDoubleLE(0.1, at + 18);
    buf.writeDoubleLE(-3, at + 26);
    buf.writeBigInt64LE(1n, at + 42);
    const { tensors, skipped } = decodeSafetensors(buf, 'half.safetensors', 'a checkpoint', { skipOtherDtypes: true });
    expect(tensors.get('a')!.dtype).toBe('F32');
    expect(Array.from(tensors.get('a')!.data)).toEqual([1, -2, 0.5, 65504, 2 ** -24]);
    expect(tensors.get('b')!.shape).toEqual([2, 2]);
    expect(Array.from(tensors.get('b')!.data)).toEqual([1, -2, 0.5, 3.140625]);
    expect(Array.from(tensors.get('c')!.data)).toEqual([Math.fround(0.1), -3]);
    expect([...skipped]).toEqual([['bert.embeddings.position_ids', 'I64']]);
    expect(() => decodeSafetensors(buf, 'half.safetensors', 'a checkpoint')).toThrow(/tensor 'c' has an unsupported entry \(dtype F64\)/);
  });
});

/** `n` short reviews, class 1 when they use a word of GOOD, 0 for BAD, as token ids (seqLen 16). */
function sentiment(n: number, seed: number, ckpt: HfCheckpoint): { x: Float32Array; y: Int32Array } {
  const z = normals(4 * n, seed);
  const fillers = ['the', 'food', 'was', 'very', 'movie', 'really', 'day', 'service'];
  const pick = (list: readonly string[], v: number) => list[Math.floor(Math.abs(v * 1000)) % list.length]!;
  const texts: string[] = [];
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = i % 2;
    texts.push(`${pick(fillers, z[4 * i]!)} ${pick(y[i] ? GOOD : BAD, z[4 * i + 1]!)} ${pick(fillers, z[4 * i + 2]!)} ${pick(y[i] ? GOOD : BAD, z[4 * i + 3]!)}`);
  }
  return { x: ckpt.tokenizer.encode(texts, 16).ids, y };
}
