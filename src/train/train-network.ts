/**
 * What trainImages, trainTexts and trainMixed share: the seeded stratified 70/15/15 split, one network fitted
 * with early stopping on validation loss (best epoch's weights kept), the model manifest with the
 * input description, progress events, the leaderboard entry and the report on the untouched test
 * split. Each caller only says how rows become features and which network to fit.
 * @module
 */
import type { z } from 'zod';
import { LeptonError } from '../errors.js';
import { classificationReport, type ClassificationReport } from '../eval/metrics.js';
import type { ColumnSchema } from '../data/table.js';
import { BASE_FORMAT_VERSION, type Manifest } from '../models/artifact.js';
import type { FitContext, FitData, Member } from '../models/member.js';
import { LeptonModel } from '../models/model.js';
import { VERSION } from '../package-root.js';
import { stratifiedSplit, type Split } from '../prep/split.js';
import type { LeaderboardEntry, ProgressEvent } from './candidates.js';

export interface NetworkTrainOptions {
  seed?: number;
  valFraction?: number;
  testFraction?: number;
  /** Intra-op threads for libtorch. */
  torchThreads?: number;
  onProgress?: (e: ProgressEvent) => void;
  signal?: AbortSignal;
  /** Name of the data for the manifest. */
  source?: string;
  /** The table's target column (default: a categorical 'label', as folders of classes have). */
  targetSchema?: ColumnSchema;
}

export interface NetworkTrainResult {
  model: LeptonModel;
  leaderboard: LeaderboardEntry[];
  test: ClassificationReport;
  split: { train: number; val: number; test: number; trainSplit: number };
}

/** How one kind of input trains, set up once the split is known (a tokenizer fits on its training rows). */
export interface NetworkInputs {
  /** Network input of the given rows (row-major, numFeatures per row). */
  features(rows: Int32Array): Float32Array;
  numFeatures: number;
  input: NonNullable<Manifest['input']>;
  /** The fitted pipeline, for inputs read from table rows (mixed models); none for images and texts. */
  pipeline?: Manifest['pipeline'];
  fit(train: FitData, val: FitData, ctx: FitContext): Promise<Member>;
  /** Extra training facts for the manifest (image size, vocabulary size, …), read after the fit. */
  summary(): Record<string, unknown>;
}

/** Parsed network hyper-parameters, or an E_OPTION naming the first bad one. */
export function parseNetParams<S extends z.ZodType>(schema: S, input: unknown, what: string, hint: string): z.output<S> {
  const parsed = schema.safeParse(input ?? {});
  if (parsed.success) return parsed.data;
  const i = parsed.error.issues[0]!;
  throw new LeptonError('E_OPTION', `${what} parameter ${i.path.join('.') || '(params)'}: ${i.message}`, hint);
}

export async function trainNetwork(o: {
  family: 'cnn' | 'textnet' | 'seqnet' | 'mixed';
  labels: Int32Array;
  classes: readonly string[];
  params: Record<string, unknown>;
  options: NetworkTrainOptions;
  defaultThreads: number;
  prepare(split: Split): NetworkInputs;
}): Promise<NetworkTrainResult> {
  const { family, labels, options } = o;
  const classes = [...o.classes];
  const seed = options.seed ?? 42;
  const split = stratifiedSplit(labels, { val: options.valFraction ?? 0.15, test: options.testFraction ?? 0.15 }, seed);
  const inputs = o.prepare(split);
  const part = (rows: Int32Array): FitData => ({ x: inputs.features(rows), y: Int32Array.from(rows, (r) => labels[r]!) });
  const train = part(split.train);
  const val = part(split.val);
  const started = performance.now();
  options.onProgress?.({ type: 'candidate-start', candidate: family, index: 0, total: 1 });
  const member = await inputs.fit(train, val, {
    task: 'classification',
    numClasses: classes.length,
    numFeatures: inputs.numFeatures,
    seed,
    torchThreads: options.torchThreads ?? o.defaultThreads,
    xgbThreads: 1,
    onEpoch: (p) => options.onProgress?.({ type: 'epoch', candidate: family, ...p }),
    signal: options.signal,
  });
  const manifest: Manifest = {
    formatVersion: BASE_FORMAT_VERSION,
    leptonVersion: VERSION,
    createdAt: new Date().toISOString(),
    seed,
    target: { task: 'classification', column: options.targetSchema?.name ?? 'label', classes },
    targetSchema: options.targetSchema ?? { name: 'label', type: 'categorical', categories: classes },
    pipeline: inputs.pipeline ?? { version: 1, inputs: [], steps: [], skipped: [] },
    input: inputs.input,
    selected: family,
    members: [{ family, params: { ...o.params }, info: member.info, weight: 1 }],
  };
  const model = new LeptonModel(manifest, [member]);
  try {
    const valReport = classificationReport(await model.predictFeatures(val.x), val.y as Int32Array, classes);
    const seconds = (performance.now() - started) / 1000;
    options.onProgress?.({ type: 'candidate-end', candidate: family, seconds, epochs: member.info.epochs, valScore: valReport.rocAuc ?? Number.NaN });
    const leaderboard: LeaderboardEntry[] = [{ name: family, valScore: valReport.rocAuc ?? Number.NaN, metric: 'roc_auc', seconds, epochs: member.info.epochs, bestEpoch: member.info.bestEpoch, selected: true }];
    const test = part(split.test);
    const report = classificationReport(await model.predictFeatures(test.x), test.y as Int32Array, classes);
    const sizes = { train: split.train.length, val: split.val.length, test: split.test.length, trainSplit: split.train.length };
    manifest.training = { leaderboard, test: report, split: sizes, source: options.source ?? null, ...inputs.summary() };
    return { model, leaderboard, test: report, split: sizes };
  } catch (e) {
    model.dispose();
    throw e;
  }
}
