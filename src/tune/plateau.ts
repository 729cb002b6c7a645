/**
 * When a search has stopped finding better configurations, so that AutoML can end a family's
 * tuning before its budget does (H2O AutoML's `stopping_rounds` / `stopping_tolerance`, made
 * independent of the trial rate).
 *
 * Why: on small tables the validation split is the limit, not the budget. On credit-g, 20 trials
 * per family scored as high over 15 folds as 300 s of search (4,800–6,700 trials): beyond a few
 * dozen trials the "better" configurations are better on the 150 validation rows only. Each new
 * best of pure noise comes after about twice as many trials as the last one, so the rule waits
 * for that: a family stops once it has run `factor` times as many trials as it took to reach its
 * last real gain (a new best by more than `tolerance`, relative), and never before `minTrials`.
 * A family whose search keeps finding real gains keeps its whole share of the budget.
 * @example
 *   onPlateau([0.70, 0.75, null, ...Array(22).fill(0.7501)], 'maximize') // true: 25 trials, no real gain since trial 1
 * @module
 */
import type { Direction } from './samplers.js';

export interface PlateauRule {
  /** Never stop before this many trials (the defaults and TPE's ten random start-up trials, and as many guided ones). */
  minTrials: number;
  /** Stop once the trials run reach `factor` × (the trial of the last real gain + 1). */
  factor: number;
  /** A real gain beats the best so far by more than this share of it (0.001: 0.1 %). */
  tolerance: number;
}

export const PLATEAU: PlateauRule = { minTrials: 25, factor: 2, tolerance: 1e-3 };

/**
 * The trial (index) of the last real gain among `values` in trial order (null: pruned or failed),
 * or −1 when none has a value. A gain is measured against the value of the previous real gain, so
 * a slow creep of tiny gains counts once it adds up to more than the tolerance.
 */
export function lastGain(values: readonly (number | null)[], direction: Direction, tolerance: number): number {
  let ref: number | null = null;
  let at = -1;
  values.forEach((v, i) => {
    if (v === null || !Number.isFinite(v)) return;
    const margin = tolerance * Math.abs(ref ?? 0);
    if (ref === null || (direction === 'maximize' ? v > ref + margin : v < ref - margin)) [ref, at] = [v, i];
  });
  return at;
}

/** Whether the search whose trial values these are (in trial order) has reached a plateau. */
export function onPlateau(values: readonly (number | null)[], direction: Direction, rule: PlateauRule = PLATEAU): boolean {
  const n = values.length;
  if (n < rule.minTrials) return false;
  return n >= rule.factor * (lastGain(values, direction, rule.tolerance) + 1);
}
