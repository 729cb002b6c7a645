/**
 * Model specs: the family and its hyper-parameters, validated with Zod and filled with
 * defaults. A spec is plain JSON, stored in the model artifact and in run records.
 * @module
 */
import { z } from 'zod';
import { ImageAugmentOptions } from '../prep/augment-image.js';

/** Families for tables (what `auto` chooses among). */
export const FAMILIES = ['logistic', 'mlp', 'xgboost', 'forest'] as const;
/** Families for images. */
export const IMAGE_FAMILIES = ['cnn'] as const;
export type FamilyName = (typeof FAMILIES)[number];
export type ImageFamilyName = (typeof IMAGE_FAMILIES)[number];
/** Families for texts (token ids of a stored word vocabulary). */
export const TEXT_FAMILIES = ['textnet'] as const;
export type TextFamilyName = (typeof TEXT_FAMILIES)[number];
/** Families for numeric sequences (a long table grouped by id, sorted by time; src/data/sequences.ts). */
export const SEQUENCE_FAMILIES = ['seqnet'] as const;
export type SequenceFamilyName = (typeof SEQUENCE_FAMILIES)[number];
/** Families for table rows with free-text columns: one network, a branch per kind of input (src/train/train-mixed.ts). */
export const MIXED_FAMILIES = ['mixed'] as const;
export type MixedFamilyName = (typeof MIXED_FAMILIES)[number];
/** What `--model` accepts for tables. Images take IMAGE_FAMILIES (or auto, which means cnn). */
export const MODEL_CHOICES = ['auto', ...FAMILIES] as const;
export type ModelChoice = (typeof MODEL_CHOICES)[number];

/** Hyper-parameters of the torch families (logistic = MLP without hidden layers). */
export const TorchParams = z.strictObject({
  hidden: z.array(z.int().positive()),
  activation: z.enum(['relu', 'gelu', 'tanh', 'silu']).default('relu'),
  dropout: z.number().min(0).lt(1).default(0),
  batchNorm: z.boolean().default(false),
  epochs: z.int().positive().default(200),
  batchSize: z.int().positive().default(64),
  /**
   * lbfgs: full-batch L-BFGS with a line search, solving the L2-penalised problem to its optimum
   * (logistic regression's default); `lr` and `batchSize` do not apply to it.
   */
  optimizer: z.enum(['adam', 'adamw', 'sgd', 'lbfgs']).default('adam'),
  lr: z.number().positive().default(1e-3),
  /** constant, cosine (to 0 over `epochs`) or step (×0.1 every third of `epochs`). */
  schedule: z.enum(['constant', 'cosine', 'step']).default('constant'),
  weightDecay: z.number().min(0).default(0),
  /** Epochs without validation improvement before stopping. */
  patience: z.int().min(0).default(20),
  /** 'balanced' weighs classes by inverse frequency (imbalanced data, e.g. fraud). */
  classWeights: z.enum(['none', 'balanced']).default('none'),
});
export type TorchParams = z.infer<typeof TorchParams>;

export const XgbParams = z.strictObject({
  rounds: z.int().positive().default(1000),
  learningRate: z.number().positive().default(0.05),
  maxDepth: z.int().positive().default(4),
  minChildWeight: z.number().min(0).default(1),
  subsample: z.number().gt(0).max(1).default(0.8),
  colsampleBytree: z.number().gt(0).max(1).default(0.8),
  lambda: z.number().min(0).default(1),
  alpha: z.number().min(0).default(0),
  earlyStoppingRounds: z.int().min(0).default(50),
  classWeights: z.enum(['none', 'balanced']).default('none'),
});
export type XgbParams = z.infer<typeof XgbParams>;

/**
 * A random forest, grown by XGBoost in its random-forest mode: one round of `trees` parallel
 * trees, each on a row subsample (without replacement: XGBoost does not bootstrap) and a feature
 * subsample at every split, their outputs averaged. Why these defaults: Breiman's recipe as
 * scikit-learn and ranger use it — deep trees (depth 12 here: the hist method grows
 * level by level and needs a bound), leaves down to one row (a hessian of 0.1: a row at p = ½
 * weighs ¼), √p of p features per split for classification and p/3 for regression, 63.2 % of the
 * rows (a bootstrap's share of distinct rows). Checked against scikit-learn's forest (500 trees)
 * on credit-g before adding the family: pooled 5-fold ROC-AUC 0.7975 vs 0.7926 over two seeds
 * (Python xgboost 1.7.4, the same settings).
 */
export const ForestParams = z.strictObject({
  trees: z.int().positive().default(300),
  maxDepth: z.int().positive().max(24).default(12),
  minChildWeight: z.number().min(0).default(0.1),
  /** Share of the features tried at each split (colsample_bynode); default √p/p (classification) or 1/3 (regression). */
  featureFraction: z.number().gt(0).max(1).optional(),
  /** Share of the rows each tree sees, drawn without replacement (subsample). */
  sampleFraction: z.number().gt(0).max(1).default(0.632),
  classWeights: z.enum(['none', 'balanced']).default('none'),
});
export type ForestParams = z.infer<typeof ForestParams>;

/** The forest's features per split when `featureFraction` is not given: √p of p (classification), p/3 (regression). */
export function forestFeatureFraction(task: 'classification' | 'regression', numFeatures: number): number {
  return Math.min(1, task === 'regression' ? 1 / 3 : Math.sqrt(numFeatures) / numFeatures);
}

/**
 * The training options every network family (cnn, textnet, seqnet, mixed, the recommenders'
 * gru/sasrec) shares: AdamW with a cosine schedule and light weight decay; each family sets its
 * own epochs, batch size, learning rate and patience.
 */
export function networkTraining(d: { epochs: number; batchSize: number; lr: number; patience: number }) {
  return {
    epochs: z.int().positive().default(d.epochs),
    batchSize: z.int().positive().default(d.batchSize),
    optimizer: z.enum(['adam', 'adamw', 'sgd']).default('adamw'),
    lr: z.number().positive().default(d.lr),
    schedule: z.enum(['constant', 'cosine', 'step']).default('cosine'),
    weightDecay: z.number().min(0).default(1e-4),
    patience: z.int().min(0).default(d.patience),
    classWeights: z.enum(['none', 'balanced']).default('none'),
  };
}

/**
 * The CNN family: the training options of the torch families plus the layers (default: the
 * two-block network of net-spec.ts's DEFAULT_CNN, built for the images' shape and classes).
 * Why these defaults: AdamW with a cosine schedule converges in few epochs on 28×28–128×128
 * images; patience 3 because an epoch over tens of thousands of images is expensive.
 */
export const CnnParams = z.strictObject({
  layers: z.array(z.record(z.string(), z.unknown())).optional(),
  ...networkTraining({ epochs: 15, batchSize: 64, lr: 2e-3, patience: 3 }),
  /** Training-time augmentation of every batch (flips, crops, rotation, …); off by default. */
  augment: ImageAugmentOptions.optional(),
});
export type CnnParams = z.infer<typeof CnnParams>;

/**
 * The text family: a sequence network over token ids (default: net-spec.ts's
 * DEFAULT_TEXT_TRANSFORMER for the vocabulary, seqLen and classes), the CNN's training options
 * without image augmentation. Why these defaults: AdamW at 1e-3 with a cosine schedule is the
 * usual recipe for small transformers; patience 2 because text sets overfit within a few epochs.
 */
export const TextNetParams = z.strictObject({
  layers: z.array(z.record(z.string(), z.unknown())).optional(),
  ...networkTraining({ epochs: 10, batchSize: 32, lr: 1e-3, patience: 2 }),
});
export type TextNetParams = z.infer<typeof TextNetParams>;

/**
 * The sequence family: net-spec.ts's DEFAULT_SEQ_NET (mask → `cell` 64 → last valid step → dense)
 * over each id's last seqLen steps, with the text family's training options. Why these defaults:
 * run-to-failure sets hold a few hundred units, so a single recurrent layer, a higher learning
 * rate than textnet's and patience 5 (validation loss on few ids is noisy).
 */
export const SeqNetParams = z.strictObject({
  cell: z.enum(['gru', 'lstm']).default('gru'),
  ...networkTraining({ epochs: 40, batchSize: 32, lr: 3e-3, patience: 5 }),
});
export type SeqNetParams = z.infer<typeof SeqNetParams>;

/**
 * The mixed family: net-spec.ts's DEFAULT_MIXED_NET over the pipeline's layout (a dense branch for
 * the tabular features, an embedding → `textEncoder` → mean-pool branch per text column, the
 * branches concatenated → dense 64 → output), with the text family's training options.
 * Why these defaults: tables with text are often a few hundred to a few thousand rows, so one
 * small encoder layer, batches of 16 and a higher learning rate than textnet's (the ReutersGrain
 * XOR test, 224 training rows, three data seeds: 0.85–0.88 held-out accuracy with 5e-3 and 16,
 * 0.73–0.88 with 2e-3 and 32), patience 4.
 */
export const MixedNetParams = TextNetParams.omit({ layers: true }).extend({
  textEncoder: z.enum(['transformer', 'gru']).default('transformer'),
  epochs: z.int().positive().default(30),
  batchSize: z.int().positive().default(16),
  lr: z.number().positive().default(5e-3),
  patience: z.int().min(0).default(4),
});
export type MixedNetParams = z.infer<typeof MixedNetParams>;

/**
 * Defaults per family. Why these: logistic is a well-regularised linear baseline solved to its
 * optimum by L-BFGS (penalty 5e-3 per row: scikit-learn's C = 1 on 400 rows of a binary target); the MLP is
 * small with dropout because tabular data sets are often a few thousand rows; XGBoost uses a
 * low learning rate with early stopping deciding the number of trees.
 */
export const FAMILY_DEFAULTS: Record<FamilyName, Record<string, unknown>> = {
  logistic: { hidden: [], optimizer: 'lbfgs', weightDecay: 5e-3, epochs: 100, patience: 10 },
  mlp: { hidden: [128, 64], dropout: 0.3, lr: 1e-3, weightDecay: 1e-4, optimizer: 'adamw', epochs: 300, patience: 20 },
  xgboost: {},
  forest: {},
};

/** The defaults that depend on the data (so they are not in the schema): the forest's features per split. */
export function dataDefaults(family: FamilyName, task: 'classification' | 'regression', numFeatures: number): Record<string, number> {
  return family === 'forest' ? { featureFraction: forestFeatureFraction(task, numFeatures) } : {};
}

/** Parameters of any table family. */
export type TableParams = TorchParams | XgbParams | ForestParams;

/**
 * What a table family trains for, in steps of its own (ASHA's resource and the refit's length):
 * epochs for the torch families, boosting rounds for XGBoost; none for the forest, whose trees
 * grow in one round.
 */
export function resourceKey(family: FamilyName): 'epochs' | 'rounds' | null {
  return family === 'xgboost' ? 'rounds' : family === 'forest' ? null : 'epochs';
}

export function resolveParams(family: 'logistic' | 'mlp', overrides?: Record<string, unknown>): TorchParams;
export function resolveParams(family: 'xgboost', overrides?: Record<string, unknown>): XgbParams;
export function resolveParams(family: 'forest', overrides?: Record<string, unknown>): ForestParams;
export function resolveParams(family: FamilyName, overrides?: Record<string, unknown>): TableParams;
export function resolveParams(family: FamilyName, overrides: Record<string, unknown> = {}): TableParams {
  return paramsSchema(family).parse({ ...FAMILY_DEFAULTS[family], ...overrides });
}

/** The Zod schema of a table family's hyper-parameters. */
export function paramsSchema(family: FamilyName): typeof TorchParams | typeof XgbParams | typeof ForestParams {
  return family === 'xgboost' ? XgbParams : family === 'forest' ? ForestParams : TorchParams;
}

/** Learning rate for each epoch under a schedule: policy stays in TS, the engine just follows it. */
export function lrSchedule(p: Pick<TorchParams, 'lr' | 'schedule' | 'epochs'>): Float64Array {
  return Float64Array.from({ length: p.epochs }, (_, e) => {
    if (p.schedule === 'cosine') return Math.max(p.lr * 0.5 * (1 + Math.cos((Math.PI * e) / p.epochs)), p.lr * 1e-3);
    if (p.schedule === 'step') return p.lr * 0.1 ** Math.floor((3 * e) / p.epochs);
    return p.lr;
  });
}
