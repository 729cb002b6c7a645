/**
 * The tree families on XGBoost: gradient-boosted trees (`xgboost`; early stopping on the
 * validation set decides the number of trees) and a random forest (`forest`: XGBoost's
 * random-forest mode, one round of parallel trees on row and feature subsamples). Class weights
 * become per-row weights.
 * @module
 */
import { addon, callNative, callNativeSync, type NativeXgbModel } from '../engine/addon.js';
import type { StTensor } from '../engine/safetensors.js';
import { LeptonError } from '../errors.js';
import { balancedWeights, throwIfCancelled, type FitContext, type FitData, type FitInfo, type Member } from './member.js';
import { forestFeatureFraction, type ForestParams, type XgbParams } from './spec.js';

class XgbMember implements Member {
  constructor(
    readonly family: 'xgboost' | 'forest',
    readonly params: XgbParams | ForestParams,
    readonly info: FitInfo,
    private readonly booster: NativeXgbModel,
    private readonly numClasses: number,
  ) {}

  async predict(x: Float32Array): Promise<Float32Array> {
    if (this.leafFrequencies) return forestProbabilities((await callNative('forest predict', () => this.booster.predict(x, { output: 'margin' }))).data, this.numClasses);
    return classColumns((await callNative('xgboost predict', () => this.booster.predict(x))).data, this.numClasses);
  }

  predictSync(x: Float32Array): Float32Array {
    if (this.leafFrequencies) return forestProbabilities(callNativeSync('forest predict', () => this.booster.predictSync(x, { output: 'margin' })).data, this.numClasses);
    return classColumns(callNativeSync('xgboost predict', () => this.booster.predictSync(x)).data, this.numClasses);
  }

  /** A classification forest: probabilities from its leaves' class frequencies (`forestProbabilities`). */
  private get leafFrequencies(): boolean {
    return this.family === 'forest' && this.numClasses >= 2;
  }

  /** SHAP contributions per feature (+ bias as the last column), for explanations. */
  async contributions(x: Float32Array): Promise<{ data: Float32Array; shape: number[] }> {
    return callNative('xgboost contributions', () => this.booster.predict(x, { output: 'contribs' }));
  }

  tensors(prefix: string): Map<string, StTensor> {
    const bytes = callNativeSync('xgboost save', () => this.booster.save('ubj'));
    return new Map([[`${prefix}booster.ubj`, { dtype: 'U8', shape: [bytes.length], data: new Uint8Array(bytes) }]]);
  }

  dispose(): void {
    this.booster.dispose();
  }
}

/**
 * A classification forest's probabilities as scikit-learn's forest gives them: per class, the
 * average over the trees of the class's frequency in the leaf the row falls in. XGBoost's
 * random-forest mode instead puts the trees' average Newton step through the link function: one
 * round from margin 0 (base score ½) puts 4(ȳ − ½) in a two-class leaf of positive frequency ȳ,
 * and (ȳₖ − 1/K)·K²/(2(K − 1)) in class k's leaf for K classes (softmax's hessian is 2p(1 − p)),
 * so its two-class probabilities never leave [0.12, 0.88]: well ranked, badly calibrated, and
 * the ensembles weigh members by their log-loss. The margins give the frequencies back exactly
 * (a test checks them against counted leaves).
 */
export function forestProbabilities(margin: Float32Array, numClasses: number): Float32Array {
  const clip = (v: number) => Math.min(1, Math.max(0, v));
  if (numClasses === 2) return classColumns(Float32Array.from(margin, (m) => clip(m / 4 + 0.5)), 2);
  const k = numClasses;
  const scale = (2 * (k - 1)) / (k * k);
  const out = Float32Array.from(margin, (m) => clip((m - FOREST_BASE_SCORE) * scale + 1 / k));
  // Each class has its own trees, so the frequencies sum to 1 only up to how their leaves differ.
  for (let i = 0; i < out.length; i += k) {
    let sum = 0;
    for (let c = 0; c < k; c++) sum += out[i + c]!;
    for (let c = 0; c < k; c++) out[i + c] = sum > 0 ? out[i + c]! / sum : 1 / k;
  }
  return out;
}

/** The forest's base score, set rather than left to XGBoost (2.x estimates it from the labels): `forestProbabilities` relies on it. */
const FOREST_BASE_SCORE = 0.5;

/** Binary objectives give P(class 1) per row; Lepton's members give one column per class. */
function classColumns(data: Float32Array, numClasses: number): Float32Array {
  if (numClasses !== 2) return data; // multi-class: n × k already; regression: n × 1
  const out = new Float32Array(data.length * 2);
  data.forEach((p, i) => {
    out[2 * i] = 1 - p;
    out[2 * i + 1] = p;
  });
  return out;
}

/** The objective, threads and seed every booster shares, for the task. */
function taskParams(ctx: FitContext): Record<string, string> {
  const base = { tree_method: 'hist', nthread: String(ctx.xgbThreads), seed: String(ctx.seed), verbosity: '0' };
  if (ctx.task === 'regression') return { ...base, objective: 'reg:squarederror', eval_metric: 'rmse' };
  if (ctx.numClasses === 2) return { ...base, objective: 'binary:logistic', eval_metric: 'logloss' };
  return { ...base, objective: 'multi:softprob', num_class: String(ctx.numClasses), eval_metric: 'mlogloss' };
}

function boosterParams(p: XgbParams, ctx: FitContext): Record<string, string> {
  return {
    ...taskParams(ctx),
    eta: String(p.learningRate),
    max_depth: String(p.maxDepth),
    min_child_weight: String(p.minChildWeight),
    subsample: String(p.subsample),
    colsample_bytree: String(p.colsampleBytree),
    lambda: String(p.lambda),
    alpha: String(p.alpha),
  };
}

/**
 * XGBoost's random-forest mode (its documented recipe): `trees` trees in one round, learning rate
 * 1 (each tree's leaves are scaled by 1/trees, so the outputs are averaged), no L2 shrinkage of
 * the leaves (a forest's trees are not steps of a sum).
 */
function forestParams(p: ForestParams, ctx: FitContext): Record<string, string> {
  const features = p.featureFraction ?? forestFeatureFraction(ctx.task, ctx.numFeatures);
  return {
    ...taskParams(ctx),
    num_parallel_tree: String(p.trees),
    eta: '1',
    max_depth: String(p.maxDepth),
    min_child_weight: String(p.minChildWeight),
    subsample: String(p.sampleFraction),
    colsample_bynode: String(features),
    lambda: '1e-5',
    base_score: String(FOREST_BASE_SCORE),
  };
}

/** Gradient-boosted trees; with `val`, early stopping after `earlyStoppingRounds` rounds without improvement. */
export function fitXgb(params: XgbParams, train: FitData, val: FitData | undefined, ctx: FitContext): Promise<Member> {
  return fitBooster('xgboost', params, boosterParams(params, ctx), params.rounds, val ? params.earlyStoppingRounds : 0, train, val, ctx);
}

/** A random forest (one round; `val`, if given, is scored once for the progress report). */
export function fitForest(params: ForestParams, train: FitData, val: FitData | undefined, ctx: FitContext): Promise<Member> {
  return fitBooster('forest', params, forestParams(params, ctx), 1, 0, train, val, ctx);
}

async function fitBooster(
  family: 'xgboost' | 'forest',
  params: XgbParams | ForestParams,
  config: Record<string, string>,
  rounds: number,
  earlyStoppingRounds: number,
  train: FitData,
  val: FitData | undefined,
  ctx: FitContext,
): Promise<Member> {
  throwIfCancelled(ctx.signal, family);
  const { XgbModel } = addon();
  const booster = new XgbModel();
  const onAbort = () => booster.cancel();
  ctx.signal?.addEventListener('abort', onAbort);
  const classification = ctx.task === 'classification';
  let weight: Float32Array | undefined;
  if (classification && params.classWeights === 'balanced') {
    const w = balancedWeights(train.y as Int32Array, ctx.numClasses);
    weight = Float32Array.from(train.y as Int32Array, (c) => w[c]!);
  }
  try {
    const summary = await callNative('xgboost fit', () =>
      booster.fit(
        { x: train.x, y: Float32Array.from(train.y), weight, xVal: val?.x, yVal: val ? Float32Array.from(val.y) : undefined, numFeatures: ctx.numFeatures },
        { params: config, rounds, earlyStoppingRounds },
        (r) => ctx.onEpoch?.({ epoch: r.round, maxEpochs: rounds, trainLoss: null, valLoss: r.valScore }),
      ),
    );
    if (summary.stopReason === 'cancelled') throw new LeptonError('E_CANCELLED', `${family} training was cancelled`);
    const info = { epochs: summary.rounds, bestEpoch: summary.bestIteration + 1, stopReason: summary.stopReason };
    return new XgbMember(family, params, info, booster, classification ? ctx.numClasses : 1);
  } catch (e) {
    booster.dispose();
    throw e;
  } finally {
    ctx.signal?.removeEventListener('abort', onAbort);
  }
}

export function loadXgb(family: 'xgboost' | 'forest', params: XgbParams | ForestParams, info: FitInfo, tensors: ReadonlyMap<string, StTensor>, prefix: string, numClasses: number): Member {
  const t = tensors.get(`${prefix}booster.ubj`);
  if (!t) throw new LeptonError('E_MODEL_FILE', `model file lacks tensor '${prefix}booster.ubj'`, 'the model file is damaged; train it again');
  const { XgbModel } = addon();
  const booster = callNativeSync('xgboost load', () => new XgbModel(t.data as Uint8Array));
  return new XgbMember(family, params, info, booster, numClasses);
}
