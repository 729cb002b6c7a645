/**
 * `trainPretrainedTexts`: fine-tunes a Hugging Face BERT checkpoint (readHfCheckpoint) as a text
 * classifier, BertForSequenceClassification-style: the encoder's pooled [CLS] vector → dropout →
 * a linear head. Fully, or with LoRA adapters (`lora`): then only the adapters and the head
 * train and the checkpoint's weights stay as they were. The split, early stopping, manifest and
 * test report are trainNetwork's, as for the word-vocabulary text family; the artifact keeps the
 * checkpoint's tokenizer.json, so `model.predictTexts` tokenises exactly as training did.
 * @example
 *   const { model, test } = await trainPretrainedTexts(texts, labels, classes, { checkpoint: 'bert-base-uncased/', lora: { r: 8 } });
 *   await saveModel(model, 'tickets.lepton');
 * @module
 */
import type { LoraOptions } from '../engine/addon.js';
import { LeptonError } from '../errors.js';
import { fitTextNet } from '../models/net-family.js';
import { bertClassifierSpec, loadCheckpointWeights, readHfCheckpoint } from '../models/pretrained/hf-checkpoint.js';
import { TextNetParams } from '../models/spec.js';
import { checkTextLabels, textFeatures, type TextTrainOptions, type TextTrainResult } from './train-texts.js';
import { parseNetParams, trainNetwork } from './train-network.js';

export interface PretrainedTextOptions extends Omit<TextTrainOptions, 'tokenizer' | 'search'> {
  /** A folder with config.json, model.safetensors and tokenizer.json (save_pretrained). */
  checkpoint: string;
  /** Train LoRA adapters (rank r; alpha default 2r, dropout default 0.1, on query and value) and the head only. */
  lora?: LoraOptions;
}

/**
 * Why these defaults: the usual fine-tuning rates (BERT paper: 2e-5–5e-5 for all weights; LoRA
 * adapters take ~10× more), and the text family's other training options.
 */
const LR = { full: 5e-5, lora: 5e-4 };

export async function trainPretrainedTexts(texts: readonly string[], labels: Int32Array | readonly number[], classes: readonly string[], options: PretrainedTextOptions): Promise<TextTrainResult> {
  const y = checkTextLabels(texts, labels, classes);
  const ckpt = await readHfCheckpoint(options.checkpoint);
  const maxLen = ckpt.config.max_position_embeddings;
  const seqLen = options.seqLen ?? Math.min(128, maxLen);
  if (!Number.isInteger(seqLen) || seqLen < 2 || seqLen > maxLen) throw new LeptonError('E_OPTION', `seqLen must be an integer in [2, ${maxLen}] for this checkpoint, got ${seqLen}`, `the model reads at most ${maxLen} tokens (max_position_embeddings); e.g. ${Math.min(128, maxLen)}`);
  const lora = options.lora ? { alpha: 2 * options.lora.r, dropout: 0.1, ...options.lora } : undefined;
  const seed = options.seed ?? 42;
  const spec = bertClassifierSpec(ckpt, { classes: classes.length, seqLen, lora, seed });
  const params = parseNetParams(TextNetParams, { lr: lora ? LR.lora : LR.full, ...options.params, layers: spec.layers }, 'text network', 'see `lepton train --help` for the text options');
  const tok = ckpt.tokenizer;
  let truncated = 0;
  let headFromCheckpoint = false;
  const result = await trainNetwork({
    family: 'textnet',
    labels: y,
    classes,
    params,
    options: { ...options, seed },
    defaultThreads: 1,
    prepare: (split) => ({
      features: textFeatures(tok, texts, seqLen, split.train, (n) => (truncated = n)),
      numFeatures: seqLen,
      input: { kind: 'text', seqLen, tokenizer: tok.toJSON() },
      fit: (train, val, ctx) => fitTextNet(params, { vocab: tok.size, seqLen }, train, val, ctx, (net) => ({ headFromCheckpoint } = loadCheckpointWeights(net, ckpt))),
      summary: () => ({
        text: { seqLen, vocabSize: tok.size, truncatedTrain: truncated },
        pretrained: { checkpoint: options.checkpoint, architecture: 'bert', lora: lora ?? null, headFromCheckpoint, ignoredTensors: ckpt.ignored },
      }),
    }),
  });
  return { ...result, vocabSize: tok.size, truncated };
}
