/**
 * Text classification glue for the sequence networks: read a (text, class) ARFF such as
 * ReutersGrain, fit a word vocabulary, encode, train a TorchNet text classifier
 * (DEFAULT_TEXT_GRU or DEFAULT_TEXT_TRANSFORMER) and score it: a bare network for experiments.
 * For a saved, served LeptonModel (vocabulary in the manifest), use src/train/train-texts.ts's
 * trainTexts.
 * @module
 */
import { readFile } from 'node:fs/promises';
import type { EpochReport, FitSummary, NativeTorchNet, TorchFitOptions } from '../engine/addon.js';
import { LeptonError } from '../errors.js';
import { parseArff } from '../data/readers/arff.js';
import { buildNet, DEFAULT_TEXT_GRU, DEFAULT_TEXT_TRANSFORMER, parseNetSpec, type NetSpec } from '../models/net-spec.js';
import { WordTokenizer, type TokenizerOptions } from './tokenizer.js';

export interface TextDataset {
  texts: string[];
  /** Class indices into `classes`. */
  labels: Int32Array;
  classes: string[];
}

/** The first string attribute and the last nominal attribute of an ARFF file (rows missing either are skipped). */
export async function readTextArff(path: string): Promise<TextDataset> {
  const raw = parseArff(await readFile(path, 'utf8'), path);
  const schema = raw.names.map((n) => raw.declared?.get(n));
  const textCol = schema.findIndex((s) => s?.type === 'text');
  const classCol = schema.map((s) => s?.type === 'categorical').lastIndexOf(true);
  if (textCol < 0 || classCol < 0) throw new LeptonError('E_COLUMN', `${path}: needs a string attribute (the text) and a nominal one (the class)`, '@attribute Text string / @attribute class {a,b}');
  const classes = schema[classCol]!.categories!;
  const texts: string[] = [];
  const labels: number[] = [];
  const n = raw.cells[textCol]!.length;
  for (let i = 0; i < n; i++) {
    const t = raw.cells[textCol]![i];
    const c = raw.cells[classCol]![i];
    if (t === null || t === undefined || c === null || c === undefined) continue;
    const k = classes.indexOf(String(c));
    if (k < 0) throw new LeptonError('E_VALUE', `${path}: row ${i + 1}: class '${String(c)}' is not declared`, `declared: ${classes.join(', ')}`);
    texts.push(String(t));
    labels.push(k);
  }
  return { texts, labels: Int32Array.from(labels), classes };
}

export interface TextClassifierOptions {
  architecture?: 'gru' | 'transformer';
  seqLen?: number;
  tokenizer?: TokenizerOptions;
  /** Passed to fit; task, lrPerEpoch and seed default here. */
  fit?: Partial<TorchFitOptions> & { lr?: number };
  seed?: number;
  /** Embedding and hidden width 32 and one recurrent / encoder layer instead of the defaults (quick runs, small data). */
  small?: boolean;
  /** Weight the classes by inverse frequency in the loss (default false). */
  balanced?: boolean;
  onEpoch?: (r: EpochReport) => void;
}

export interface TextClassifier {
  tokenizer: WordTokenizer;
  spec: NetSpec;
  net: NativeTorchNet;
  seqLen: number;
  classes: string[];
  summary: FitSummary;
  warnings: string[];
  /** Class probabilities, n × classes. */
  predict(texts: readonly string[]): Promise<Float32Array>;
}

/** Fits a vocabulary on `train.texts` and trains a sequence classifier on them. */
export async function trainTextClassifier(train: TextDataset, options: TextClassifierOptions = {}): Promise<TextClassifier> {
  const seqLen = options.seqLen ?? 128;
  const seed = options.seed ?? 0;
  const tokenizer = WordTokenizer.fit(train.texts, { minFreq: 2, maxSize: 20000, ...options.tokenizer });
  const k = train.classes.length;
  const gru = (options.architecture ?? 'gru') === 'gru';
  const spec = options.small
    ? parseNetSpec({
        inputShape: [seqLen],
        layers: [
          { type: 'embedding', vocab: tokenizer.size, dim: 32 },
          gru ? { type: 'gru', hidden: 32 } : { type: 'transformer', heads: 2, ff: 64, layers: 1 },
          { type: 'pool', mode: 'mean' },
          { type: 'linear', out: k },
        ],
        outputDim: k,
        seed,
      })
    : gru
      ? DEFAULT_TEXT_GRU(tokenizer.size, seqLen, k, seed)
      : DEFAULT_TEXT_TRANSFORMER(tokenizer.size, seqLen, k, seed);
  const enc = tokenizer.encode(train.texts, seqLen);
  const net = buildNet(spec);
  const { lr, ...fit } = options.fit ?? {};
  let classWeights: Float32Array | undefined;
  if (options.balanced) {
    const counts = new Float32Array(k);
    for (const y of train.labels) counts[y]!++;
    classWeights = counts.map((c) => (c > 0 ? train.labels.length / (k * c) : 0));
  }
  const summary = await net.fit(
    { x: enc.ids, y: train.labels },
    { task: 'classification', epochs: 5, batchSize: 32, optimizer: 'adam', lrPerEpoch: new Float64Array([lr ?? 2e-3]), weightDecay: 0, patience: 0, seed, threads: 1, ...(classWeights ? { classWeights } : {}), ...fit },
    options.onEpoch,
  );
  return {
    tokenizer,
    spec,
    net,
    seqLen,
    classes: train.classes,
    summary,
    warnings: enc.warnings,
    predict: (texts) => net.predict(tokenizer.encode(texts, seqLen).ids),
  };
}

/** Precision, recall and F1 of class `positive` given n × k probabilities (argmax). */
export function positiveF1(probs: Float32Array, labels: Int32Array, k: number, positive = 1): { precision: number; recall: number; f1: number } {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (let i = 0; i < labels.length; i++) {
    const row = probs.subarray(i * k, i * k + k);
    const pred = row.indexOf(Math.max(...row));
    if (pred === positive && labels[i] === positive) tp++;
    else if (pred === positive) fp++;
    else if (labels[i] === positive) fn++;
  }
  const precision = tp + fp ? tp / (tp + fp) : 0;
  const recall = tp + fn ? tp / (tp + fn) : 0;
  return { precision, recall, f1: precision + recall ? (2 * precision * recall) / (precision + recall) : 0 };
}
