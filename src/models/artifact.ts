/**
 * The model artifact: one safetensors file whose metadata holds the manifest (spec, fitted
 * pipeline, target encoder, metrics) and whose tensors hold every member's weights. Written
 * to a temporary name and renamed, so a crash never leaves a half-written model.
 * @module
 */
import { randomBytes } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { z } from 'zod';
import { decodeSafetensors, encodeSafetensors, type StTensor } from '../engine/safetensors.js';
import { LeptonError } from '../errors.js';
import { VERSION } from '../package-root.js';
import { Pipeline } from '../prep/pipeline.js';
import { LeptonModel } from './model.js';
import { BaggedMember } from './bagged.js';
import type { Member } from './member.js';
import { StackZ } from './stacking.js';
import { loadMixedNet, loadNet, loadSeqNet, loadTextNet } from './net-family.js';
import { isRecommendFamily, loadRecommendMember, RECOMMEND_FAMILIES } from '../recommend/families.js';
import { CnnParams, FAMILIES, IMAGE_FAMILIES, MIXED_FAMILIES, MixedNetParams, SEQUENCE_FAMILIES, SeqNetParams, TEXT_FAMILIES, TextNetParams, TorchParams, paramsSchema, type ForestParams, type XgbParams } from './spec.js';
import { loadTorch } from './torch-family.js';
import { loadXgb } from './xgboost-family.js';

/**
 * Bump when a reader of the old version could not load the new one (2: image models; 3: bagged
 * members, which a format-2 reader would look for in the wrong tensors). Text models are format
 * 2 as well: a format-2 reader without them rejects their manifest as damaged rather than
 * misreading it, and every older format-2 file still loads. So are text models with a Hugging
 * Face tokenizer in place of the word vocabulary (pretrained checkpoints). A file is written with
 * the lowest version that reads it (`BASE_FORMAT_VERSION` unless a member is bagged), so models
 * without bagged members still load in format-2 readers.
 */
export const FORMAT_VERSION = 3;
/** The version of models without bagged members: every format-2 reader loads them. */
export const BASE_FORMAT_VERSION = 2;

const ColumnSchemaZ = z.object({
  name: z.string(),
  type: z.enum(['numeric', 'categorical', 'boolean', 'text', 'date']),
  categories: z.array(z.string()).optional(),
});

/** tokenizer.json verbatim (and tokenizer_config.json): what HfTokenizer.fromJSON reads back. */
const HfTokenizerZ = z.object({ kind: z.literal('hf'), json: z.string(), config: z.record(z.string(), z.unknown()).optional() });

const VocabZ = z.object({ kind: z.literal('lepton-word-vocab'), version: z.literal(1), lowercase: z.boolean(), tokens: z.array(z.string()).min(4) });

const StepZ = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('scale'), column: z.string(), median: z.number(), mean: z.number(), std: z.number() }),
  z.object({ kind: z.literal('onehot'), column: z.string(), categories: z.array(z.string()), fill: z.string() }),
  z.object({ kind: z.literal('tokens'), column: z.string(), seqLen: z.int().positive(), vocab: VocabZ }),
  z.object({ kind: z.literal('image'), column: z.string(), channels: z.union([z.literal(1), z.literal(3)]), height: z.int().positive().max(4096), width: z.int().positive().max(4096) }),
]);

export const ManifestZ = z.object({
  formatVersion: z.int().min(1).max(FORMAT_VERSION),
  leptonVersion: z.string(),
  createdAt: z.string(),
  seed: z.number(),
  target: z.discriminatedUnion('task', [
    z.object({ task: z.literal('classification'), column: z.string(), classes: z.array(z.string()).min(2) }),
    z.object({ task: z.literal('regression'), column: z.string(), mean: z.number(), std: z.number() }),
  ]),
  targetSchema: ColumnSchemaZ,
  pipeline: z.object({
    version: z.literal(1),
    inputs: z.array(ColumnSchemaZ),
    steps: z.array(StepZ),
    skipped: z.array(z.object({ column: z.string(), reason: z.string() })),
  }),
  /**
   * Image models read n × channels × height × width pixels instead of pipeline columns; text
   * models read strings, tokenised with the stored word vocabulary into seqLen ids each.
   */
  input: z
    .discriminatedUnion('kind', [
      z.object({ kind: z.literal('image'), channels: z.int().positive(), height: z.int().positive(), width: z.int().positive() }),
      /** Mixed models read table rows: the pipeline turns them into [tabular features | token ids per text column | pixels per image column] (its `tokens` steps hold each text column's vocabulary and seqLen, its `image` steps each image column's shape). */
      z.object({ kind: z.literal('mixed') }),
      z.object({
        kind: z.literal('text'),
        seqLen: z.int().positive(),
        vocab: VocabZ.optional(),
        /** A Hugging Face tokenizer.json (pretrained checkpoints) in place of the word vocabulary. */
        tokenizer: HfTokenizerZ.optional(),
      }),
      /** Recommendation models: a history of item names (the classes), the `seqLen` most recent read; `popular` (item index, share of training interactions) answers empty histories. */
      z.object({ kind: z.literal('history'), seqLen: z.int().positive(), order: z.enum(['random', 'column', 'time', 'file']), popular: z.array(z.tuple([z.int().min(0), z.number()])) }),
      /**
       * Sequence models read a long table: rows grouped by `id`, sorted by `time`, each id's last
       * `seqLen` steps of `sensors` standardised with the training `scaler` (src/data/sequences.ts).
       */
      z.object({
        kind: z.literal('sequence'),
        id: z.string(),
        time: z.string(),
        sensors: z.array(z.string()).min(1),
        seqLen: z.int().positive(),
        scaler: z.object({ mean: z.array(z.number()), std: z.array(z.number()) }),
      }),
    ])
    .optional(),
  /** Name of the chosen candidate: a family, or 'ensemble'. */
  selected: z.string(),
  members: z.array(
    z.object({
      family: z.enum([...FAMILIES, ...IMAGE_FAMILIES, ...TEXT_FAMILIES, ...SEQUENCE_FAMILIES, ...MIXED_FAMILIES, ...RECOMMEND_FAMILIES]),
      params: z.record(z.string(), z.unknown()),
      info: z.object({ epochs: z.number(), bestEpoch: z.number(), stopReason: z.string() }),
      weight: z.number().positive(),
      /** A bagged member (table families): this many fold models, averaged (src/models/bagged.ts). */
      folds: z.int().min(2).max(100).optional(),
    }),
  ).min(1),
  /** A stacked ensemble (AutoML): the members' outputs combined by this meta-model instead of their weighted average. */
  stack: StackZ.optional(),
  /** Free-form training summary (leaderboard, test metrics, split sizes) for `show`. */
  training: z.record(z.string(), z.unknown()).optional(),
});
export type Manifest = z.infer<typeof ManifestZ>;

/** A table model's manifest: the target, the fitted pipeline and the members with their weights (default 1). */
export function tableManifest(o: { seed: number; target: Manifest['target']; targetSchema: Manifest['targetSchema']; pipeline: Manifest['pipeline']; selected: string; members: readonly Member[]; weights?: readonly number[] }): Manifest {
  const bagged = o.members.some((m) => m instanceof BaggedMember);
  return {
    formatVersion: bagged ? FORMAT_VERSION : BASE_FORMAT_VERSION,
    leptonVersion: VERSION,
    createdAt: new Date().toISOString(),
    seed: o.seed,
    target: o.target,
    targetSchema: o.targetSchema,
    pipeline: o.pipeline,
    selected: o.selected,
    members: o.members.map((m, j) => ({ family: m.family, params: { ...m.params }, info: m.info, weight: o.weights?.[j] ?? 1, ...(m instanceof BaggedMember ? { folds: m.folds.length } : {}) })),
  };
}

/** The artifact's bytes (what `saveModel` writes and the registry's store keeps). */
export function encodeModel(model: LeptonModel): Buffer {
  const tensors = new Map<string, StTensor>();
  model.members.forEach((m, i) => {
    for (const [k, v] of m.tensors(`m${i}.`)) tensors.set(k, v);
  });
  return encodeSafetensors(tensors, { 'lepton.format': String(model.manifest.formatVersion), 'lepton.manifest': JSON.stringify(model.manifest) });
}

export async function saveModel(model: LeptonModel, path: string): Promise<void> {
  const buf = encodeModel(model);
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeFile(tmp, buf);
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw new LeptonError('E_FILE', `cannot write model to '${path}': ${(e as Error).message}`, 'check that the folder exists and is writable', { cause: e });
  }
}

/** Loads a model file written by any Lepton whose format version this one can read. */
export async function loadModel(path: string): Promise<LeptonModel> {
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch {
    throw new LeptonError('E_FILE', `model file not found: '${path}'`, 'give the path written by `lepton train --out`');
  }
  return decodeModel(buf, path);
}

/** A model from artifact bytes; `path` names it in messages. */
export function decodeModel(buf: Uint8Array, path: string): LeptonModel {
  const { tensors, metadata } = decodeSafetensors(buf, path);
  const format = Number(metadata['lepton.format']);
  if (!metadata['lepton.format'] || !Number.isInteger(format)) {
    throw new LeptonError('E_MODEL_FILE', `${path} is a safetensors file but not a Lepton model (no lepton.format)`, 'give a file written by `lepton train --out`');
  }
  if (format > FORMAT_VERSION) {
    throw new LeptonError('E_MODEL_FILE', `${path} uses model format ${format}, newer than this Lepton (${VERSION}) reads (format ${FORMAT_VERSION})`, 'upgrade Lepton to load this model');
  }
  let manifest: Manifest;
  try {
    manifest = ManifestZ.parse(JSON.parse(metadata['lepton.manifest'] ?? ''));
  } catch (e) {
    throw new LeptonError('E_MODEL_FILE', `${path} has a damaged manifest (${(e as Error).message.slice(0, 200)})`, 'train the model again', { cause: e });
  }
  const ctx = {
    task: manifest.target.task,
    numClasses: manifest.target.task === 'classification' ? manifest.target.classes.length : 1,
    numFeatures: new Pipeline(manifest.pipeline).outputDim,
    seed: manifest.seed,
  };
  const input = manifest.input;
  const members: Member[] = [];
  try {
    manifest.members.forEach((m, i) => {
      const prefix = `m${i}.`;
      if (m.family === 'cnn') {
        if (input?.kind !== 'image') throw new LeptonError('E_MODEL_FILE', `${path} has a CNN member but no image input`, 'train the model again');
        members.push(loadNet(CnnParams.parse(m.params), m.info, tensors, prefix, [input.channels, input.height, input.width], ctx.numClasses, manifest.seed));
        return;
      }
      if (m.family === 'mixed') {
        if (input?.kind !== 'mixed') throw new LeptonError('E_MODEL_FILE', `${path} has a mixed member but no mixed input`, 'train the model again');
        members.push(loadMixedNet(MixedNetParams.parse(m.params), m.info, tensors, prefix, new Pipeline(manifest.pipeline).layout, ctx.numClasses, manifest.seed));
        return;
      }
      if (isRecommendFamily(m.family)) {
        members.push(loadRecommendMember(m.family, m.params, m.info, tensors, prefix, input, ctx.numClasses, manifest.seed, path));
        return;
      }
      if (m.family === 'seqnet') {
        if (input?.kind !== 'sequence') throw new LeptonError('E_MODEL_FILE', `${path} has a sequence member but no sequence input`, 'train the model again');
        members.push(loadSeqNet(SeqNetParams.parse(m.params), m.info, tensors, prefix, { seqLen: input.seqLen, sensors: input.sensors.length }, ctx.numClasses, manifest.seed));
        return;
      }
      if (m.family === 'textnet') {
        if (input?.kind !== 'text') throw new LeptonError('E_MODEL_FILE', `${path} has a text member but no text input`, 'train the model again');
        members.push(loadTextNet(TextNetParams.parse(m.params), m.info, tensors, prefix, { vocab: input.vocab?.tokens.length ?? 0, seqLen: input.seqLen }, ctx.numClasses, manifest.seed));
        return;
      }
      const family = m.family;
      const load = (p: string): Member =>
        family === 'xgboost' || family === 'forest'
          ? loadXgb(family, paramsSchema(family).parse(m.params) as XgbParams | ForestParams, m.info, tensors, p, ctx.task === 'classification' ? ctx.numClasses : 1)
          : loadTorch(family, TorchParams.parse(m.params), m.info, tensors, p, ctx);
      if (m.folds === undefined) return void members.push(load(prefix));
      const folds: Member[] = [];
      try {
        for (let j = 0; j < m.folds; j++) folds.push(load(`${prefix}f${j}.`));
      } catch (e) {
        for (const f of folds) f.dispose();
        throw e;
      }
      members.push(new BaggedMember(folds));
    });
  } catch (e) {
    for (const m of members) m.dispose();
    throw e;
  }
  return new LeptonModel(manifest, members);
}
