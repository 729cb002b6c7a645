/**
 * AutoML for tables (`lepton train DATA --target T --time 5m`, or `--trials N`): tune each model
 * family, ensemble the best of each, ship the kept models' fold models (bagging) or refit them,
 * and evaluate on the untouched test split.
 *
 * 1. Split exactly as `train` does (stratified 70/15/15, same seed → same rows).
 * 2. Tune each family (logistic, MLP, XGBoost, random forest) in turn with TPE and ASHA on the
 *    train/validation split (the forest grows in one round: ASHA never prunes it). Trials run
 *    IN-PROCESS, one after another, on matrices encoded once (the objective of
 *    `lepton tune`, `runTrial`): no registry, no worker processes to start, and the order of
 *    trials — hence TPE's history and ASHA's rungs — is fixed, so the same seed and `--trials N`
 *    give the same leaderboard. Tabular trials are short and libtorch/XGBoost already use the
 *    cores inside a trial, so parallel workers would gain little here (`lepton tune` is the tool
 *    for long, parallel studies). The first trial of each family is the family's defaults (what
 *    `train` fits), so tuning never starts from worse than the plain model.
 *    Budget: `--trials N` is N trials PER FAMILY (the defaults trial included). `--time T`: first
 *    every family's defaults trial runs; then, as each family's turn starts, a reserve for step 3
 *    is estimated from the trial times of the configurations that would be its candidates
 *    (K fits each, and a refit without bagging, × RESERVE_FACTOR; m configurations at the defaults' time for a
 *    family not tuned yet), tuning gets the rest (at least half of T), and the family an equal
 *    share of the tuning time still left. A trial running at its family's
 *    deadline is cancelled and recorded as failed; the defaults trial always completes. A family
 *    whose search reaches a plateau (`earlyStop`, src/tune/plateau.ts) ends its tuning there and
 *    leaves its time to the families after it.
 * 3. Out-of-fold (OOF) predictions: C configurations per family (default 3: the best on
 *    validation, the defaults and the next best; fewer when the time left, estimated from each
 *    configuration's own trial time, would not cover them — see `chooseCandidates`; with time
 *    for one configuration only, it is refitted without OOF fits) are trained K times
 *    (K-fold, default 5, on train + validation, for the epochs/rounds their trial's early
 *    stopping found) to predict every train + validation row once. When bagging, the folds
 *    share one pipeline, fitted on all train + validation rows (scaling and one-hot use no
 *    labels), so that their models can ship as they are (step 4). The fits go family by
 *    family and, within one, fold by fold (the K folds' matrices are kept from family to family
 *    up to FOLD_CACHE_BYTES, else built again); a family's losing configurations' fold models
 *    are freed once it has chosen.
 *    Each family keeps the configuration with the lowest OOF loss (with hundreds of trials the
 *    best on a 15 % validation split is partly luck, and OOF over 85 % of the rows is the
 *    sturdier judge), or
 *    its defaults when that loss is lower than theirs by no more than one standard error (the
 *    one-SE rule, as below; `defaultsKept`). The best single family is the one with the lowest
 *    OOF loss, except that logistic regression is kept when its loss is within one standard
 *    error of the best (the one-SE rule; see `simpler`). From the kept configurations' OOF
 *    outputs: (a) a weighted average with non-negative weights summing to one, chosen by greedy
 *    ensemble selection on OOF log-loss (squared error for regression), and (b) stacking, a
 *    logistic (linear) meta-model on the OOF outputs (fitted by the engine's L-BFGS), scored by
 *    an inner cross-validation over the same folds. Either is kept only when it beats the best
 *    single family's OOF loss by more than one standard error of the paired
 *    per-row difference (see `keepEnsemble`); when both are, the lower OOF loss wins. A kept
 *    stacker ships in the artifact (manifest `stack`, src/models/stacking.ts): the meta-model
 *    fitted on all OOF rows, applied to the shipped members' outputs.
 * 4. Ship each kept member as the average of its K fold models (k-fold bagging, as AutoGluon
 *    does; `bag`, default true): no refit, lower variance than one refitted model, and exactly
 *    the models whose OOF predictions chose the weights. With `bag: false` (or when only one
 *    configuration was affordable) refit it on train + validation instead. Evaluate on the test
 *    split.
 * @example
 *   const r = await trainAutoML('credit-g.arff', { target: 'class', time: '5m' });
 *   await saveModel(r.model, 'credit.lepton');
 * @module
 */
import { availableParallelism } from 'node:os';
import type { Table } from '../data/table.js';
import { LeptonError, listNames } from '../errors.js';
import { reportFor } from '../eval/evaluate.js';
import { classificationReport, regressionReport, selectionScore, type EvalReport } from '../eval/metrics.js';
import { tableManifest } from '../models/artifact.js';
import type { Stack } from '../models/stacking.js';
import type { FitContext, FitData, Member } from '../models/member.js';
import { BaggedMember } from '../models/bagged.js';
import { LeptonModel } from '../models/model.js';
import { FAMILIES, resolveParams, type FamilyName } from '../models/spec.js';
import { fitTable, withSteps } from '../models/table-family.js';
import { Pipeline } from '../prep/pipeline.js';
import { stratifiedFolds } from '../prep/split.js';
import type { EncodedTarget } from '../prep/target.js';
import { fitTrainingRows } from '../train/candidates.js';
import { prepareTraining, type TrainOptions } from '../train/train.js';
import { Asha } from '../tune/asha.js';
import { parseBudget, type Budget } from '../tune/budget.js';
import { maxResource, minResource, objectiveInfo, runTrial, type ObjectiveData } from '../tune/objective.js';
import { lastGain, onPlateau, PLATEAU } from '../tune/plateau.js';
import { TpeSampler, type Trial } from '../tune/samplers.js';
import { DEFAULT_SPACES, type Params, type SearchSpace } from '../tune/space.js';
import { blend, greedyWeights, keepEnsemble, mean, pairedDifference, rowLosses, stackOof, type KeepDecision } from './ensemble.js';

export interface AutoMLOptions extends Omit<TrainOptions, 'model' | 'refit' | 'onProgress'> {
  /** Families to tune (default: logistic, mlp, xgboost, forest). One family: tuning only, no ensemble. */
  families?: readonly FamilyName[];
  /** Trials per family. */
  trials?: number | string;
  /** Total wall-clock budget: seconds, or a duration such as `5m`. */
  time?: number | string;
  /** Folds for the out-of-fold predictions (default 5). */
  folds?: number;
  /** Configurations per family compared on OOF loss: the best on validation, the defaults, the next best (default 3). */
  candidates?: number;
  /**
   * Bytes the K folds' matrices may take when kept from one family's OOF fits to the next
   * (default FOLD_CACHE_BYTES); above it each family builds each fold again and only one fold's
   * matrices are held at a time.
   */
  foldCacheBytes?: number;
  /** ASHA pruning of trials (default true). */
  asha?: boolean;
  /**
   * Ship each member as the average of its K fold models (k-fold bagging, default true) instead
   * of one model refitted on train + validation: lower variance, and exactly the models whose
   * out-of-fold predictions chose the ensemble; K× the prediction cost and artifact size.
   */
  bag?: boolean;
  /**
   * End a family's tuning once its search has reached a plateau (src/tune/plateau.ts: no new best
   * by more than 0.1 % in as many trials again as it took to find the last one, and at least 25
   * trials; default true). Its share of the time goes to the families after it; when every family
   * stops early, AutoML ends before the time budget.
   */
  earlyStop?: boolean;
  onTrial?: (e: AutoMLTrialEvent) => void;
  onStage?: (stage: 'tuning' | 'oof' | 'refit', detail: string) => void;
}

export interface AutoMLTrialEvent {
  family: FamilyName;
  number: number;
  state: 'complete' | 'pruned' | 'failed';
  value: number | null;
  best: number | null;
  seconds: number;
}

export interface AutoMLEntry {
  /** A family, 'weighted' (the weighted average) or 'stacking'. */
  name: string;
  /** The chosen configuration's parameters (families; the tuned ones, on top of the family defaults). */
  params: Record<string, unknown> | null;
  /** The chosen configuration's trial number (0: the family's defaults). */
  trial?: number;
  /** The chosen configuration's value on the validation split: ROC-AUC (classification) or RMSE (regression). */
  valScore: number | null;
  /** The family's best validation value over all its trials. */
  bestValScore?: number;
  /** Configurations compared on OOF loss. */
  candidates?: number;
  /** Set when the family's tuning ended on a plateau before its budget: after `trials` trials, the last real gain at trial `lastGain`. */
  plateau?: { trials: number; lastGain: number };
  /** Set when the one-SE rule kept the family's defaults over trial `over`, whose OOF loss was lower by `gap` ≤ `se`. */
  defaultsKept?: { over: number; gap: number; se: number };
  /** OOF ROC-AUC (classification) or RMSE in target units (regression), over train + validation. */
  oofScore: number | null;
  /** Mean OOF log-loss (classification) or squared error in standardised units (regression). */
  oofLoss: number | null;
  trials: { total: number; complete: number; pruned: number; failed: number } | null;
  /** Epochs/rounds early stopping chose in the best trial (the refit trains this long). */
  bestEpoch: number | null;
  /** Member weights (weighted average only). */
  weights?: Partial<Record<FamilyName, number>>;
  seconds: number;
  selected: boolean;
}

export interface AutoMLSummary {
  metric: 'roc_auc' | 'rmse';
  leaderboard: AutoMLEntry[];
  /** The shipped model's member weights (one member: weight 1; stacking: equal, the meta-model combines them). */
  weights: Partial<Record<FamilyName, number>>;
  /** Why the ensemble was (not) kept; null when only one family was tuned. */
  decision: KeepDecision | null;
  /** The one-SE rule between logistic regression and a lower-loss family (null when logistic was best, or alone). */
  simpler: { kept: boolean; over: FamilyName; gap: number; se: number; reason: string } | null;
  /** Stacking's OOF scores, meta-model and keep decision (against the best single family). */
  stacking: { oofLoss: number; oofScore: number | null; coef: number[][]; intercept: number[]; decision: KeepDecision; note: string } | null;
  budget: Budget;
  folds: number;
  /** Whether each member ships as its fold models averaged (bagging) rather than refitted. */
  bagged: boolean;
  seconds: { tuning: number; oof: number; refit: number; total: number };
}

export interface AutoMLFit extends AutoMLSummary {
  model: LeptonModel;
  trainRows: number;
}

export interface AutoMLResult extends AutoMLSummary {
  model: LeptonModel;
  test: EvalReport;
  split: { train: number; val: number; test: number; trainSplit: number };
}

/**
 * An OOF fit's cost as a share of its configuration's trial time: it trains on about as many
 * rows as the trial but only to the trial's best epoch, without early stopping's patience after
 * it (and a defaults trial pays the engines' warm-up), so an OOF fit measured about 0.2–0.8 of a
 * defaults trial on credit-g; 0.75 is the upper end.
 */
export const RESERVE_FACTOR = 0.75;
/** Tuning gets at least this share of a time budget, whatever the reserve estimate says. */
export const MIN_TUNE_SHARE = 0.5;
/**
 * The OOF fits keep the K folds' training and held-out matrices (K × rows × features floats,
 * K times the table's encoded size) from family to family while they stay under this; a larger
 * table rebuilds each fold per family (a pipeline transform, and the resampling with --balance)
 * to hold one fold at a time.
 */
export const FOLD_CACHE_BYTES = 512 * 2 ** 20;

/**
 * The configurations to fit on every fold, from each family's candidates (its best trial on
 * validation first), families ordered best first on validation. An OOF fit costs about
 * RESERVE_FACTOR × its own trial's seconds per fold, and the best configurations can cost far
 * more than the defaults the reserve was sized on (ten-class MLPs on digits took twice the
 * budget when every family got three). So the best family's first configuration is always kept
 * (its refit makes the model); each other configuration, first those of the other families, then
 * the families' next ones in turn, is added only while its K fits and refit, and the K fits of
 * the first one it makes worth doing, fit in `leftMs`. One configuration alone is refitted
 * without any OOF fits. With `bag` the shipped members are the fold models: no refits to pay for
 * beyond that fallback's.
 */
export function chooseCandidates<T extends { configs: readonly { seconds: number }[] }>(ranked: readonly T[], k: number, leftMs: number, bag = false): T[] {
  const foldMs = (t: { seconds: number }) => 1000 * t.seconds * RESERVE_FACTOR;
  const refitMs = (t: { seconds: number }) => (bag ? 0 : (foldMs(t) * k) / (k - 1));
  const full = ranked.filter((c) => c.configs.length > 0);
  if (full.length === 0) return [];
  const out = full.map((c) => ({ ...c, configs: c.configs.slice(0, 0) }));
  const first = full[0]!.configs[0]!;
  out[0]!.configs.push(first);
  leftMs -= refitMs(first);
  let count = 1;
  const order: [number, number][] = full.slice(1).map((_, i) => [i + 1, 0]);
  for (let r = 1; r < Math.max(...full.map((c) => c.configs.length)); r++) full.forEach((c, i) => r < c.configs.length && order.push([i, r]));
  for (const [i, r] of order) {
    const t = full[i]!.configs[r]!;
    const cost = k * foldMs(t) + (r === 0 ? refitMs(t) : 0) + (count === 1 ? k * foldMs(first) : 0);
    if (cost > leftMs) continue;
    leftMs -= cost;
    out[i]!.configs.push(t);
    count++;
  }
  return out.filter((c) => c.configs.length > 0);
}

/**
 * A family's configuration from its candidates' per-row OOF losses (`numbers`: their trial
 * numbers, 0 the defaults): the lowest mean loss, unless the defaults' mean is higher by no more
 * than one standard error of the paired per-row difference — then the defaults.
 */
export function chooseConfig(losses: readonly Float64Array[], numbers: readonly number[]): { index: number; defaultsKept?: { over: number; gap: number; se: number } } {
  let j = 0;
  losses.forEach((l, i) => {
    if (mean(l) < mean(losses[j]!)) j = i;
  });
  const d = numbers.indexOf(0);
  if (d < 0 || d === j) return { index: j };
  const { mean: gap, se } = pairedDifference(losses[d]!, losses[j]!);
  return gap <= se ? { index: d, defaultsKept: { over: numbers[j]!, gap, se } } : { index: j };
}

/** Checks every AutoML option that can be checked without the data (throws E_OPTION). */
export function checkAutoMLOptions(o: Pick<AutoMLOptions, 'trials' | 'time' | 'folds' | 'families'>): { budget: Budget; families: FamilyName[]; folds: number } {
  const budget = parseBudget({ trials: o.trials, time: o.time });
  const families = [...(o.families ?? FAMILIES)];
  if (families.length === 0) throw new LeptonError('E_OPTION', 'AutoML needs at least one model family', `use ${listNames(FAMILIES)}`);
  for (const f of families) if (!(FAMILIES as readonly string[]).includes(f)) throw new LeptonError('E_OPTION', `unknown model family '${f}'`, `use ${listNames(FAMILIES)}`);
  const folds = o.folds ?? 5;
  if (!Number.isInteger(folds) || folds < 2) throw new LeptonError('E_OPTION', `the ensemble folds must be an integer ≥ 2 (got ${o.folds})`, 'use 5');
  return { budget, families, folds };
}

/** `train` with AutoML: reads, splits as `train` does, runs `fitAutoML`, evaluates on the test split. */
export async function trainAutoML(data: Table | string, options: AutoMLOptions): Promise<AutoMLResult> {
  checkAutoMLOptions(options);
  const { table, encoded, features, seed, split } = await prepareTraining(data, options);
  const fit = await fitAutoML(table, encoded, features, split.train, split.val, { ...options, seed });
  const { model } = fit;
  try {
    const testRows = split.test.map((p) => encoded.rows[p]!);
    const out = await model.predictFeatures(model.pipeline.transform(table, testRows));
    const y = encoded.y instanceof Int32Array ? Int32Array.from(split.test, (p) => encoded.y[p]!) : Float32Array.from(split.test, (p) => encoded.y[p]!);
    const test = reportFor(model, out, y);
    const sizes = { train: fit.trainRows, val: split.val.length, test: split.test.length, trainSplit: split.train.length };
    const { model: _m, trainRows: _t, ...summary } = fit;
    model.manifest.training = { automl: summary, leaderboard: fit.leaderboard, test, split: sizes, source: table.source ?? null };
    return { ...summary, model, test, split: sizes };
  } catch (e) {
    model.dispose();
    throw e;
  }
}

interface TrialRecord extends Trial {
  value: number | null;
  /** Validation log-loss (classification): breaks ties between equal values. */
  logLoss: number | null;
  bestEpoch: number;
  seconds: number;
}

interface FamilyResult {
  family: FamilyName;
  /** The configuration chosen on OOF loss among the family's candidates. */
  trial: TrialRecord;
  /** Null when the time left allowed one configuration only: nothing to compare, no OOF fits. */
  oof: Float32Array | null;
  loss: Float64Array | null;
  /** The configuration's K fold models when bagging (empty otherwise). */
  foldModels: Member[];
  bestVal: number;
  candidates: number;
  defaultsKept: AutoMLEntry['defaultsKept'];
  plateau: AutoMLEntry['plateau'];
  trials: NonNullable<AutoMLEntry['trials']>;
  seconds: number;
}

/** Complete trials with a finite value, best first (ties: the earlier trial). */
function bestOf(history: readonly TrialRecord[], better: (a: number, b: number) => boolean): TrialRecord[] {
  return history
    .filter((t) => t.state === 'complete' && t.value !== null && Number.isFinite(t.value))
    .sort((a, b) => (better(a.value!, b.value!) ? -1 : better(b.value!, a.value!) ? 1 : (a.logLoss ?? 0) - (b.logLoss ?? 0) || a.number - b.number));
}

/** Positions index into `encoded.rows` / `encoded.y` (as `fitCandidates`). */
export async function fitAutoML(table: Table, encoded: EncodedTarget, features: readonly string[], trainPos: Int32Array, valPos: Int32Array, options: AutoMLOptions): Promise<AutoMLFit> {
  const t0 = performance.now();
  const { budget, families, folds: k } = checkAutoMLOptions(options);
  const seed = options.seed ?? 42;
  const info = objectiveInfo(encoded);
  if (valPos.length === 0) throw new LeptonError('E_TARGET', `the validation split of '${encoded.encoder.column}' is empty`, 'add labelled rows');
  const enc = encoded.encoder;
  const rowsOf = (pos: Int32Array) => pos.map((p) => encoded.rows[p]!);
  const pick = (pos: Int32Array) => (encoded.y instanceof Int32Array ? Int32Array.from(pos, (p) => encoded.y[p]!) : Float32Array.from(pos, (p) => encoded.y[p]!));
  const torchThreads = options.torchThreads ?? 1;
  const xgbThreads = options.xgbThreads ?? availableParallelism();
  const fixed = (f: FamilyName): Record<string, unknown> => ({ ...(options.params?.[f] ?? {}) });
  // Checks the fixed overrides before any trial (a bad --lr fails here).
  for (const f of families) {
    try {
      resolveParams(f, fixed(f));
    } catch (e) {
      throw new LeptonError('E_OPTION', `invalid ${f} parameters: ${(e as Error).message}`, 'check the parameter names and ranges', { cause: e });
    }
  }

  // ── 1. tuning on the fixed train/validation split ─────────────────────────
  // --balance resamples every set a model trains on (the tuning split's training rows, each
  // fold's training part, the refit rows), never the rows it is scored on.
  const fitOn = (pos: Int32Array) => fitTrainingRows(table, encoded, features, pos, options.balance, seed);
  const { pipeline, data: tuneTrain } = fitOn(trainPos);
  const data: ObjectiveData = {
    ...info,
    train: tuneTrain,
    val: { x: pipeline.transform(table, rowsOf(valPos)), y: pick(valPos) },
    numFeatures: pipeline.outputDim,
    mean: enc.task === 'regression' ? enc.mean : 0,
    std: enc.task === 'regression' ? enc.std : 1,
    rows: { train: trainPos.length, val: valPos.length, test: 0 },
  };
  const better = (a: number, b: number) => (info.direction === 'maximize' ? a > b : a < b);
  const m = Math.max(1, options.candidates ?? 3);

  interface Study {
    family: FamilyName;
    fi: number;
    fx: Record<string, unknown>;
    sampler: TpeSampler | null;
    asha: Asha | null;
    history: TrialRecord[];
    seconds: number;
    plateau?: AutoMLEntry['plateau'];
  }
  const studies: Study[] = families.map((family, fi) => {
    const fx = fixed(family);
    const space: SearchSpace = Object.fromEntries(Object.entries(DEFAULT_SPACES[family]).filter(([name]) => !(name in fx)));
    const max = maxResource(family, fx);
    return {
      family,
      fi,
      fx,
      sampler: Object.keys(space).length ? new TpeSampler(space, { seed: seed + fi, direction: info.direction }) : null,
      asha: options.asha === false ? null : new Asha({ maxResource: max, minResource: minResource(family, max), reductionFactor: 3, direction: info.direction }),
      history: [],
      seconds: 0,
    };
  });
  /** Runs trial `history.length` of a study; a deadline cancels it (never the defaults trial). */
  const runOne = async (st: Study, deadline: number): Promise<void> => {
    const n = st.history.length;
    const params: Params = n === 0 || !st.sampler ? {} : st.sampler.suggest(st.history);
    const abort = new AbortController();
    const intermediate: { step: number; value: number | null }[] = [];
    let pruned: number | null = null;
    let timedOut = false;
    const timer = n > 0 && deadline !== Infinity ? setTimeout(() => ((timedOut = true), abort.abort()), Math.max(0, deadline - performance.now())) : undefined;
    const ts = performance.now();
    let state: AutoMLTrialEvent['state'];
    let value: number | null = null;
    let logLoss: number | null = null;
    let bestEpoch = 0;
    try {
      const r = await runTrial(data, st.family, { ...params, ...st.fx }, {
        seed,
        torchThreads,
        xgbThreads,
        signal: abort.signal,
        onReport: (step, v) => {
          if (pruned !== null) return;
          intermediate.push({ step, value: v });
          if (st.asha?.report(n, step, v) === 'prune') {
            pruned = v;
            abort.abort();
          }
        },
      });
      // ASHA's decision is final: a trial that finished before the cancel reached the engine is
      // still pruned, so the leaderboard does not depend on thread timing.
      if (pruned !== null) [state, value] = ['pruned', pruned];
      else [state, value, logLoss, bestEpoch] = ['complete', r.value, r.logLoss, r.bestEpoch];
    } catch (e) {
      if (pruned !== null) [state, value] = ['pruned', pruned];
      else if (n === 0 && !(e instanceof LeptonError && e.code === 'E_CANCELLED')) throw e; // the family's defaults fail: a real problem
      else state = 'failed';
      void timedOut;
    } finally {
      clearTimeout(timer);
    }
    const seconds = (performance.now() - ts) / 1000;
    st.seconds += seconds;
    st.history.push({ number: n, state, params, value, logLoss, intermediate, bestEpoch, seconds });
    const best = bestOf(st.history, better)[0];
    options.onTrial?.({ family: st.family, number: n, state, value, best: best?.value ?? null, seconds });
  };

  // Each family's candidates for the OOF fits: its best trial on validation, its defaults (what
  // `train` fits: a guard against a validation split too small to trust), then the next best.
  const candidatesOf = (st: Study): TrialRecord[] => {
    const [top, ...rest] = bestOf(st.history, better);
    const def = st.history[0]?.state === 'complete' && top?.number !== 0 ? [st.history[0]] : [];
    return top ? [top, ...def, ...rest.filter((t) => t.number !== 0)].slice(0, m) : [];
  };
  // The time the OOF fits and the refit (unless bagging) will take, from the trial times of the
  // configurations that would be candidates now; a family not tuned yet counts m configurations
  // at its defaults trial's time. Re-estimated as each family starts, so slow defaults (a loaded
  // machine, the engines' warm-up) do not cut tuning short for good.
  const bagging = options.bag !== false;
  const reserveMs = (): number =>
    studies.reduce((a, st) => {
      const seconds = st.history.length > 1 ? candidatesOf(st).map((t) => t.seconds) : Array<number>(m).fill(st.history[0]?.seconds ?? 0);
      return a + 1000 * RESERVE_FACTOR * (k * seconds.reduce((x, y) => x + y, 0) + (bagging ? 0 : ((seconds[0] ?? 0) * k) / (k - 1)));
    }, 0);

  // Phase A: every family's defaults (what `train` fits); their times are the first estimate of
  // the reserve for the out-of-fold fits and the refit.
  for (const st of studies) {
    if (budget.trials !== null && budget.trials < 1) break;
    options.onStage?.('tuning', `${st.family} (defaults)`);
    await runOne(st, Infinity);
  }
  // Phase B: TPE + ASHA, family by family, each an equal share of the tuning time left.
  for (const st of studies) {
    if (!st.sampler) continue;
    options.onStage?.('tuning', st.family);
    const tuneEnd = budget.timeMs === null ? Infinity : t0 + Math.max(budget.timeMs * MIN_TUNE_SHARE, budget.timeMs - reserveMs());
    const left = studies.length - st.fi;
    const deadline = tuneEnd === Infinity ? Infinity : performance.now() + Math.max(0, tuneEnd - performance.now()) / left;
    while ((budget.trials === null || st.history.length < budget.trials) && performance.now() < deadline) {
      const values = st.history.map((t) => (t.state === 'complete' ? t.value : null));
      if (options.earlyStop !== false && onPlateau(values, info.direction)) {
        st.plateau = { trials: st.history.length, lastGain: lastGain(values, info.direction, PLATEAU.tolerance) };
        options.onStage?.('tuning', `${st.family}: stopped after ${st.plateau.trials} trials, no gain above ${PLATEAU.tolerance * 100} % since trial #${st.plateau.lastGain}`);
        break;
      }
      await runOne(st, deadline);
    }
  }
  const tTune = performance.now();

  // ── 2. out-of-fold predictions: choose each family's configuration, then the ensembles ──
  const allPos = Int32Array.from([...trainPos, ...valPos]);
  const yAll = pick(allPos);
  const numClasses = info.numClasses;
  const width = enc.task === 'classification' ? numClasses : 1;
  const ctxFor = (numFeatures: number): FitContext => ({ task: enc.task, numClasses, numFeatures, seed, torchThreads, xgbThreads, signal: options.signal });
  const fitConfig = (family: FamilyName, t: TrialRecord, d: FitData, numFeatures: number): Promise<Member> => {
    const p = resolveParams(family, { ...t.params, ...fixed(family) });
    return fitTable(family, withSteps(family, p, t.bestEpoch), d, undefined, ctxFor(numFeatures));
  };
  const scoreOf = (out: Float32Array): number | null => {
    if (enc.task === 'classification') return selectionScore(classificationReport(out, yAll as Int32Array, enc.classes));
    return regressionReport(out.map((v) => v * enc.std + enc.mean), yAll.map((v) => v * enc.std + enc.mean)).rmse;
  };
  // A family's first candidate is its best trial, so families sort on it.
  const ranked = studies
    .map((st) => ({ st, configs: candidatesOf(st) }))
    .filter((c) => c.configs.length > 0)
    .sort((a, b) => (better(a.configs[0]!.value!, b.configs[0]!.value!) ? -1 : better(b.configs[0]!.value!, a.configs[0]!.value!) ? 1 : 0));
  // Back in family order, the leaderboard's.
  const cands = chooseCandidates(ranked, k, budget.timeMs === null ? Infinity : t0 + budget.timeMs - performance.now(), bagging).sort((a, b) => a.st.fi - b.st.fi);
  if (cands.length === 0) throw new LeptonError('E_LIMIT', 'no trial completed within the budget', 'give more time (--time) or trials');
  const single = cands.length === 1 && cands[0]!.configs.length === 1;
  options.onStage?.('oof', single ? `skipped: the time left covers refitting one configuration (${cands[0]!.st.family}, the best on validation)` : `${k} folds × ${cands.reduce((a, c) => a + c.configs.length, 0)} configurations of ${cands.length} famil${cands.length === 1 ? 'y' : 'ies'}`);
  const folds = stratifiedFolds(yAll, k, seed);
  const bag = bagging && !single;
  // One pipeline for every fold and the shipped model, fitted on all train + validation rows (its
  // statistics use no labels): a bagged member's fold models must read the features the model's
  // pipeline makes. Without bagging each fold fits its own, as the refit does.
  const { pipeline: finalPipeline, data: all } = fitOn(allPos);
  const oofOf = cands.map((c) => c.configs.map(() => new Float32Array(allPos.length * width)));
  // Each fold's training and held-out matrices: built once and kept through every family's OOF
  // fits when all K fit in FOLD_CACHE_BYTES (a resampled training part counted at up to twice its
  // rows), else built again for each family, one fold at a time.
  const foldSets: { d: FitData; xHeld: Float32Array; numFeatures: number }[] = [];
  const cacheFolds = k * allPos.length * finalPipeline.outputDim * 4 * (options.balance && options.balance !== 'none' ? 2 : 1) <= (options.foldCacheBytes ?? FOLD_CACHE_BYTES);
  const buildFold = (f: number) => {
    const rest = Int32Array.from(folds.flatMap((fold, i) => (i === f ? [] : Array.from(fold)))).map((i) => allPos[i]!);
    const { pipeline: foldPipe, data: d } = bag ? fitTrainingRows(table, encoded, features, rest, options.balance, seed, finalPipeline) : fitOn(rest);
    return { d, xHeld: foldPipe.transform(table, rowsOf(folds[f]!.map((i) => allPos[i]!))), numFeatures: foldPipe.outputDim };
  };
  const foldSet = (f: number) => (cacheFolds ? (foldSets[f] ??= buildFold(f)) : buildFold(f));
  // With bagging the fold models are kept: a family's losing configurations' models are freed
  // as soon as it has chosen, so at most one family's candidates are held beside the chosen ones.
  const foldModels = cands.map((c) => c.configs.map((): Member[] => []));
  const shipped = new Set<Member>();
  try {
    // Each family's configuration: the lowest OOF loss among its candidates (850 rows of evidence
    // rather than the validation split's 150, which many trials overfit), except that the family's
    // defaults are kept over a tuned configuration whose loss is lower by no more than one standard
    // error of the paired per-row difference — the one-SE rule again, within the family: a tuned
    // configuration chosen among hundreds on one small split must win beyond noise.
    const results: FamilyResult[] = [];
    for (const [ci, c] of cands.entries()) {
      // Fold by fold, every candidate on one fold's matrices before the next fold's are built.
      for (let f = 0; f < (single ? 0 : k); f++) {
        const { d, xHeld, numFeatures } = foldSet(f);
        for (const [j, t] of c.configs.entries()) {
          const member = await fitConfig(c.st.family, t, d, numFeatures);
          if (bag) foldModels[ci]![j]!.push(member);
          try {
            const out = await member.predict(xHeld);
            folds[f]!.forEach((p, i) => oofOf[ci]![j]!.set(out.subarray(i * width, i * width + width), p * width));
          } finally {
            if (!bag) member.dispose();
          }
        }
      }
      const losses = single ? [] : c.configs.map((_, j) => rowLosses(oofOf[ci]![j]!, yAll, width, enc.task));
      const { index: chosen, defaultsKept } = single ? { index: 0, defaultsKept: undefined } : chooseConfig(losses, c.configs.map((t) => t.number));
      foldModels[ci]!.forEach((models, j) => {
        if (j === chosen) return;
        for (const m of models) m.dispose();
        models.length = 0;
      });
      const h = c.st.history;
      const trials = { total: h.length, complete: h.filter((t) => t.state === 'complete').length, pruned: h.filter((t) => t.state === 'pruned').length, failed: h.filter((t) => t.state === 'failed').length };
      results.push({ family: c.st.family, trial: c.configs[chosen]!, oof: single ? null : oofOf[ci]![chosen]!, loss: losses[chosen] ?? null, foldModels: foldModels[ci]![chosen]!, bestVal: bestOf(h, better)[0]!.value!, candidates: c.configs.length, defaultsKept, plateau: c.st.plateau, trials, seconds: c.st.seconds });
    }
    foldSets.length = 0;
    const leaderboard: AutoMLEntry[] = results.map((r) => ({
      name: r.family,
      params: { ...r.trial.params },
      trial: r.trial.number,
      valScore: r.trial.value,
      bestValScore: r.bestVal,
      candidates: r.candidates,
      ...(r.defaultsKept ? { defaultsKept: r.defaultsKept } : {}),
      ...(r.plateau ? { plateau: r.plateau } : {}),
      oofScore: r.oof && scoreOf(r.oof),
      oofLoss: r.loss && mean(r.loss),
      trials: r.trials,
      bestEpoch: r.trial.bestEpoch,
      seconds: r.seconds,
      selected: false,
    }));
    let bestJ = 0;
    results.forEach((r, j) => {
      if (!single && mean(r.loss!) < mean(results[bestJ]!.loss!)) bestJ = j;
    });
    // The one-standard-error rule (Breiman et al. 1984; Hastie et al., ESL §7.10): logistic
    // regression, the simplest family, is kept over a family whose OOF loss is lower by no more
    // than one standard error of the paired per-row difference. On small tables the OOF ranking
    // of families is mostly noise, and the simpler model is the safer bet on unseen rows.
    let simpler: AutoMLSummary['simpler'] = null;
    const lin = results.findIndex((r) => r.family === 'logistic');
    if (!single && lin >= 0 && lin !== bestJ) {
      const { mean: gap, se } = pairedDifference(results[lin]!.loss!, results[bestJ]!.loss!);
      const within = gap <= se;
      simpler = { kept: within, over: results[bestJ]!.family, gap, se, reason: `logistic's OOF loss is higher than ${results[bestJ]!.family}'s by ${gap.toFixed(4)}, ${within ? 'within' : 'more than'} 1 SE (${se.toFixed(4)})` };
      if (within) bestJ = lin;
    }
    let chosen: FamilyResult[] = [results[bestJ]!];
    let weights: number[] = [1];
    let decision: KeepDecision | null = null;
    let stacking: AutoMLSummary['stacking'] = null;
    let stack: Stack | undefined;
    let selectedName = results[bestJ]!.family as string;
    if (results.length > 1) {
      // Several results means the OOF fits ran (single is false): every oof and loss is set.
      const oofs = results.map((r) => r.oof!);
      const w = greedyWeights(oofs, yAll, width, enc.task);
      const blended = blend(oofs, w);
      const blendLoss = rowLosses(blended, yAll, width, enc.task);
      decision = keepEnsemble(results[bestJ]!.loss!, blendLoss, w.filter((v) => v > 0).length);
      const wRecord = Object.fromEntries(results.map((r, j) => [r.family, w[j]!])) as Partial<Record<FamilyName, number>>;
      leaderboard.push({ name: 'weighted', params: null, valScore: null, oofScore: scoreOf(blended), oofLoss: mean(blendLoss), trials: null, bestEpoch: null, weights: wRecord, seconds: 0, selected: false });
      const st = await stackOof(oofs, yAll, folds, width, enc.task);
      const stRows = rowLosses(st.oof, yAll, width, enc.task);
      const stLoss = mean(stRows);
      const stDecision = keepEnsemble(results[bestJ]!.loss!, stRows, results.length);
      stacking = { oofLoss: stLoss, oofScore: scoreOf(st.oof), coef: st.meta.coef, intercept: st.meta.intercept, decision: stDecision, note: stDecision.reason.replace('the ensemble', 'stacking') };
      leaderboard.push({ name: 'stacking', params: null, valScore: null, oofScore: stacking.oofScore, oofLoss: stLoss, trials: null, bestEpoch: null, seconds: 0, selected: false });
      // Both may pass the keep rule: the lower OOF loss wins (stacking's is cross-validated, the
      // weighted average's slightly optimistic, so a tie goes to the simpler weighted average).
      if (stDecision.keep && (!decision.keep || stLoss < mean(blendLoss))) {
        chosen = results;
        weights = results.map(() => 1 / results.length);
        stack = { mean: st.meta.mean, std: st.meta.std, coef: st.meta.coef, intercept: st.meta.intercept };
        selectedName = 'stacking';
      } else if (decision.keep) {
        chosen = results.filter((_, j) => w[j]! > 0);
        weights = w.filter((v) => v > 0);
        selectedName = 'ensemble';
      }
    }
    const tOof = performance.now();
    for (const e of leaderboard) e.selected = selectedName === 'ensemble' ? e.name === 'weighted' : e.name === selectedName;

    // ── 3. the shipped members: the fold models averaged, or refitted on train + validation ──
    const names = chosen.map((r) => r.family).join(' + ');
    options.onStage?.('refit', bag ? `${names}, each the average of its ${k} fold models (bagging, no refit)` : `${names}, refitted on train + validation`);
    const members: Member[] = [];
    try {
      for (const r of chosen) members.push(bag ? new BaggedMember(r.foldModels) : await fitConfig(r.family, r.trial, all, finalPipeline.outputDim));
    } catch (e) {
      for (const m of members) m.dispose();
      throw e;
    }
    for (const m of members) if (m instanceof BaggedMember) m.folds.forEach((f) => shipped.add(f));
    const manifest = tableManifest({ seed, target: enc, targetSchema: table.schema.find((s) => s.name === enc.column)!, pipeline: finalPipeline.state, selected: selectedName, members, weights });
    if (stack) manifest.stack = stack;
    const t1 = performance.now();
    const s = (a: number, b: number) => (b - a) / 1000;
    return {
      model: new LeptonModel(manifest, members),
      bagged: bag,
      trainRows: all.y.length,
      metric: info.metric,
      leaderboard,
      weights: Object.fromEntries(chosen.map((r, j) => [r.family, weights[j]!])),
      decision,
      simpler,
      stacking,
      budget,
      folds: k,
      seconds: { tuning: s(t0, tTune), oof: s(tTune, tOof), refit: s(tOof, t1), total: s(t0, t1) },
    };
  } finally {
    for (const m of foldModels.flat(2)) if (!shipped.has(m)) m.dispose();
  }
}
