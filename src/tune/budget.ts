/**
 * Tuning budgets: a number of trials (`--trials 50`), a wall-clock time (`--time 10m`), or both
 * (whichever runs out first). Checked before any trial starts.
 * @module
 */
import { LeptonError } from '../errors.js';

export interface Budget {
  trials: number | null;
  timeMs: number | null;
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Milliseconds in a duration such as `90s`, `10m`, `1h30m` or a bare number of seconds. */
export function parseDuration(text: string): number {
  const t = text.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return Number(t) * 1000;
  const parts = [...t.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== t) {
    throw new LeptonError('E_OPTION', `invalid duration '${text}'`, 'write it like 90s, 10m, 1h or 1h30m');
  }
  return parts.reduce((ms, p) => ms + Number(p[1]) * UNITS[p[2]!]!, 0);
}

/** `lepton tune` with no budget given: 50 trials or 10 minutes, whichever ends first (a typical study in minutes). */
export function studyBudget(o: { trials?: string; time?: string }): { trials?: string; time?: string } {
  return o.trials === undefined && o.time === undefined ? { trials: '50', time: '10m' } : { trials: o.trials, time: o.time };
}

/** Checks a budget: at least one limit, and every limit above zero. */
export function parseBudget(options: { trials?: number | string; time?: number | string }): Budget {
  let trials: number | null = null;
  let timeMs: number | null = null;
  if (options.trials !== undefined) {
    const n = Number(options.trials);
    if (!Number.isInteger(n) || n < 1) throw new LeptonError('E_OPTION', `the trial budget must be a whole number of trials above zero (got ${options.trials})`, 'use e.g. --trials 50');
    trials = n;
  }
  if (options.time !== undefined) {
    timeMs = typeof options.time === 'number' ? options.time * 1000 : parseDuration(options.time);
    if (!(timeMs > 0) || !Number.isFinite(timeMs)) throw new LeptonError('E_OPTION', `the time budget must be above zero (got ${options.time})`, 'use e.g. --time 10m');
  }
  if (trials === null && timeMs === null) throw new LeptonError('E_OPTION', 'no tuning budget: give a number of trials, a time, or both', 'use e.g. --trials 50 or --time 10m');
  return { trials, timeMs };
}
