/**
 * `trainTexts`: a text classifier (the 'textnet' family, default DEFAULT_TEXT_TRANSFORMER) on
 * strings and their classes. A stratified train/validation/test split (70/15/15), the word
 * vocabulary fitted on the training split only (validation and test words it never saw are
 * [UNK], as at prediction time), early stopping on validation loss with the best epoch's
 * weights kept, then the report on the untouched test split. The vocabulary and seqLen are
 * stored in the manifest's `input`, so `model.predictTexts` tokenises exactly as training did.
 * @example
 *   const { texts, labels, classes } = await readTextArff('data/ReutersGrain-train.arff');
 *   const { model, test } = await trainTexts(texts, labels, classes, { seqLen: 128 });
 *   await saveModel(model, 'grain.lepton');
 * @module
 */
import { fitOrSearch, type NetworkSearch } from '../automl/networks.js';
import type { RawTable } from '../data/infer.js';
import type { Table } from '../data/table.js';
import { LeptonError, listNames } from '../errors.js';
import { TextNetParams } from '../models/spec.js';
import { fitTarget, type Task } from '../prep/target.js';
import { WordTokenizer, type TextEncoder, type TokenizerOptions } from '../text/tokenizer.js';
import { parseNetParams, trainNetwork, type NetworkTrainOptions, type NetworkTrainResult } from './train-network.js';

export interface TextTrainOptions extends NetworkTrainOptions {
  /** Network hyper-parameters (epochs, lr, layers, …); see TextNetParams. Threads default to 1. */
  params?: Partial<TextNetParams>;
  /** Words per text the network reads (default 128); longer texts are truncated and counted. */
  seqLen?: number;
  /** Vocabulary options (default minFreq 2, maxSize 20000). */
  tokenizer?: TokenizerOptions;
  /** The table column the texts came from (tableTextDataset): predict and eval then read that column of table rows. */
  column?: string;
  /** AutoML: search the network's hyper-parameters (transformer or GRU, widths, …) on the validation split. */
  search?: NetworkSearch;
}

export interface TextTrainResult extends NetworkTrainResult {
  /** Vocabulary entries, the 3 special tokens included. */
  vocabSize: number;
  /** Training-split texts cut at seqLen. */
  truncated: number;
}

/** Trains a text classifier; `labels` index into `classes`. */
export async function trainTexts(texts: readonly string[], labels: Int32Array | readonly number[], classes: readonly string[], options: TextTrainOptions = {}): Promise<TextTrainResult> {
  const y = checkTextLabels(texts, labels, classes);
  const parse = (p?: Record<string, unknown>) => parseNetParams(TextNetParams, { ...options.params, ...p }, 'text network', 'see `lepton train --help` for the text options');
  const params = parse();
  const seqLen = options.seqLen ?? 128;
  if (!Number.isInteger(seqLen) || seqLen < 1) throw new LeptonError('E_OPTION', `seqLen must be a positive integer, got ${seqLen}`, 'e.g. 128');
  const pick = (rows: Int32Array) => Array.from(rows, (r) => texts[r]!);
  let tokenizer: WordTokenizer | undefined;
  let truncated = 0;
  const result = await trainNetwork({
    family: 'textnet',
    labels: y,
    classes,
    params,
    options,
    defaultThreads: 1,
    prepare: (split) => {
      // The vocabulary sees the training split only: validation and test words are [UNK] as at prediction time.
      const tok = (tokenizer = WordTokenizer.fit(pick(split.train), { minFreq: 2, maxSize: 20000, ...options.tokenizer }));
      return {
        features: textFeatures(tok, texts, seqLen, split.train, (n) => (truncated = n)),
        numFeatures: seqLen,
        input: { kind: 'text', seqLen, vocab: tok.toJSON() },
        pipeline: options.column ? { version: 1, inputs: [{ name: options.column, type: 'text' }], steps: [], skipped: [] } : undefined,
        fit: (train, val, ctx) => fitOrSearch(options.search, params, parse, { family: 'textnet', shape: { vocab: tok.size, seqLen } }, train, val, ctx),
        summary: () => ({ text: { seqLen, vocabSize: tok.size, truncatedTrain: truncated } }),
      };
    },
  });
  if (options.search) result.model.manifest.training = { ...result.model.manifest.training, automl: options.search.summary() };
  return { ...result, vocabSize: tokenizer!.size, truncated };
}

/** Network input of the given rows: seqLen ids per text; the training split's truncation count goes to `onTrain`. */
export function textFeatures(tok: TextEncoder, texts: readonly string[], seqLen: number, trainRows: Int32Array, onTrain: (truncated: number) => void): (rows: Int32Array) => Float32Array {
  return (rows) => {
    const enc = tok.encode(Array.from(rows, (r) => texts[r]!), seqLen);
    if (rows === trainRows) onTrain(enc.truncated);
    return enc.ids;
  };
}

/** The labels as class indices, after checking there is one per text, at least 2 classes and 20 texts. */
export function checkTextLabels(texts: readonly string[], labels: Int32Array | readonly number[], classes: readonly string[]): Int32Array {
  if (texts.length !== labels.length) throw new LeptonError('E_VALUE', `${texts.length} texts but ${labels.length} labels`, 'give one label per text');
  if (classes.length < 2) throw new LeptonError('E_TARGET', `the texts have ${classes.length} class; at least 2 are needed`, 'add a sub-folder per class');
  if (texts.length < 20) throw new LeptonError('E_TARGET', `only ${texts.length} texts; at least 20 are needed`, 'add texts');
  const y = Int32Array.from(labels);
  for (const c of y) if (!Number.isInteger(c) || c < 0 || c >= classes.length) throw new LeptonError('E_VALUE', `label ${c} is not a class index (0–${classes.length - 1})`, 'labels index into classes');
  return y;
}

/** Texts, class indices and sorted class names from a text folder's table (readFolder kind 'texts'). */
export function textDataset(raw: RawTable): { texts: string[]; labels: Int32Array; classes: string[] } {
  const ti = raw.names.indexOf('text');
  const li = raw.names.indexOf('label');
  if (ti < 0 || li < 0) throw new LeptonError('E_COLUMN', `${raw.source ?? 'the data'} has no text and label columns`, 'give a folder with one sub-folder of .txt files per class');
  const texts: string[] = [];
  const names: string[] = [];
  raw.cells[ti]!.forEach((t, i) => {
    const l = raw.cells[li]![i];
    if (t === null || t === undefined || l === null || l === undefined) return;
    texts.push(String(t));
    names.push(String(l));
  });
  const classes = [...new Set(names)].sort();
  const index = new Map(classes.map((c, i) => [c, i]));
  return { texts, labels: Int32Array.from(names, (n) => index.get(n)!), classes };
}

/**
 * Texts and class indices from a table whose only feature is a free-text column (what
 * `lepton train --model auto` trains textnet on), or from the given `column`; the classes keep
 * fitTarget's order.
 */
export function tableTextDataset(table: Table, target: string, task?: Task, column?: string): { texts: string[]; labels: Int32Array; classes: string[]; column: string } {
  const features = table.columnNames.filter((c) => c !== target);
  const text = column !== undefined ? [column] : features.filter((c) => table.column(c).type === 'text');
  if (column === undefined && (features.length !== 1 || text.length !== 1)) {
    throw new LeptonError('E_COLUMN', `textnet reads one free-text column; the features are ${listNames(features, 20)}`, text.length ? 'use --model mixed for text beside other columns, or --drop the others' : 'no column holds free text: leave --model out');
  }
  if (!table.has(text[0]!)) throw new LeptonError('E_COLUMN', `the data has no column '${text[0]}' (the texts the model reads)`, `give a table with columns '${text[0]}' and '${target}'`);
  const { encoder, y, rows } = fitTarget(table, target, task);
  if (encoder.task !== 'classification') throw new LeptonError('E_TARGET', `text models classify; '${target}' is a regression target`, 'leave --model out, or pass --task classification');
  const texts: string[] = [];
  const labels: number[] = [];
  rows.forEach((r, i) => {
    const t = table.cell(text[0]!, r);
    if (t === null) return;
    texts.push(String(t));
    labels.push(y[i]!);
  });
  return { texts, labels: Int32Array.from(labels), classes: encoder.classes, column: text[0]! };
}
