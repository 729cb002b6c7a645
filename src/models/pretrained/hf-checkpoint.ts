/**
 * A Hugging Face BERT checkpoint folder (`config.json`, `model.safetensors`, `tokenizer.json`,
 * optionally `tokenizer_config.json`) read into what a Lepton text network needs: the `bert`
 * layer's spec from the config, the weights under Lepton's state-dict names and the tokenizer.
 * The network is BertForSequenceClassification's: [bert → dropout → linear classes]; HF's
 * `classifier.*` becomes the linear when its width matches, else that head starts fresh.
 *
 * Tensors may be F32, F16, BF16 or F64 (read as float32), named with or without the `bert.`
 * prefix (BertModel or a task model). Every tensor the config implies must be present with its
 * shape: the first that differs is named with both shapes; extras (an MLM head, int64
 * position ids) are ignored and counted.
 * @example
 *   const ckpt = await readHfCheckpoint('models/bert-base-uncased');
 *   const spec = bertClassifierSpec(ckpt, { classes: 2, seqLen: 128, lora: { r: 8 } });
 * @module
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { LoraOptions, NativeTorchNet, TorchNetLayer } from '../../engine/addon.js';
import { decodeSafetensors, type StTensor } from '../../engine/safetensors.js';
import { LeptonError } from '../../errors.js';
import { HfTokenizer } from '../../text/hf-tokenizer.js';
import { parseNetSpec, type NetSpec } from '../net-spec.js';
import { loadWeights, weightsOf } from '../torch-weights.js';

export type BertLayer = Extract<TorchNetLayer, { type: 'bert' }>;

const count = z.int().positive();
const prob = z.number().min(0).lt(1);

/** The fields of a BERT config.json Lepton reads; others are ignored. */
export const BertConfigZ = z.looseObject({
  model_type: z.literal('bert', { error: (i) => `must be "bert" (got ${JSON.stringify(i.input)}); only BERT-architecture checkpoints load so far` }),
  vocab_size: z.int().min(2),
  hidden_size: count,
  num_hidden_layers: count,
  num_attention_heads: count,
  intermediate_size: count,
  max_position_embeddings: count,
  type_vocab_size: count.default(2),
  layer_norm_eps: z.number().positive().default(1e-12),
  hidden_dropout_prob: prob.default(0.1),
  attention_probs_dropout_prob: prob.default(0.1),
  classifier_dropout: prob.nullable().optional(),
  hidden_act: z.literal('gelu', { error: 'must be "gelu" (the exact GELU); other activations are not supported' }).default('gelu'),
  position_embedding_type: z.literal('absolute', { error: 'must be "absolute"' }).default('absolute'),
  pad_token_id: z.int().min(0).default(0),
});
export type BertConfig = z.infer<typeof BertConfigZ>;

export interface HfCheckpoint {
  dir: string;
  config: BertConfig;
  /** The bert layer (no LoRA) the config describes. */
  layer: BertLayer;
  /** Encoder weights by HF BertModel name (no `bert.` prefix), float32. */
  tensors: Map<string, StTensor>;
  /** `classifier.weight` / `classifier.bias`, when the checkpoint is a sequence classifier. */
  classifier?: { weight: StTensor; bias: StTensor };
  /** Tensors in the file that the network does not use (an MLM or NSP head, …). */
  ignored: number;
  tokenizer: HfTokenizer;
}

async function readText(dir: string, file: string, hint: string): Promise<string> {
  try {
    return await readFile(join(dir, file), 'utf8');
  } catch {
    throw new LeptonError('E_FILE', `${join(dir, file)} not found`, hint);
  }
}

/** config.json validated; errors name the file and the field. */
export function parseBertConfig(text: string, source: string): BertConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new LeptonError('E_PARSE', `${source} is not valid JSON (${(e as Error).message})`, 'give the config.json saved with the checkpoint');
  }
  const r = BertConfigZ.safeParse(raw);
  if (!r.success) {
    const i = r.error.issues[0]!;
    const field = i.path.join('.') || '(config)';
    const missing = i.code === 'invalid_type' && i.input === undefined;
    throw new LeptonError('E_PARSE', `${source}: field '${field}' ${missing ? 'is missing' : i.message}`, 'give the config.json saved with the checkpoint (save_pretrained); Lepton reads BERT configs');
  }
  const c = r.data;
  if (c.hidden_size % c.num_attention_heads !== 0) throw new LeptonError('E_PARSE', `${source}: field 'hidden_size' ${c.hidden_size} is not a multiple of num_attention_heads ${c.num_attention_heads}`, 'the config does not describe a valid BERT');
  if (c.pad_token_id >= c.vocab_size) throw new LeptonError('E_PARSE', `${source}: field 'pad_token_id' ${c.pad_token_id} is not below vocab_size ${c.vocab_size}`, 'the config does not describe a valid BERT');
  return c;
}

/** Every tensor BertModel has for this config, in module order, with its shape. */
export function bertTensorShapes(c: BertConfig): [name: string, shape: number[]][] {
  const H = c.hidden_size;
  const I = c.intermediate_size;
  const linear = (name: string, out: number, inp: number): [string, number[]][] => [[`${name}.weight`, [out, inp]], [`${name}.bias`, [out]]];
  const norm = (name: string): [string, number[]][] => [[`${name}.weight`, [H]], [`${name}.bias`, [H]]];
  const out: [string, number[]][] = [
    ['embeddings.word_embeddings.weight', [c.vocab_size, H]],
    ['embeddings.position_embeddings.weight', [c.max_position_embeddings, H]],
    ['embeddings.token_type_embeddings.weight', [c.type_vocab_size, H]],
    ...norm('embeddings.LayerNorm'),
  ];
  for (let i = 0; i < c.num_hidden_layers; i++) {
    const l = `encoder.layer.${i}`;
    for (const m of ['query', 'key', 'value']) out.push(...linear(`${l}.attention.self.${m}`, H, H));
    out.push(...linear(`${l}.attention.output.dense`, H, H), ...norm(`${l}.attention.output.LayerNorm`));
    out.push(...linear(`${l}.intermediate.dense`, I, H), ...linear(`${l}.output.dense`, H, I), ...norm(`${l}.output.LayerNorm`));
  }
  out.push(...linear('pooler.dense', H, H));
  return out;
}

const shapeText = (s: readonly number[]) => `[${s.join(', ')}]`;

/** HF name of a stored tensor: no `bert.` prefix, TF-era LayerNorm gamma/beta as weight/bias. */
function hfName(stored: string): string {
  return stored.replace(/^bert\./, '').replace(/LayerNorm\.gamma$/, 'LayerNorm.weight').replace(/LayerNorm\.beta$/, 'LayerNorm.bias');
}

/** Reads and checks a checkpoint folder (see the module comment). */
export async function readHfCheckpoint(dir: string): Promise<HfCheckpoint> {
  const hint = `a checkpoint folder holds config.json, model.safetensors and tokenizer.json (save_pretrained of a BERT model and its tokenizer)`;
  const config = parseBertConfig(await readText(dir, 'config.json', hint), join(dir, 'config.json'));
  const weightsFile = join(dir, 'model.safetensors');
  let buf: Buffer;
  try {
    buf = await readFile(weightsFile);
  } catch {
    throw new LeptonError('E_FILE', `${weightsFile} not found`, `${hint}; PyTorch .bin files are not read: convert them to safetensors`);
  }
  const { tensors: stored, skipped } = decodeSafetensors(buf, weightsFile, 'a safetensors checkpoint', { skipOtherDtypes: true });
  const byName = new Map<string, StTensor>();
  for (const [name, t] of stored) byName.set(hfName(name), t);
  const otherDtypes = new Map([...skipped].map(([name, dtype]) => [hfName(name), dtype]));
  const tensors = new Map<string, StTensor>();
  const missing: string[] = [];
  for (const [name, shape] of bertTensorShapes(config)) {
    const t = byName.get(name);
    const dtype = otherDtypes.get(name) ?? (t && t.dtype !== 'F32' ? t.dtype : undefined);
    if (dtype) throw new LeptonError('E_MODEL_FILE', `${weightsFile}: tensor '${name}' is ${dtype}, not a float tensor`, 'store weights as F32, F16, BF16 or F64');
    if (!t) {
      missing.push(name);
      continue;
    }
    if (shapeText(t.shape) !== shapeText(shape)) {
      throw new LeptonError('E_MODEL_FILE', `${weightsFile}: tensor '${name}' has shape ${shapeText(t.shape)}, but config.json implies ${shapeText(shape)}`, 'the weights and config.json come from different models; use the config saved with these weights');
    }
    tensors.set(name, t);
  }
  if (missing.length > 0) {
    throw new LeptonError('E_MODEL_FILE', `${weightsFile} lacks ${missing.length} tensor${missing.length > 1 ? 's' : ''} config.json implies: ${missing.slice(0, 5).map((m) => `'${m}'`).join(', ')}${missing.length > 5 ? ', …' : ''}`, 'the weights and config.json come from different models, or the file is incomplete');
  }
  const weight = byName.get('classifier.weight');
  const bias = byName.get('classifier.bias');
  const classifier = weight?.dtype === 'F32' && bias?.dtype === 'F32' && weight.shape.length === 2 && weight.shape[1] === config.hidden_size && shapeText(bias.shape) === shapeText([weight.shape[0]!]) ? { weight, bias } : undefined;
  const ignored = byName.size + skipped.size - tensors.size - (classifier ? 2 : 0);

  const tokenizerFile = join(dir, 'tokenizer.json');
  const tokenizerText = await readText(dir, 'tokenizer.json', `${hint}; save the tokenizer with tokenizer.save_pretrained (a "fast" tokenizer writes tokenizer.json)`);
  let tokenizerConfig: Record<string, unknown> | undefined;
  try {
    tokenizerConfig = JSON.parse(await readFile(join(dir, 'tokenizer_config.json'), 'utf8')) as Record<string, unknown>;
  } catch {
    tokenizerConfig = undefined; // optional: tokenizer.json alone describes the tokenizer
  }
  const tokenizer = HfTokenizer.fromJSON(tokenizerText, tokenizerConfig, tokenizerFile);
  if (tokenizer.size > config.vocab_size) throw new LeptonError('E_MODEL_FILE', `${tokenizerFile} has ids up to ${tokenizer.size - 1}, beyond the model's vocab_size ${config.vocab_size}`, 'use the tokenizer saved with this checkpoint');
  const layer: BertLayer = {
    type: 'bert',
    vocab: config.vocab_size,
    hidden: config.hidden_size,
    layers: config.num_hidden_layers,
    heads: config.num_attention_heads,
    intermediate: config.intermediate_size,
    maxPositions: config.max_position_embeddings,
    typeVocab: config.type_vocab_size,
    layerNormEps: config.layer_norm_eps,
    dropout: config.hidden_dropout_prob,
    padIndex: tokenizer.padId,
  };
  return { dir, config, layer, tensors, classifier, ignored, tokenizer };
}

/** The layer index of the classifier head in bertClassifierSpec's layers. */
const HEAD = 2;

/** BertForSequenceClassification as a TorchNet spec: [bert (+ LoRA) → dropout → linear classes] over [seqLen] ids. */
export function bertClassifierSpec(ckpt: Pick<HfCheckpoint, 'layer' | 'config'>, o: { classes: number; seqLen: number; lora?: LoraOptions; seed?: number }): NetSpec {
  const p = ckpt.config.classifier_dropout ?? ckpt.config.hidden_dropout_prob;
  const layers: TorchNetLayer[] = [{ ...ckpt.layer, ...(o.lora ? { lora: o.lora } : {}) }, { type: 'dropout', p }, { type: 'linear', out: o.classes }];
  return parseNetSpec({ inputShape: [o.seqLen], layers, outputDim: o.classes, seed: o.seed ?? 0 });
}

/**
 * Copies the checkpoint's weights into a network built from bertClassifierSpec: the encoder by
 * name under `layers.0.`, the classifier onto the head when its width matches; LoRA adapters
 * and a fresh head keep their initial values.
 */
export function loadCheckpointWeights(net: NativeTorchNet, ckpt: Pick<HfCheckpoint, 'tensors' | 'classifier' | 'dir'>): { headFromCheckpoint: boolean } {
  const state = weightsOf(net, '');
  for (const [name, t] of ckpt.tensors) state.set(`layers.0.${name}`, t);
  const head = state.get(`layers.${HEAD}.weight`);
  const fits = ckpt.classifier !== undefined && head !== undefined && shapeText(head.shape) === shapeText(ckpt.classifier.weight.shape);
  if (fits) {
    state.set(`layers.${HEAD}.weight`, ckpt.classifier!.weight);
    state.set(`layers.${HEAD}.bias`, ckpt.classifier!.bias);
  }
  loadWeights(net, state, '', `the network does not match the checkpoint in ${ckpt.dir}`);
  return { headFromCheckpoint: fits };
}
