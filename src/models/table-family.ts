/**
 * Fits any table family by name — logistic regression and the MLP on libtorch, gradient-boosted
 * trees and the random forest on XGBoost — so the trainers (`train`, AutoML, tuning trials) hold
 * no per-family branches.
 * @example
 *   const m = await fitTable('forest', resolveParams('forest'), train, val, ctx);
 *   const refit = await fitTable('xgboost', withSteps('xgboost', m.params, 120), all, undefined, ctx);
 * @module
 */
import type { FitContext, FitData, Member } from './member.js';
import { resourceKey, type FamilyName, type ForestParams, type TableParams, type TorchParams, type XgbParams } from './spec.js';
import { fitTorch } from './torch-family.js';
import { fitForest, fitXgb } from './xgboost-family.js';

/** Trains `family` with resolved `params`; `val` drives early stopping where the family has it. */
export function fitTable(family: FamilyName, params: TableParams, train: FitData, val: FitData | undefined, ctx: FitContext): Promise<Member> {
  if (family === 'xgboost') return fitXgb(params as XgbParams, train, val, ctx);
  if (family === 'forest') return fitForest(params as ForestParams, train, val, ctx);
  return fitTorch(family, params as TorchParams, train, val, ctx);
}

/** `params` set to train for exactly `steps` epochs or rounds (a refit without early stopping); the forest has none. */
export function withSteps<P extends TableParams>(family: FamilyName, params: P, steps: number): P {
  const key = resourceKey(family);
  return key ? { ...params, [key]: Math.max(1, steps) } : params;
}
