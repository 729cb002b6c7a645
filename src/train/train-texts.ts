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
import type { RawTable } from '../data/infer.js';
import { LeptonError } from '../errors.js';
import { classificationReport, type ClassificationReport } from '../eval/metrics.js';
import { FORMAT_VERSION, type Manifest } from '../models/artifact.js';
import { LeptonModel } from '../models/model.js';
import { fitTextNet } from '../models/net-family.js';
import { TextNetParams } from '../models/spec.js';
import { VERSION } from '../package-root.js';
import { stratifiedSplit } from '../prep/split.js';
import { WordTokenizer, type TokenizerOptions } from '../text/tokenizer.js';
import type { LeaderboardEntry, ProgressEvent } from './candidates.js';

export interface TextTrainOptions {
  /** Network hyper-parameters (epochs, lr, layers, …); see TextNetParams. */
  params?: Partial<TextNetParams>;
  /** Words per text the network reads (default 128); longer texts are truncated and counted. */
  seqLen?: number;
  /** Vocabulary options (default minFreq 2, maxSize 20000). */
  tokenizer?: TokenizerOptions;
  seed?: number;
  valFraction?: number;
  testFraction?: number;
  /** Intra-op threads (default 1). */
  torchThreads?: number;
  onProgress?: (e: ProgressEvent) => void;
  signal?: AbortSignal;
  /** Name of the data for the manifest. */
  source?: string;
}

export interface TextTrainResult {
  model: LeptonModel;
  leaderboard: LeaderboardEntry[];
  test: ClassificationReport;
  split: { train: number; val: number; test: number; trainSplit: number };
  /** Vocabulary entries, the 3 special tokens included. */
  vocabSize: number;
  /** Training-split texts cut at seqLen. */
  truncated: number;
}

/** Trains a text classifier; `labels` index into `classes`. */
export async function trainTexts(texts: readonly string[], labels: Int32Array | readonly number[], classes: readonly string[], options: TextTrainOptions = {}): Promise<TextTrainResult> {
  if (texts.length !== labels.length) throw new LeptonError('E_VALUE', `${texts.length} texts but ${labels.length} labels`, 'give one label per text');
  if (classes.length < 2) throw new LeptonError('E_TARGET', `the texts have ${classes.length} class; at least 2 are needed`, 'add a sub-folder per class');
  if (texts.length < 20) throw new LeptonError('E_TARGET', `only ${texts.length} texts; at least 20 are needed`, 'add texts');
  const y = Int32Array.from(labels);
  for (const c of y) if (!Number.isInteger(c) || c < 0 || c >= classes.length) throw new LeptonError('E_VALUE', `label ${c} is not a class index (0–${classes.length - 1})`, 'labels index into classes');
  const parsed = TextNetParams.safeParse(options.params ?? {});
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    throw new LeptonError('E_OPTION', `text network parameter ${i.path.join('.') || '(params)'}: ${i.message}`, 'see `lepton train --help` for the text options');
  }
  const params = parsed.data;
  const seqLen = options.seqLen ?? 128;
  if (!Number.isInteger(seqLen) || seqLen < 1) throw new LeptonError('E_OPTION', `seqLen must be a positive integer, got ${seqLen}`, 'e.g. 128');
  const seed = options.seed ?? 42;
  const split = stratifiedSplit(y, { val: options.valFraction ?? 0.15, test: options.testFraction ?? 0.15 }, seed);
  const pick = (rows: Int32Array) => Array.from(rows, (r) => texts[r]!);
  const tokenizer = WordTokenizer.fit(pick(split.train), { minFreq: 2, maxSize: 20000, ...options.tokenizer });
  const part = (rows: Int32Array) => {
    const enc = tokenizer.encode(pick(rows), seqLen);
    return { x: enc.ids, y: Int32Array.from(rows, (r) => y[r]!), truncated: enc.truncated };
  };
  const train = part(split.train);
  const val = part(split.val);
  const started = performance.now();
  options.onProgress?.({ type: 'candidate-start', candidate: 'textnet', index: 0, total: 1 });
  const member = await fitTextNet(params, { vocab: tokenizer.size, seqLen }, train, val, {
    task: 'classification',
    numClasses: classes.length,
    numFeatures: seqLen,
    seed,
    torchThreads: options.torchThreads ?? 1,
    xgbThreads: 1,
    onEpoch: (p) => options.onProgress?.({ type: 'epoch', candidate: 'textnet', ...p }),
    signal: options.signal,
  });
  const manifest: Manifest = {
    formatVersion: FORMAT_VERSION,
    leptonVersion: VERSION,
    createdAt: new Date().toISOString(),
    seed,
    target: { task: 'classification', column: 'label', classes: [...classes] },
    targetSchema: { name: 'label', type: 'categorical', categories: [...classes] },
    pipeline: { version: 1, inputs: [], steps: [], skipped: [] },
    input: { kind: 'text', seqLen, vocab: tokenizer.toJSON() },
    selected: 'textnet',
    members: [{ family: 'textnet', params: { ...params }, info: member.info, weight: 1 }],
  };
  const model = new LeptonModel(manifest, [member]);
  try {
    const names = [...classes];
    const valReport = classificationReport(await model.predictFeatures(val.x), val.y, names);
    const seconds = (performance.now() - started) / 1000;
    options.onProgress?.({ type: 'candidate-end', candidate: 'textnet', seconds, epochs: member.info.epochs, valScore: valReport.rocAuc ?? Number.NaN });
    const leaderboard: LeaderboardEntry[] = [{ name: 'textnet', valScore: valReport.rocAuc ?? Number.NaN, metric: 'roc_auc', seconds, epochs: member.info.epochs, bestEpoch: member.info.bestEpoch, selected: true }];
    const test = part(split.test);
    const report = classificationReport(await model.predictFeatures(test.x), test.y, names);
    const sizes = { train: split.train.length, val: split.val.length, test: split.test.length, trainSplit: split.train.length };
    manifest.training = { leaderboard, test: report, split: sizes, source: options.source ?? null, text: { seqLen, vocabSize: tokenizer.size, truncatedTrain: train.truncated } };
    return { model, leaderboard, test: report, split: sizes, vocabSize: tokenizer.size, truncated: train.truncated };
  } catch (e) {
    model.dispose();
    throw e;
  }
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
