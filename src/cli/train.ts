import { existsSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { readFolder } from '../data/folders.js';
import type { RawTable } from '../data/infer.js';
import type { Table } from '../data/table.js';
import { basename, extname } from 'node:path';
import type { Command } from 'commander';
import { formatLeaderboard, formatReport } from '../eval/format.js';
import { saveModel } from '../models/artifact.js';
import { MODEL_CHOICES, type FamilyName, type ModelChoice } from '../models/spec.js';
import { LeptonError } from '../errors.js';
import { checkBalanceMethod } from '../prep/balance.js';
import { trainImages } from '../train/train-images.js';
import { tableTextDataset, textDataset, trainTexts } from '../train/train-texts.js';
import { chooseTableFamily, imageColumns, trainMixed } from '../train/train-mixed.js';
import type { NetworkTrainResult } from '../train/train-network.js';
import { trainPretrainedTexts } from '../train/train-pretrained.js';
import { loadInput, train, type TrainOptions } from '../train/train.js';
import type { LeaderboardEntry } from '../train/candidates.js';
import type { EvalReport } from '../eval/metrics.js';
import { startTrainingJob } from '../jobs/training-job.js';
import { parseChannels, parseSize } from './data.js';
import { localActor, withHome } from './registry.js';
import { action, parseIntOption, parseList, parseNumberOption, printJson } from './output.js';
import { progressPrinter, searchTrialPrinter } from './progress.js';
import { trainSequenceTable, wantsSequences } from './train-sequences.js';
import { checkAutoMLOptions, trainAutoML, type AutoMLOptions, type AutoMLResult, type AutoMLSummary } from '../automl/automl.js';
import { formatAutoML, formatNetworkSearch } from '../automl/format.js';
import { NetworkSearch, type NetworkFamily } from '../automl/networks.js';
import { parseBudget } from '../tune/budget.js';

export interface TrainFlags {
  target?: string;
  model: string;
  out?: string;
  task?: TrainOptions['task'];
  seed: number;
  drop?: string[];
  epochs?: number;
  lr?: number;
  batchSize?: number;
  hidden?: string[];
  rounds?: number;
  trees?: number;
  classWeights?: (typeof CLASS_WEIGHTS)[number];
  balance?: string;
  threads?: number;
  quiet?: boolean;
  json?: boolean;
  /** Text folders: fine-tune this Hugging Face BERT checkpoint folder; --lora R trains adapters only. */
  checkpoint?: string;
  lora?: number;
}

export function checkModel(m: string): ModelChoice {
  if (!(MODEL_CHOICES as readonly string[]).includes(m)) {
    throw new LeptonError('E_OPTION', `unknown model '${m}'`, `choose one of ${MODEL_CHOICES.join(', ')}`);
  }
  return m as ModelChoice;
}

/** Turns CLI flags into per-family hyper-parameter overrides. */
export function paramsFromFlags(f: Partial<TrainFlags>): Partial<Record<FamilyName, Record<string, unknown>>> {
  const torch: Record<string, unknown> = {};
  if (f.epochs !== undefined) torch.epochs = f.epochs;
  if (f.lr !== undefined) torch.lr = f.lr;
  if (f.batchSize !== undefined) torch.batchSize = f.batchSize;
  if (f.classWeights) torch.classWeights = f.classWeights;
  const mlp = { ...torch };
  if (f.hidden) mlp.hidden = f.hidden.map(Number);
  const xgb: Record<string, unknown> = {};
  if (f.rounds !== undefined) xgb.rounds = f.rounds;
  if (f.lr !== undefined) xgb.learningRate = f.lr;
  if (f.classWeights) xgb.classWeights = f.classWeights;
  const forest: Record<string, unknown> = {};
  if (f.trees !== undefined) forest.trees = f.trees;
  if (f.classWeights) forest.classWeights = f.classWeights;
  return { logistic: torch, mlp, xgboost: xgb, forest };
}

const TASKS = ['classification', 'regression'] as const;
const CLASS_WEIGHTS = ['none', 'balanced'] as const;

/** The options train and cv share, checked and turned into library options. */
export function trainOptionsFromFlags(f: TrainFlags): TrainOptions {
  if (f.task !== undefined && !(TASKS as readonly string[]).includes(f.task)) {
    throw new LeptonError('E_OPTION', `unknown task '${f.task}'`, `use --task ${TASKS.join(' or ')}`);
  }
  if (f.classWeights !== undefined && !(CLASS_WEIGHTS as readonly string[]).includes(f.classWeights)) {
    throw new LeptonError('E_OPTION', `unknown class weighting '${f.classWeights}'`, `use --class-weights ${CLASS_WEIGHTS.join(' or ')}`);
  }
  if (!f.target) throw new LeptonError('E_OPTION', 'give the column to predict with --target', 'e.g. --target class (image folders need none: the sub-folder is the label)');
  return {
    target: f.target,
    model: checkModel(f.model),
    task: f.task,
    seed: f.seed,
    drop: f.drop,
    params: paramsFromFlags(f),
    torchThreads: f.threads,
    balance: f.balance === undefined ? undefined : checkBalanceMethod(f.balance),
    onProgress: progressPrinter(Boolean(f.quiet || f.json)),
  };
}

export function addCommonTrainOptions(cmd: Command): Command {
  return cmd
    .option('-t, --target <column>', 'column to predict (required for tables)')
    .option('-m, --model <model>', `model family: ${MODEL_CHOICES.join(', ')} (tables); mixed or textnet (tables with free text; auto picks them); cnn (images); textnet (text folders)`, 'auto')
    .option('--task <task>', 'classification or regression (default: from the target column)')
    .option('--seed <n>', 'random seed; the same seed gives the same result', parseIntOption('--seed'), 42)
    .option('--drop <columns>', 'comma-separated columns to leave out (ids, leaks)', parseList)
    .option('--epochs <n>', 'maximum epochs for logistic/mlp (early stopping usually ends sooner)', parseIntOption('--epochs'))
    .option('--lr <rate>', 'learning rate (mlp, networks) or eta (xgboost); logistic regression is solved exactly (L-BFGS) and needs none', parseNumberOption('--lr'))
    .option('--batch-size <n>', 'mini-batch size for mlp and networks (logistic regression uses every row at once)', parseIntOption('--batch-size'))
    .option('--hidden <widths>', 'hidden layer widths for mlp, e.g. 128,64', parseList)
    .option('--rounds <n>', 'maximum boosting rounds for xgboost', parseIntOption('--rounds'))
    .option('--trees <n>', 'trees of the random forest (forest; default 300)', parseIntOption('--trees'))
    .option('--class-weights <mode>', 'none or balanced (for imbalanced classes)')
    .option('--balance <method>', 'resample the training rows only: none, oversample, undersample or smote')
    .option('--threads <n>', 'cores one network fit may use, given to OpenBLAS for matrix products and to libtorch\'s OpenMP pool for convolutions (default 1: fastest for small tabular nets; image folders: every core)', parseIntOption('--threads'))
    .option('-q, --quiet', 'no progress output')
    .option('--json', 'print the result as JSON on stdout');
}

export function registerTrain(program: Command): void {
  addCommonTrainOptions(
    program
      .command('train')
      .argument('<data>', 'data file (.csv .tsv .arff .jsonl .json .parquet .xlsx) or an image folder (class sub-folders, or IDX files)')
      .description('train a model: stratified split, early stopping, evaluation on a held-out test split')
      .option('-o, --out <file>', 'where to save the model (default: <data name>.lepton)')
      .option('--register <name>', 'record the run in the registry and register the model as the next version of NAME')
      .option('--alias <alias>', 'with --register: point this alias (e.g. staging) at the new version')
      .option('--project <name>', 'registry project for --register', 'default')
      .option('--size <HxW>', 'image folders and image columns: decode every image to this size (default: the most common size)')
      .option('--channels <n>', 'image folders and image columns: 1 (grey) or 3 (RGB)')
      .option('--checkpoint <dir>', 'text folders: fine-tune a Hugging Face BERT checkpoint (a folder with config.json, model.safetensors, tokenizer.json)')
      .option('--lora <r>', 'with --checkpoint: train rank-r LoRA adapters on query/value and the head only; the checkpoint stays frozen', parseIntOption('--lora'))
      .option('--seq-len <n>', 'text folders and free-text columns: words per text the network reads (default 128 for folders, 64 for columns; longer texts are truncated); sequences: steps per id (default 50, the latest)', parseIntOption('--seq-len'))
      .option('--sequence-id <column>', 'a long table of numeric sequences: the column naming each sequence (machine, unit); one prediction per id')
      .option('--sequence-time <column>', 'with --sequence-id: the column ordering the steps (cycle, timestamp)')
      .option('--augment <list>', 'image folders: augment training batches, e.g. hflip=0.5,crop=2,rotate=10,brightness=0.1,contrast=0.2,noise=0.05')
      .option('--time <duration>', 'AutoML: total time budget (e.g. 90s, 5m, 1h): tables tune each family, then ensemble the best of each; folders, sequences and tables with text or images search their network')
      .option('--trials <n>', 'AutoML: trials per model family (at most: a table family whose search reaches a plateau stops sooner), or per network search (reproducible with the same --seed)')
      .option('--no-bag', 'AutoML on tables: refit each kept model once on train + validation instead of shipping its 5 fold models averaged (bagging): a 5× smaller model with faster predictions, usually a little less accurate')
      .option('--no-early-stop', 'AutoML on tables: tune every family for its whole share of the budget, even after its search has reached a plateau (no gain above 0.1 % on validation in as many trials again as the last gain took, after at least 25 trials)'),
  )
    .addHelpText(
      'after',
      `
Examples:
  $ lepton train credit-g.arff --target class
  $ lepton train churn.csv --target churned --model xgboost --out churn.lepton
  $ lepton train prices.csv --target price --drop id --json > result.json
  $ lepton train credit-g.arff --target class --time 5m     # AutoML: tune + ensemble
  $ lepton train credit-g.arff --target class --trials 20   # AutoML, reproducible
  $ lepton train scans/ --epochs 10                       # scans/<class>/*.png → a CNN
  $ lepton train tickets/ --seq-len 64                    # tickets/<class>/*.txt → a text transformer
  $ lepton train scans/ --time 5m                         # AutoML on images: tune the CNN, keep the best
  $ lepton train tickets/ --trials 20                     # AutoML on texts: transformer or GRU, tuned
  $ lepton train engines.csv --target fail_soon --sequence-id unit --sequence-time cycle   # readings per unit and cycle → a GRU
  $ lepton train engines.csv --target fail_soon --sequence-id unit --sequence-time cycle --trials 12   # AutoML: GRU or LSTM, tuned
  $ lepton train claims.csv --target fraud                # a free-text column beside others → a mixed network
  $ lepton train listings.csv --target sold               # a column of image paths beside others → a mixed network
  $ lepton train reviews.csv --target stars --model textnet --seq-len 96   # the text column alone
  $ lepton train tickets/ --checkpoint bert-base-uncased/ --lora 8 --epochs 3   # fine-tune BERT with LoRA
  $ lepton train /usr/share/datasets/fashion-mnist --size 28x28   # Fashion-MNIST (IDX, train split)`,
    )
    .action(
      action(async (data: string, f: TrainFlags & { register?: string; alias?: string; project: string; size?: string; channels?: string; augment?: string; seqLen?: number; time?: string; trials?: string }) => {
        const out = f.out ?? `${basename(data, extname(data))}.lepton`;
        const folder = existsSync(data) && statSync(data).isDirectory();
        if (wantsSequences(f) && folder) throw new LeptonError('E_OPTION', '--sequence-id/--sequence-time read a table file, not a folder', 'give the long table (.csv, .parquet, …)');
        checkCheckpointFlags(f, folder);
        if (folder && f.register) throw new LeptonError('E_OPTION', '--register works for tables so far; an image or text model is saved to --out', `register the file afterwards: lepton models register ${out} --name NAME`);
        if (f.time !== undefined || f.trials !== undefined) return trainAutoMLCommand(data, out, folder, f);
        const result = wantsSequences(f)
          ? await trainSequenceTable(data, out, f)
          : folder
          ? await trainImageFolder(data, out, f)
          : f.register ? await trainRegistered(data, out, f as TrainFlags & { register: string; project: string }) : await trainTable(data, out, f);
        if (f.json) {
          printJson({ model: out, leaderboard: result.leaderboard, test: result.test, split: result.split });
          return;
        }
        const s = result.split;
        process.stdout.write(`\nCandidates (validation split, ${s.val} rows)\n${formatLeaderboard(result.leaderboard)}\n\n`);
        process.stdout.write(`Test split (${s.test} rows held out; trained on ${s.trainSplit}${s.train !== s.trainSplit ? `, ${s.train} after balancing` : ''})\n${formatReport(result.test)}\n\nmodel saved to ${out}\n`);
        if (result.registered) process.stdout.write(`registered as ${result.registered} (run ${result.runId})\n`);
      }),
    );
}

/** `lepton train FOLDER`: the images' sub-folders are the classes; a CNN learns them. */
const AUGMENT_KEYS: Record<string, string> = { hflip: 'hflip', vflip: 'vflip', crop: 'cropPadding', rotate: 'rotateDegrees', brightness: 'brightness', contrast: 'contrast', noise: 'noiseStd' };

/** `hflip=0.5,crop=2,rotate=10` → augmentation options (checked again by the CNN params). */
function parseAugment(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const [key, value] = part.split('=');
    const name = AUGMENT_KEYS[key ?? ''];
    if (!name || value === undefined || !Number.isFinite(Number(value))) throw new LeptonError('E_OPTION', `invalid --augment item '${part}'`, `write key=number with keys ${Object.keys(AUGMENT_KEYS).join(', ')}`);
    out[name] = Number(value);
  }
  return out;
}

/** With AutoML (--time/--trials), `searchFor` makes the family's search from the fixed parameters. */
export type SearchFor = (family: NetworkFamily, fixed: Record<string, unknown>) => NetworkSearch;

async function trainImageFolder(dir: string, out: string, f: TrainFlags & { size?: string; channels?: string; augment?: string; seqLen?: number }, searchFor?: SearchFor): Promise<TrainOutcome> {
  const folder = await readFolder(dir, { size: f.size ? parseSize(f.size) : undefined, channels: f.channels ? parseChannels(f.channels) : undefined });
  if (folder.kind === 'texts') return trainTextFolder(dir, out, folder.raw, folder.describe, f, searchFor);
  if (f.model !== 'auto' && f.model !== 'cnn') throw new LeptonError('E_OPTION', `--model ${f.model} is for tables; images train a cnn`, 'leave --model out, or give --model cnn');
  if (f.seqLen !== undefined) throw new LeptonError('E_OPTION', '--seq-len is for text folders', 'leave --seq-len out for images');
  if (f.checkpoint !== undefined) throw new LeptonError('E_OPTION', '--checkpoint is for text folders', 'leave --checkpoint out for images');
  const params = netParamsFromFlags(f);
  if (f.augment) params.augment = parseAugment(f.augment);
  const quiet = Boolean(f.quiet || f.json);
  if (!quiet) process.stderr.write(`${dir}: ${folder.describe}\n`);
  const result = await trainImages(folder.set, { params, seed: f.seed, torchThreads: f.threads, onProgress: progressPrinter(quiet || searchFor !== undefined), source: dir, search: searchFor?.('cnn', params) });
  try {
    await saveModel(result.model, out);
  } finally {
    result.model.dispose();
  }
  return result;
}

/** `lepton train FOLDER` of .txt documents: the sub-folders are the classes; a text transformer learns them. */
async function trainTextFolder(dir: string, out: string, raw: RawTable, describe: string, f: TrainFlags & { size?: string; channels?: string; augment?: string; seqLen?: number }, searchFor?: SearchFor): Promise<TrainOutcome> {
  if (f.model !== 'auto' && f.model !== 'textnet') throw new LeptonError('E_OPTION', `--model ${f.model} is for tables; text folders train a textnet`, 'leave --model out, or give --model textnet');
  for (const [flag, v] of [['--size', f.size], ['--channels', f.channels], ['--augment', f.augment]] as const) {
    if (v !== undefined) throw new LeptonError('E_OPTION', `${flag} is for image folders`, `leave ${flag} out for texts`);
  }
  const params = netParamsFromFlags(f);
  const quiet = Boolean(f.quiet || f.json);
  if (!quiet) process.stderr.write(`${dir}: ${describe}\n`);
  const d = textDataset(raw);
  const common = { params, seqLen: f.seqLen, seed: f.seed, torchThreads: f.threads, onProgress: progressPrinter(quiet || searchFor !== undefined), source: dir };
  const result = f.checkpoint
    ? await trainPretrainedTexts(d.texts, d.labels, d.classes, { ...common, checkpoint: f.checkpoint, lora: f.lora === undefined ? undefined : { r: f.lora } })
    : await trainTexts(d.texts, d.labels, d.classes, { ...common, search: searchFor?.('textnet', params) });
  try {
    if (!quiet && result.truncated > 0) process.stderr.write(`${result.truncated} of ${result.split.train} training texts are longer than ${result.model.textInput!.seqLen} ${result.model.textInput!.unit} and were truncated (raise --seq-len to keep more)\n`);
    await saveModel(result.model, out);
  } finally {
    result.model.dispose();
  }
  return result;
}

/** --checkpoint and --lora fine-tune on a text folder, one network (no AutoML). */
function checkCheckpointFlags(f: TrainFlags & { time?: string; trials?: string }, folder: boolean): void {
  if (f.lora !== undefined && f.checkpoint === undefined) throw new LeptonError('E_OPTION', '--lora needs --checkpoint', 'give the pretrained model to adapt: --checkpoint DIR --lora 8');
  if (f.checkpoint === undefined) return;
  if (!folder) throw new LeptonError('E_OPTION', '--checkpoint fine-tunes on a text folder (one sub-folder of .txt files per class)', 'give a text folder, or leave --checkpoint out for tables');
  if (f.time !== undefined || f.trials !== undefined) throw new LeptonError('E_OPTION', '--checkpoint trains one network; --time/--trials (AutoML) do not apply', 'leave --time and --trials out');
}

export interface TrainOutcome {
  leaderboard: LeaderboardEntry[];
  test: EvalReport;
  split: { train: number; val: number; test: number; trainSplit: number };
  registered?: string;
  runId?: number;
}

/** The network families' options from flags (cnn, textnet, mixed). */
function netParamsFromFlags(f: TrainFlags): Record<string, unknown> {
  const params: Record<string, unknown> = {};
  if (f.epochs !== undefined) params.epochs = f.epochs;
  if (f.lr !== undefined) params.lr = f.lr;
  if (f.batchSize !== undefined) params.batchSize = f.batchSize;
  if (f.classWeights) params.classWeights = f.classWeights;
  return params;
}

async function saved<R extends TrainOutcome & Pick<NetworkTrainResult, 'model'>>(result: R, out: string): Promise<R> {
  try {
    await saveModel(result.model, out);
  } finally {
    result.model.dispose();
  }
  return result;
}

/**
 * `lepton train TABLE`: `--model auto` picks the family from the columns (chooseTableFamily: no
 * free text → the tabular candidates; a text column alone → textnet; text beside other columns →
 * mixed) and says which and why on stderr; `--model mixed|textnet` forces one.
 */
async function trainTable(data: string, out: string, f: TrainFlags & { seqLen?: number; size?: string; channels?: string }, searchFor?: SearchFor, loaded?: Table): Promise<TrainOutcome> {
  const textFamily = f.model === 'mixed' || f.model === 'textnet' ? f.model : undefined;
  const o = trainOptionsFromFlags(textFamily ? { ...f, model: 'auto' } : f);
  if (o.model !== 'auto' && !textFamily) {
    if (f.seqLen !== undefined) throw new LeptonError('E_OPTION', `--seq-len is for text; --model ${o.model} leaves text columns out`, 'leave --seq-len out, or use --model mixed');
    return saved(await train(data, o), out);
  }
  const table = loaded ?? (await loadInput(data, o.drop));
  const choice = textFamily ? { family: textFamily, reason: `--model ${textFamily}` } : chooseTableFamily(table, o.target, o.task);
  // On stderr even with --json (stdout stays JSON): which family, and why.
  if (!f.quiet) process.stderr.write(`${data}: ${choice.family === 'tabular' ? 'tabular candidates' : choice.family} (${choice.reason})\n`);
  if ((f.size || f.channels) && (choice.family !== 'mixed' || imageColumns(table, table.columnNames.filter((c) => c !== o.target)).length === 0)) {
    throw new LeptonError('E_OPTION', `--size and --channels are for images, and ${data} is trained without an image column (${choice.reason})`, 'leave them out');
  }
  if (choice.family === 'tabular') {
    if (f.seqLen !== undefined) throw new LeptonError('E_OPTION', `--seq-len is for text, and ${data} is trained without it (${choice.reason})`, 'leave --seq-len out');
    return saved(await train(table, { ...o, drop: undefined }), out);
  }
  if (o.balance !== undefined && o.balance !== 'none') throw new LeptonError('E_OPTION', `--balance works for the tabular families, not ${choice.family}`, 'leave --balance out, or use --class-weights balanced');
  const params = netParamsFromFlags(f);
  const common = { params, seqLen: f.seqLen, seed: o.seed, torchThreads: o.torchThreads, onProgress: searchFor ? undefined : o.onProgress, source: data };
  const cut = (count: number, column: string, seqLen: number, of: number) =>
    !f.quiet && count > 0 && process.stderr.write(`${count} of ${of} training texts in '${column}' are longer than ${seqLen} words and were truncated (raise --seq-len to keep more)\n`);
  if (choice.family === 'mixed') {
    const r = await trainMixed(table, { ...common, target: o.target, task: o.task, imageSize: f.size ? parseSize(f.size) : undefined, channels: f.channels ? parseChannels(f.channels) : undefined, search: searchFor?.('mixed', params) });
    for (const t of r.truncated) cut(t.count, t.column, t.seqLen, r.split.train);
    return saved(r, out);
  }
  const d = tableTextDataset(table, o.target, o.task);
  const r = await trainTexts(d.texts, d.labels, d.classes, { ...common, column: d.column, targetSchema: table.schema.find((s) => s.name === o.target), search: searchFor?.('textnet', params) });
  cut(r.truncated, d.column, r.model.textInput!.seqLen, r.split.train);
  return saved(r, out);
}

/** The same training, as a recorded run whose model becomes a registry version. */
async function trainRegistered(data: string, out: string, f: TrainFlags & { register: string; alias?: string; project: string }): Promise<TrainOutcome> {
  if (f.model === 'mixed' || f.model === 'textnet') throw new LeptonError('E_OPTION', `--register trains the tabular families; --model ${f.model} is saved to --out`, `register the file afterwards: lepton models register ${out} --name NAME`);
  const o = trainOptionsFromFlags(f);
  return withHome(async (home) => {
    const { done } = await startTrainingJob(
      home,
      { project: f.project, dataPath: data, target: o.target, model: o.model, seed: o.seed, drop: o.drop, params: o.params, balance: o.balance, register: { name: f.register, alias: f.alias } },
      localActor(),
      { onEvent: (e) => e.type !== 'finished' && o.onProgress?.(e) },
    );
    const r = await done;
    if (r.status !== 'succeeded') throw new LeptonError('E_ENGINE', `run ${r.runId} ${r.status}: ${r.error}`, 'see the message above; the run is recorded as failed');
    await writeFile(out, await home.artifacts.get(r.artifact!));
    const m = r.metrics as Pick<TrainOutcome, 'leaderboard' | 'test' | 'split'>;
    return { ...m, registered: `${f.register}@${r.modelVersion}${f.alias ? ` (${f.alias})` : ''}`, runId: r.runId };
  });
}

/**
 * `lepton train FOLDER --time T` / `--trials N`: AutoML for an image (cnn) or text (textnet)
 * folder, a table with free text or images (mixed, textnet), or a long table of sequences
 * (seqnet): a search over the family's network (src/automl/networks.ts) on the validation
 * split, the best trial's network kept and saved. `trainWith` trains with the search the family needs.
 */
async function searchNetworkCommand(out: string, f: TrainFlags & { register?: string; time?: string; trials?: string }, trainWith: (searchFor: SearchFor) => Promise<TrainOutcome>): Promise<void> {
  parseBudget({ trials: f.trials, time: f.time }); // a bad budget fails before the data is read
  const quiet = Boolean(f.quiet || f.json);
  let search: NetworkSearch | undefined;
  const searchFor: SearchFor = (family, fixed) =>
    (search = new NetworkSearch(family, {
      trials: f.trials,
      time: f.time,
      seed: f.seed,
      fixed,
      onTrial: searchTrialPrinter(family, quiet),
    }));
  const result = await trainWith(searchFor);
  const summary = search!.summary();
  if (f.json) return printJson({ model: out, search: summary, test: result.test, split: result.split });
  const s = result.split;
  process.stdout.write(`\nAutoML leaderboard (${summary.family}, validation split ${s.val} rows)\n${formatNetworkSearch(summary)}\n\n`);
  process.stdout.write(`Test split (${s.test} rows held out; the kept trial trained on ${s.trainSplit})\n${formatReport(result.test)}\n\nmodel saved to ${out}\n`);
}

/**
 * How data whose network is searched (rather than the table families tuned) trains with a
 * search: sequences (--sequence-id), image or text folders, and tables with free text or images
 * (or --model mixed|textnet). A plain table gives back the table it read, if it read one.
 */
export async function networkTrainer(
  data: string,
  out: string,
  folder: boolean,
  f: TrainFlags & { register?: string; seqLen?: number },
): Promise<{ trainWith: (searchFor: SearchFor) => Promise<TrainOutcome> } | { table?: Table }> {
  if (wantsSequences(f)) return { trainWith: (searchFor) => trainSequenceTable(data, out, f, searchFor) };
  if (folder) return { trainWith: (searchFor) => trainImageFolder(data, out, f, searchFor) };
  if (f.model === 'mixed' || f.model === 'textnet') return { trainWith: (searchFor) => trainTable(data, out, f, searchFor) };
  if (f.model !== 'auto' || f.register || f.target === undefined || !existsSync(data)) return {};
  // A table with free text or images: its network is searched (the tabular families cannot read them).
  const table = await loadInput(data, f.drop);
  if (chooseTableFamily(table, f.target, f.task).family !== 'tabular') return { trainWith: (searchFor) => trainTable(data, out, f, searchFor, table) };
  return { table };
}

/**
 * `lepton train DATA --time T` / `--trials N`: AutoML (src/automl). `--model auto` tunes every
 * table family and ensembles them; `--model FAMILY` tunes that family alone. Every option is
 * checked before the first trial.
 */
async function trainAutoMLCommand(data: string, out: string, folder: boolean, f: TrainFlags & { register?: string; alias?: string; project?: string; time?: string; trials?: string; bag?: boolean; earlyStop?: boolean }): Promise<void> {
  const net = await networkTrainer(data, out, folder, f);
  if ('trainWith' in net) return searchNetworkCommand(out, f, net.trainWith);
  const { table } = net;
  const o = trainOptionsFromFlags(f);
  const families = o.model === 'auto' || o.model === undefined ? undefined : [o.model];
  checkAutoMLOptions({ trials: f.trials, time: f.time, families });
  if (!existsSync(data)) throw new LeptonError('E_FILE', `file not found: '${data}'`, 'check the path');
  const quiet = Boolean(f.quiet || f.json);
  const say = (s: string) => !quiet && process.stderr.write(s);
  const events: Pick<AutoMLOptions, 'onTrial' | 'onStage'> = {
    onStage: (stage, detail) => say(`${stage === 'tuning' ? 'tuning' : stage === 'oof' ? 'out-of-fold predictions:' : 'final model:'} ${detail}\n`),
    onTrial: (e) => say(`  ${e.family} trial ${e.number}: ${e.state}${e.value === null ? '' : ` ${e.value.toFixed(4)}`} (best ${e.best === null ? '—' : e.best.toFixed(4)}, ${e.seconds.toFixed(1)} s)\n`),
  };
  let result: AutoMLSummary & Pick<AutoMLResult, 'test' | 'split'> & { selected: string };
  let registered = '';
  if (f.register) {
    // A recorded run whose model becomes a registry version, as `train --register` without AutoML.
    const reg = { name: f.register, alias: f.alias };
    result = await withHome(async (home) => {
      const spec = { project: f.project ?? 'default', dataPath: data, target: o.target, model: o.model, seed: o.seed, drop: o.drop, params: o.params, balance: o.balance, automl: { trials: f.trials, time: f.time, bag: f.bag, earlyStop: f.earlyStop }, register: reg };
      const { done } = await startTrainingJob(home, spec, localActor(), { automl: events });
      const r = await done;
      if (r.status !== 'succeeded') throw new LeptonError('E_ENGINE', `run ${r.runId} ${r.status}: ${r.error}`, 'see the message above; the run is recorded as failed');
      await writeFile(out, await home.artifacts.get(r.artifact!));
      registered = `registered as ${f.register}@${r.modelVersion}${f.alias ? ` (${f.alias})` : ''} (run ${r.runId})\n`;
      return r.metrics as unknown as typeof result;
    });
  } else {
    const r = await trainAutoML(table ?? data, { target: o.target, task: o.task, seed: o.seed, drop: table ? undefined : o.drop, params: o.params, balance: o.balance, torchThreads: o.torchThreads, families, trials: f.trials, time: f.time, bag: f.bag, earlyStop: f.earlyStop, ...events });
    try {
      await saveModel(r.model, out);
    } finally {
      r.model.dispose();
    }
    const { model, ...rest } = r;
    result = { ...rest, selected: model.manifest.selected };
  }
  if (f.json) {
    printJson({ model: out, selected: result.selected, leaderboard: result.leaderboard, weights: result.weights, decision: result.decision, simpler: result.simpler, stacking: result.stacking, test: result.test, split: result.split, seconds: result.seconds, budget: result.budget, folds: result.folds, bagged: result.bagged });
    return;
  }
  const s = result.split;
  const balanced = s.train !== s.trainSplit + s.val ? `, ${s.train} after balancing` : '';
  process.stdout.write(`\nAutoML leaderboard (validation split ${s.val} rows; out-of-fold over ${s.trainSplit + s.val} train + validation rows, ${result.folds} folds)\n${formatAutoML(result)}\n\n`);
  process.stdout.write(`Test split (${s.test} rows held out; ${result.bagged ? `fold models trained on ${result.folds - 1}/${result.folds} of` : 'refitted on'} ${s.trainSplit + s.val}${balanced})\n${formatReport(result.test)}\n\nmodel saved to ${out}\n${registered}`);
}
