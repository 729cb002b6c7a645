/**
 * Fits the candidate models on a train/validation split and keeps the best on validation.
 * `auto` fits logistic regression, an MLP and XGBoost, plus their average (an ensemble),
 * and reports every candidate in a leaderboard. The ensemble is kept unless a single model
 * beats it on validation by more than one standard error.
 * @module
 */
import { availableParallelism } from 'node:os';
import { LeptonError } from '../errors.js';
import type { Table } from '../data/table.js';
import { classificationReport, regressionReport, selectionScore, selectionTolerance, type EvalReport } from '../eval/metrics.js';
import { tableManifest } from '../models/artifact.js';
import type { FitContext, FitData, Member } from '../models/member.js';
import { LeptonModel } from '../models/model.js';
import { FAMILIES, resolveParams, type FamilyName, type ImageFamilyName, type SequenceFamilyName, type MixedFamilyName, type ModelChoice, type TextFamilyName, type TableParams } from '../models/spec.js';
import { fitTable, withSteps } from '../models/table-family.js';
import { balance, balanceTable, type BalanceMethod } from '../prep/balance.js';
import { Pipeline } from '../prep/pipeline.js';
import type { EncodedTarget } from '../prep/target.js';

export type ProgressEvent =
  | { type: 'candidate-start'; candidate: FamilyName | ImageFamilyName | TextFamilyName | SequenceFamilyName | MixedFamilyName; index: number; total: number }
  | { type: 'epoch'; candidate: FamilyName | ImageFamilyName | TextFamilyName | SequenceFamilyName | MixedFamilyName; epoch: number; maxEpochs: number; trainLoss: number | null; valLoss: number | null }
  | { type: 'candidate-end'; candidate: FamilyName | ImageFamilyName | TextFamilyName | SequenceFamilyName | MixedFamilyName; valScore: number; seconds: number; epochs: number };

export interface FitOptions {
  model?: ModelChoice;
  seed?: number;
  /** Hyper-parameter overrides per family, e.g. `{ mlp: { hidden: [64], epochs: 50 } }`. */
  params?: Partial<Record<FamilyName, Record<string, unknown>>>;
  torchThreads?: number;
  xgbThreads?: number;
  onProgress?: (e: ProgressEvent) => void;
  signal?: AbortSignal;
  /**
   * After choosing on validation, train the chosen member(s) again on train + validation rows
   * for the epochs/rounds early stopping found (default true): small data sets gain from the
   * extra rows, and the held-out test split stays untouched.
   */
  refit?: boolean;
  /** Class balancing of the training rows only (classification): none, oversample, undersample, smote. */
  balance?: BalanceMethod;
}

export interface LeaderboardEntry {
  name: string;
  /** ROC-AUC for classification (negative log-loss when undefined), negative RMSE for regression. */
  valScore: number;
  metric: 'roc_auc' | 'neg_rmse';
  seconds: number;
  epochs: number | null;
  bestEpoch: number | null;
  selected: boolean;
}

export interface FittedCandidates {
  model: LeptonModel;
  leaderboard: LeaderboardEntry[];
  /** Training rows after balancing (equal to the split's size without it). */
  trainRows: number;
}

/**
 * Training rows (positions `pos` into `encoded`) ready for fitting: the pipeline fitted on them
 * and their matrix, balanced when asked. `smote` with categorical features is SMOTE-NC on the raw
 * rows (balanceTable appends synthetic rows to a copy of the table, then the pipeline is fitted
 * on the balanced rows); other methods balance the encoded matrix. Only these rows are balanced:
 * validation, test and held-out fold rows go through the returned pipeline unchanged. `fitted`:
 * a pipeline already fitted (AutoML's folds share the one fitted on all their rows) instead.
 */
export function fitTrainingRows(table: Table, encoded: EncodedTarget, features: readonly string[], pos: Int32Array, balancing: BalanceMethod | undefined, seed: number, fitted?: Pipeline): { pipeline: Pipeline; data: FitData } {
  const enc = encoded.encoder;
  const rows = pos.map((p) => encoded.rows[p]!);
  const y = encoded.y instanceof Int32Array ? Int32Array.from(pos, (p) => encoded.y[p]!) : Float32Array.from(pos, (p) => encoded.y[p]!);
  const classes = enc.task === 'classification' ? enc.classes.length : 0;
  const method = balancing !== 'none' && classes > 0 ? balancing : undefined;
  const raw = method ? balanceTable(method, table, features, rows, y as Int32Array, classes, seed) : undefined;
  if (raw) {
    const pipeline = fitted ?? Pipeline.fit(raw.table, features, raw.rows);
    return { pipeline, data: { x: pipeline.transform(raw.table, raw.rows), y: raw.y } };
  }
  const pipeline = fitted ?? Pipeline.fit(table, features, rows);
  const data: FitData = { x: pipeline.transform(table, rows), y };
  if (!method) return { pipeline, data };
  const b = balance(method, data.x, pipeline.outputDim, y as Int32Array, classes, seed);
  return { pipeline, data: { x: b.x, y: b.y } };
}

/** Positions index into `encoded.rows` / `encoded.y`. */
export async function fitCandidates(
  table: Table,
  encoded: EncodedTarget,
  features: readonly string[],
  trainPos: Int32Array,
  valPos: Int32Array,
  options: FitOptions,
): Promise<FittedCandidates> {
  const seed = options.seed ?? 42;
  const choice = options.model ?? 'auto';
  const families: FamilyName[] = choice === 'auto' ? [...FAMILIES] : [choice];
  const valRows = valPos.map((p) => encoded.rows[p]!);
  const pick = (pos: Int32Array) => (encoded.y instanceof Int32Array ? Int32Array.from(pos, (p) => encoded.y[p]!) : Float32Array.from(pos, (p) => encoded.y[p]!));
  const enc = encoded.encoder;
  const fitOn = (pos: Int32Array) => fitTrainingRows(table, encoded, features, pos, options.balance, seed);
  const { pipeline, data: train } = fitOn(trainPos);
  const val: FitData | undefined = valPos.length > 0 ? { x: pipeline.transform(table, valRows), y: pick(valPos) } : undefined;
  const numClasses = enc.task === 'classification' ? enc.classes.length : 1;
  const report = (out: Float32Array): EvalReport | undefined => {
    if (!val) return undefined;
    return enc.task === 'classification' ? classificationReport(out, val.y as Int32Array, enc.classes) : regressionReport(out, val.y);
  };

  const contextFor = (family: FamilyName, numFeatures: number): FitContext => ({
    task: enc.task,
    numClasses,
    numFeatures,
    seed,
    torchThreads: options.torchThreads ?? 1,
    xgbThreads: options.xgbThreads ?? availableParallelism(),
    onEpoch: (p) => options.onProgress?.({ type: 'epoch', candidate: family, ...p }),
    signal: options.signal,
  });
  const members: Member[] = [];
  const valOutputs: Float32Array[] = [];
  const leaderboard: LeaderboardEntry[] = [];
  try {
    for (const [index, family] of families.entries()) {
      options.onProgress?.({ type: 'candidate-start', candidate: family, index, total: families.length });
      const ctx = contextFor(family, pipeline.outputDim);
      const started = performance.now();
      const overrides = options.params?.[family];
      let member: Member;
      try {
        member = await fitTable(family, resolveParams(family, overrides), train, val, ctx);
      } catch (e) {
        if (e instanceof Error && e.name === 'ZodError') {
          throw new LeptonError('E_OPTION', `invalid ${family} parameters: ${e.message}`, 'check the parameter names and ranges', { cause: e });
        }
        throw e;
      }
      members.push(member);
      const out = val ? await member.predict(val.x) : new Float32Array(0);
      valOutputs.push(out);
      const r = report(out);
      const seconds = (performance.now() - started) / 1000;
      const valScore = r ? selectionScore(r) : NaN;
      leaderboard.push({ name: family, valScore, metric: enc.task === 'classification' ? 'roc_auc' : 'neg_rmse', seconds, epochs: member.info.epochs, bestEpoch: member.info.bestEpoch, selected: false });
      options.onProgress?.({ type: 'candidate-end', candidate: family, valScore, seconds, epochs: member.info.epochs });
    }
    let best = 0;
    leaderboard.forEach((e, i) => {
      if (e.valScore > leaderboard[best]!.valScore) best = i; // ties go to the simpler, earlier one
    });
    if (members.length > 1 && val) {
      const avg = new Float32Array(valOutputs[0]!.length);
      for (const o of valOutputs) o.forEach((v, i) => (avg[i] = avg[i]! + v / valOutputs.length));
      const r = report(avg)!;
      const seconds = leaderboard.reduce((s, e) => s + e.seconds, 0);
      leaderboard.push({ name: 'ensemble', valScore: selectionScore(r), metric: leaderboard[0]!.metric, seconds, epochs: null, bestEpoch: null, selected: false });
      // On a small validation set the best single model often wins by chance; averaging
      // diverse families is the robust choice unless a single model is better beyond noise.
      if (selectionScore(r) >= leaderboard[best]!.valScore - selectionTolerance(r)) best = leaderboard.length - 1;
    }
    leaderboard[best]!.selected = true;
    const selected = leaderboard[best]!.name;
    let kept = selected === 'ensemble' ? [...members] : [members[best]!];
    for (const m of members) if (!kept.includes(m)) m.dispose();
    members.length = 0;
    members.push(...kept);
    let finalPipeline = pipeline;
    if (val && options.refit !== false) {
      const refit = fitOn(Int32Array.from([...trainPos, ...valPos]));
      finalPipeline = refit.pipeline;
      const all = refit.data;
      const refitted: Member[] = [];
      try {
        for (const m of kept) {
          const family = m.family as FamilyName; // candidates here are the table families
          const ctx = contextFor(family, finalPipeline.outputDim);
          refitted.push(await fitTable(family, withSteps(family, m.params as TableParams, m.info.bestEpoch), all, undefined, ctx));
        }
      } catch (e) {
        for (const r of refitted) r.dispose();
        throw e;
      }
      for (const m of kept) m.dispose();
      members.length = 0;
      members.push(...refitted);
      kept = refitted;
    }
    const manifest = tableManifest({ seed, target: enc, targetSchema: table.schema.find((s) => s.name === enc.column)!, pipeline: finalPipeline.state, selected, members: kept });
    return { model: new LeptonModel(manifest, kept), leaderboard, trainRows: train.y.length };
  } catch (e) {
    for (const m of members) m.dispose();
    throw e;
  }
}
