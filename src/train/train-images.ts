/**
 * `trainImages`: a CNN on an image set (image folder, IDX, registered image dataset). A
 * stratified train/validation/test split, early stopping on validation loss with the best
 * epoch's weights kept, then the report on the untouched test split. No refit on
 * train + validation: an epoch over tens of thousands of images is too dear to pay twice.
 * @example
 *   const set = await readImageFolder('scans/');
 *   const { model, test } = await trainImages(set, { epochs: 10 });
 *   await saveModel(model, 'scans.lepton');
 * @module
 */
import { availableParallelism } from 'node:os';
import { imageFeatures, takeImages, type ImageSet } from '../data/images.js';
import { LeptonError } from '../errors.js';
import { classificationReport, type ClassificationReport } from '../eval/metrics.js';
import { FORMAT_VERSION, type Manifest } from '../models/artifact.js';
import { LeptonModel } from '../models/model.js';
import { fitNet } from '../models/net-family.js';
import { CnnParams } from '../models/spec.js';
import { VERSION } from '../package-root.js';
import { stratifiedSplit } from '../prep/split.js';
import type { LeaderboardEntry, ProgressEvent } from './candidates.js';

export interface ImageTrainOptions {
  /** CNN hyper-parameters (epochs, lr, layers, …); see CnnParams. */
  params?: Partial<CnnParams>;
  seed?: number;
  valFraction?: number;
  testFraction?: number;
  /** Intra-op threads (default: all cores; convolutions scale, unlike small tabular nets). */
  torchThreads?: number;
  onProgress?: (e: ProgressEvent) => void;
  signal?: AbortSignal;
  /** Name of the data for the manifest. */
  source?: string;
}

export interface ImageTrainResult {
  model: LeptonModel;
  leaderboard: LeaderboardEntry[];
  test: ClassificationReport;
  split: { train: number; val: number; test: number; trainSplit: number };
}

export async function trainImages(set: ImageSet, options: ImageTrainOptions = {}): Promise<ImageTrainResult> {
  if (set.classes.length < 2) throw new LeptonError('E_TARGET', `the images have ${set.classes.length} class; at least 2 are needed`, 'add a sub-folder per class');
  if (set.n < 20) throw new LeptonError('E_TARGET', `only ${set.n} images; at least 20 are needed`, 'add images');
  const parsed = CnnParams.safeParse(options.params ?? {});
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    throw new LeptonError('E_OPTION', `cnn parameter ${i.path.join('.') || '(params)'}: ${i.message}`, 'see `lepton train --help` for the image options');
  }
  const params = parsed.data;
  const seed = options.seed ?? 42;
  const split = stratifiedSplit(set.labels, { val: options.valFraction ?? 0.15, test: options.testFraction ?? 0.15 }, seed);
  const part = (rows: Int32Array) => {
    const s = takeImages(set, rows);
    return { x: imageFeatures(s), y: s.labels };
  };
  const train = part(split.train);
  const val = part(split.val);
  const started = performance.now();
  options.onProgress?.({ type: 'candidate-start', candidate: 'cnn', index: 0, total: 1 });
  const member = await fitNet(params, [set.channels, set.height, set.width], train, val, {
    task: 'classification',
    numClasses: set.classes.length,
    numFeatures: set.channels * set.height * set.width,
    seed,
    torchThreads: options.torchThreads ?? availableParallelism(),
    xgbThreads: 1,
    onEpoch: (p) => options.onProgress?.({ type: 'epoch', candidate: 'cnn', ...p }),
    signal: options.signal,
  });
  const manifest: Manifest = {
    formatVersion: FORMAT_VERSION,
    leptonVersion: VERSION,
    createdAt: new Date().toISOString(),
    seed,
    target: { task: 'classification', column: 'label', classes: [...set.classes] },
    targetSchema: { name: 'label', type: 'categorical', categories: [...set.classes] },
    pipeline: { version: 1, inputs: [], steps: [], skipped: [] },
    input: { kind: 'image', channels: set.channels, height: set.height, width: set.width },
    selected: 'cnn',
    members: [{ family: 'cnn', params: { ...params }, info: member.info, weight: 1 }],
  };
  const model = new LeptonModel(manifest, [member]);
  try {
    const valReport = classificationReport(await model.predictFeatures(val.x), val.y, set.classes);
    const seconds = (performance.now() - started) / 1000;
    options.onProgress?.({ type: 'candidate-end', candidate: 'cnn', seconds, epochs: member.info.epochs, valScore: valReport.rocAuc ?? Number.NaN });
    const leaderboard: LeaderboardEntry[] = [{ name: 'cnn', valScore: valReport.rocAuc ?? Number.NaN, metric: 'roc_auc', seconds, epochs: member.info.epochs, bestEpoch: member.info.bestEpoch, selected: true }];
    const test = part(split.test);
    const report = classificationReport(await model.predictFeatures(test.x), test.y, set.classes);
    const sizes = { train: split.train.length, val: split.val.length, test: split.test.length, trainSplit: split.train.length };
    manifest.training = { leaderboard, test: report, split: sizes, source: options.source ?? null, images: { height: set.height, width: set.width, channels: set.channels } };
    return { model, leaderboard, test: report, split: sizes };
  } catch (e) {
    model.dispose();
    throw e;
  }
}
