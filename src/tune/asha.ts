/**
 * Asynchronous successive halving (ASHA, Li et al. 2020, "A System for Massively Parallel
 * Hyperparameter Tuning"), as a pruner: trials report a validation score per epoch or boosting
 * round, and at each rung — resource minResource·η^k, up to maxResource/η — a trial continues
 * only if its score is among the top 1/η of all scores recorded at that rung so far (the first trials at a rung, with
 * nothing yet to compare against, continue: max(1, ⌊n/η⌋) may pass). Decisions never wait for
 * other trials, so parallel workers are never idle; a trial pruned early costs only
 * minResource steps.
 *
 * Pure bookkeeping, no timers or I/O: the tuning loop calls `report` after each epoch and stops
 * the trial on 'prune'. After a resume, `restore` rebuilds the rungs from the intermediate values
 * the registry kept.
 * @example
 *   const asha = new Asha({ maxResource: 200, minResource: 5, direction: 'maximize' });
 *   for (let epoch = 1; epoch <= 200; epoch++) {
 *     const auc = trainOneEpochAndValidate();
 *     if (asha.report(trial.number, epoch, auc) === 'prune') break;
 *   }
 * @module
 */
import { LeptonError } from '../errors.js';
import type { Direction } from './samplers.js';

export interface AshaOptions {
  /** The full resource of a trial (epochs, boosting rounds); reaching it ends the trial. */
  maxResource: number;
  /** Resource of the first rung (default 1). */
  minResource?: number;
  /** η: each rung keeps the top 1/η (default 3). */
  reductionFactor?: number;
  direction?: Direction;
}

export type Decision = 'continue' | 'prune';

export interface RungStats {
  /** Steps (resource) at which this rung decides. */
  resource: number;
  /** Trials that recorded a score here. */
  reached: number;
  /** Trials that passed this rung. */
  promoted: number;
}

export class Asha {
  /** Decision points, minResource·η^k up to maxResource/η. */
  readonly rungs: readonly number[];
  readonly reductionFactor: number;
  readonly maxResource: number;
  private direction: Direction | undefined;
  /** Per rung: trial → score recorded there. */
  private readonly scores: Map<number, number>[];
  private readonly promoted: Set<number>[];
  /** Trial → highest rung index it recorded a score at. */
  private readonly reached = new Map<number, number>();
  private readonly prunedAt = new Map<number, number>();

  constructor(options: AshaOptions) {
    const min = options.minResource ?? 1;
    const eta = options.reductionFactor ?? 3;
    const max = options.maxResource;
    if (!(Number.isFinite(max) && max > 0)) throw new LeptonError('E_OPTION', `asha: maxResource must be a positive number (got ${max})`);
    if (!(Number.isFinite(min) && min > 0 && min <= max)) throw new LeptonError('E_OPTION', `asha: minResource must be in (0, maxResource] (got ${min})`);
    if (!(Number.isFinite(eta) && eta > 1)) throw new LeptonError('E_OPTION', `asha: reductionFactor must be above 1 (got ${eta})`);
    // As in the paper, the top rung r·η^⌊log_η(R/r)⌋ is where trials finish, not a decision point:
    // judging a trial that has spent over 1/η of the full resource saves less than it risks
    // (an MLP capped at 10 epochs was pruned at 9 of them).
    const rungs: number[] = [];
    for (let r = min; r * eta <= max; r *= eta) rungs.push(r);
    this.rungs = rungs;
    this.reductionFactor = eta;
    this.maxResource = max;
    this.direction = options.direction;
    this.scores = rungs.map(() => new Map());
    this.promoted = rungs.map(() => new Set());
  }

  /**
   * Records a trial's score after `step` units of resource and decides whether it goes on. A
   * step that passes several rungs at once is judged at each of them with this score. A
   * non-finite score (a diverged loss) is pruned at once. Once pruned, a trial stays pruned.
   */
  report(trialId: number, step: number, score: number, direction?: Direction): Decision {
    const dir = this.checkDirection(direction);
    if (this.prunedAt.has(trialId)) return 'prune';
    const s = Number.isFinite(score) ? score : dir === 'maximize' ? -Infinity : Infinity;
    for (let k = (this.reached.get(trialId) ?? -1) + 1; k < this.rungs.length && this.rungs[k]! <= step; k++) {
      this.scores[k]!.set(trialId, s);
      this.reached.set(trialId, k);
      if (!Number.isFinite(s) || !this.promotable(k, s, dir)) {
        this.prunedAt.set(trialId, k);
        return 'prune';
      }
      this.promoted[k]!.add(trialId);
    }
    return 'continue';
  }

  /**
   * Rebuilds rung scores from a stored trial's intermediate values (after a resume) without
   * judging it again: its fate was decided before the interruption.
   */
  restore(trialId: number, intermediate: readonly { step: number; value: number | null }[], pruned = false): void {
    const dir = this.direction ?? 'maximize';
    const sorted = [...intermediate].sort((a, b) => a.step - b.step);
    let k = (this.reached.get(trialId) ?? -1) + 1;
    for (const { step, value } of sorted) {
      const s = value !== null && Number.isFinite(value) ? value : dir === 'maximize' ? -Infinity : Infinity;
      for (; k < this.rungs.length && this.rungs[k]! <= step; k++) {
        this.scores[k]!.set(trialId, s);
        this.reached.set(trialId, k);
        this.promoted[k]!.add(trialId);
      }
    }
    const top = this.reached.get(trialId);
    if (pruned && top !== undefined) {
      this.promoted[top]!.delete(trialId);
      this.prunedAt.set(trialId, top);
    }
  }

  /** The rung index a trial was pruned at, or undefined if it was not. */
  prunedRung(trialId: number): number | undefined {
    return this.prunedAt.get(trialId);
  }

  stats(): RungStats[] {
    return this.rungs.map((resource, k) => ({ resource, reached: this.scores[k]!.size, promoted: this.promoted[k]!.size }));
  }

  /** In the top max(1, ⌊n/η⌋) of the n scores at rung k: fewer than that many scores are strictly better. */
  private promotable(k: number, s: number, dir: Direction): boolean {
    const scores = this.scores[k]!;
    const keep = Math.max(1, Math.floor(scores.size / this.reductionFactor));
    let better = 0;
    for (const v of scores.values()) if (dir === 'maximize' ? v > s : v < s) better++;
    return better < keep;
  }

  private checkDirection(direction: Direction | undefined): Direction {
    if (direction && this.direction && direction !== this.direction) {
      throw new LeptonError('E_OPTION', `asha: a score to ${direction} was reported to a scheduler that ${this.direction}s`, 'use one direction per study');
    }
    this.direction ??= direction ?? 'maximize';
    return this.direction;
  }
}
