/**
 * Samplers propose the next trial's parameters from the study's history: random search, grid
 * search and TPE (the Tree-structured Parzen Estimator of Bergstra et al. 2011, as Optuna's
 * independent `TPESampler` does it).
 *
 * Every sampler is deterministic: its random stream is derived from the seed and the number of
 * trials already in the history, so the same seed and the same history always give the same
 * suggestion, and a study resumed from the registry continues exactly where it stopped.
 * @example
 *   const sampler = new TpeSampler(space, { seed: 7, direction: 'maximize' });
 *   const params = sampler.suggest(await registry.listTrials(study.id));
 * @module
 */
import { LeptonError } from '../errors.js';
import { rng } from '../prep/split.js';
import { canonicalJson, isActive, paramOrder, type Choice, type ParamDef, type Params, type SearchSpace } from './space.js';

export type Direction = 'minimize' | 'maximize';
export type TrialState = 'queued' | 'running' | 'complete' | 'pruned' | 'failed';

/** What a sampler reads of a trial (the registry's `TrialRecord` has all of it). */
export interface Trial {
  number: number;
  state: TrialState;
  params: Readonly<Record<string, unknown>>;
  /** Final value (complete), or the last reported value (pruned). */
  value: number | null;
  intermediate?: readonly { step: number; value: number | null }[];
}

export interface Sampler {
  readonly name: 'random' | 'grid' | 'tpe';
  suggest(history: readonly Trial[]): Params;
}

/** 32-bit mix of a seed and a stream index (splitmix32-style), so streams for n and n+1 are unrelated. */
export function streamSeed(seed: number, index: number): number {
  let h = (Math.imul(seed | 0, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca77)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return (h ^ (h >>> 16)) >>> 0;
}

/** A standard normal draw (Box–Muller). */
export function gaussian(random: () => number): number {
  const u = 1 - random(); // (0, 1]
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

/** A value from the parameter's prior: uniform in its (log-)range, or a uniform choice. */
export function samplePrior(def: ParamDef, random: () => number): Choice {
  switch (def.type) {
    case 'uniform':
      return def.low + random() * (def.high - def.low);
    case 'loguniform':
      return Math.min(def.high, Math.max(def.low, Math.exp(Math.log(def.low) + random() * (Math.log(def.high) - Math.log(def.low)))));
    case 'int': {
      if (!def.log) return Math.min(def.high, def.low + Math.floor(random() * (def.high - def.low + 1)));
      const [a, b] = [Math.log(def.low - 0.5), Math.log(def.high + 0.5)];
      return Math.min(def.high, Math.max(def.low, Math.round(Math.exp(a + random() * (b - a)))));
    }
    case 'categorical':
      return def.choices[Math.min(def.choices.length - 1, Math.floor(random() * def.choices.length))]!;
  }
}

/** Draws every active parameter in dependency order with `draw`. */
function sampleActive(space: SearchSpace, order: readonly string[], draw: (name: string, def: ParamDef) => Choice): Params {
  const out: Params = {};
  for (const name of order) {
    const def = space[name]!;
    if (isActive(def, out)) out[name] = draw(name, def);
  }
  return out;
}

// ── random ─────────────────────────────────────────────────────────────────

export class RandomSampler implements Sampler {
  readonly name = 'random' as const;
  private readonly order: string[];
  constructor(
    readonly space: SearchSpace,
    private readonly options: { seed: number },
  ) {
    this.order = paramOrder(space);
  }

  suggest(history: readonly Trial[]): Params {
    const random = rng(streamSeed(this.options.seed, history.length));
    return sampleActive(this.space, this.order, (_n, def) => samplePrior(def, random));
  }
}

// ── grid ───────────────────────────────────────────────────────────────────

/** The most grid points a study may enumerate. */
export const MAX_GRID = 100_000;

/** Grid values of one parameter: every choice or integer, or `points` evenly spaced values (log-spaced on a log scale). */
export function gridValues(def: ParamDef, points: number): Choice[] {
  const spaced = (a: number, b: number) => (points === 1 ? [(a + b) / 2] : Array.from({ length: points }, (_, i) => a + ((b - a) * i) / (points - 1)));
  switch (def.type) {
    case 'categorical':
      return [...def.choices];
    case 'uniform':
      return spaced(def.low, def.high);
    case 'loguniform':
      return spaced(Math.log(def.low), Math.log(def.high)).map((x, i, all) => (i === 0 ? def.low : i === all.length - 1 && points > 1 ? def.high : Math.exp(x)));
    case 'int': {
      if (def.high - def.low + 1 <= points) return Array.from({ length: def.high - def.low + 1 }, (_, i) => def.low + i);
      const raw = def.log ? spaced(Math.log(def.low), Math.log(def.high)).map(Math.exp) : spaced(def.low, def.high);
      return [...new Set(raw.map((x) => Math.min(def.high, Math.max(def.low, Math.round(x)))))];
    }
  }
}

/**
 * Grid search: the Cartesian product of each active parameter's grid values (a conditional
 * parameter multiplies only the branches where it is active), in a fixed order — the first
 * parameter varies slowest. `suggest` returns the first point no trial in the history has, so
 * resumed or parallel studies never repeat a point; when all are taken it is an E_LIMIT error.
 */
export class GridSampler implements Sampler {
  readonly name = 'grid' as const;
  readonly points: Params[];

  constructor(
    readonly space: SearchSpace,
    options: { pointsPerParam?: number } = {},
  ) {
    const n = options.pointsPerParam ?? 5;
    if (!Number.isInteger(n) || n < 1) throw new LeptonError('E_OPTION', `grid: points per parameter must be a positive integer (got ${n})`);
    const order = paramOrder(space);
    const values = new Map(order.map((name) => [name, gridValues(space[name]!, n)]));
    const points: Params[] = [];
    const expand = (i: number, acc: Params): void => {
      if (points.length > MAX_GRID) throw new LeptonError('E_LIMIT', `grid: the search space has more than ${MAX_GRID} grid points`, 'use fewer points per continuous parameter, fewer parameters, or the tpe or random sampler');
      if (i === order.length) return void points.push({ ...acc });
      const name = order[i]!;
      if (!isActive(space[name]!, acc)) return expand(i + 1, acc);
      for (const v of values.get(name)!) {
        acc[name] = v;
        expand(i + 1, acc);
      }
      delete acc[name];
    };
    expand(0, {});
    this.points = points;
  }

  get size(): number {
    return this.points.length;
  }

  suggest(history: readonly Trial[]): Params {
    const taken = new Set(history.map((t) => canonicalJson(t.params)));
    const next = this.points.find((p) => !taken.has(canonicalJson(p)));
    if (!next) throw new LeptonError('E_LIMIT', `grid: the grid is exhausted: all ${this.points.length} points have been tried`, 'stop here, or search further with the tpe or random sampler');
    return { ...next };
  }
}

// ── TPE ────────────────────────────────────────────────────────────────────

export interface TpeOptions {
  seed: number;
  direction: Direction;
  /** Random trials before TPE takes over (Optuna: 10). */
  nStartup?: number;
  /** Candidates drawn from l(x) per parameter; the one with the largest l/g wins (Optuna: 24). */
  nEiCandidates?: number;
  /** Size of the good group for n observations (Optuna: min(ceil(0.1 n), 25)). */
  gamma?: (n: number) => number;
  /** Weight of the prior component in each Parzen estimator (Optuna: 1). */
  priorWeight?: number;
  /**
   * A known-good first point (the family's defaults, `defaultPoint`): the first trial takes each
   * active parameter's value from it when the space allows that value and draws the others from
   * the prior, so a search starts from the plain model rather than from a random point (what
   * Optuna's `enqueue_trial` does when a user asks for it).
   */
  start?: Readonly<Record<string, Choice>>;
}

const defaultGamma = (n: number) => Math.min(Math.ceil(0.1 * n), 25);

/** Optuna's default observation weights: uniform up to 25, then older trials ramp down from 1 to 1/n. */
export function tpeWeights(n: number): number[] {
  if (n < 25) return Array.from({ length: n }, () => 1);
  const ramp = n - 25;
  return [...Array.from({ length: ramp }, (_, i) => (ramp === 1 ? 1 / n : 1 / n + ((1 - 1 / n) * i) / (ramp - 1))), ...Array.from({ length: 25 }, () => 1)];
}

/** erfc with fractional error below 1.2e-7 everywhere (Numerical Recipes' erfcc). */
function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return x >= 0 ? r : 2 - r;
}
const Phi = (z: number) => 0.5 * erfc(-z / Math.SQRT2);
const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

function logSumExp(xs: readonly number[]): number {
  const m = Math.max(...xs);
  if (m === -Infinity) return -Infinity;
  let s = 0;
  for (const x of xs) s += Math.exp(x - m);
  return m + Math.log(s);
}

/** A mixture of Gaussians truncated to [low, high], in the parameter's transformed (log or linear) space. */
class TruncatedMixture {
  private readonly logW: number[];
  private readonly logZ: number[];
  constructor(
    readonly weights: readonly number[],
    readonly mus: readonly number[],
    readonly sigmas: readonly number[],
    readonly low: number,
    readonly high: number,
  ) {
    const total = weights.reduce((a, b) => a + b, 0);
    this.logW = weights.map((w) => Math.log(w / total));
    this.logZ = mus.map((mu, k) => Math.log(Math.max(Phi((high - mu) / sigmas[k]!) - Phi((low - mu) / sigmas[k]!), 1e-300)));
  }

  sample(random: () => number): number {
    let u = random();
    let k = 0;
    const total = this.weights.reduce((a, b) => a + b, 0);
    for (; k < this.weights.length - 1; k++) {
      u -= this.weights[k]! / total;
      if (u < 0) break;
    }
    const [mu, s] = [this.mus[k]!, this.sigmas[k]!];
    // Each component's mean lies in [low, high] and sigma ≤ high − low, so at least ~1/3 of draws land inside.
    for (let i = 0; i < 100; i++) {
      const x = mu + s * gaussian(random);
      if (x >= this.low && x <= this.high) return x;
    }
    return Math.min(this.high, Math.max(this.low, mu));
  }

  logPdf(x: number): number {
    return logSumExp(this.mus.map((mu, k) => {
      const s = this.sigmas[k]!;
      const z = (x - mu) / s;
      return this.logW[k]! - 0.5 * z * z - LOG_SQRT_2PI - Math.log(s) - this.logZ[k]!;
    }));
  }

  /** log P(a ≤ X ≤ b): the mass of an integer's bin. */
  logMass(a: number, b: number): number {
    return logSumExp(this.mus.map((mu, k) => {
      const s = this.sigmas[k]!;
      const m = Phi((Math.min(b, this.high) - mu) / s) - Phi((Math.max(a, this.low) - mu) / s);
      return this.logW[k]! + Math.log(Math.max(m, 1e-300)) - this.logZ[k]!;
    }));
  }
}

/** The parameter's numeric domain as TPE models it: log scale for log parameters, integers as bins of width 1. */
function numericDomain(def: Exclude<ParamDef, { type: 'categorical' }>): { low: number; high: number; to: (x: number) => number; from: (t: number) => number } {
  const log = def.type === 'loguniform' || (def.type === 'int' && def.log === true);
  const to = log ? Math.log : (x: number) => x;
  const from = log ? Math.exp : (t: number) => t;
  const [lo, hi] = def.type === 'int' ? [def.low - 0.5, def.high + 0.5] : [def.low, def.high];
  return { low: to(lo), high: to(hi), to, from };
}

/**
 * Parzen estimator over observations (with their weights) plus a prior component at the centre
 * of the range with sigma = range; observation bandwidths are the distance to the farther
 * neighbour (range ends count as neighbours), clipped to [range/min(100, n+1), range] (the
 * "magic clip" of hyperopt and Optuna).
 */
function numericParzen(obs: readonly number[], weights: readonly number[], low: number, high: number, priorWeight: number): TruncatedMixture {
  const range = high - low;
  const mus = [...obs, (low + high) / 2];
  const order = mus.map((_, i) => i).sort((a, b) => mus[a]! - mus[b]! || a - b);
  const sigmas = new Array<number>(mus.length).fill(range);
  order.forEach((idx, r) => {
    const left = r === 0 ? low : mus[order[r - 1]!]!;
    const right = r === order.length - 1 ? high : mus[order[r + 1]!]!;
    sigmas[idx] = Math.max(mus[idx]! - left, right - mus[idx]!);
  });
  sigmas[mus.length - 1] = range; // the prior
  const minSigma = range / Math.min(100, obs.length + 1);
  return new TruncatedMixture([...weights, priorWeight], mus, sigmas.map((s) => Math.min(range, Math.max(minSigma, s))), low, high);
}

/**
 * Categorical Parzen estimator (Optuna's): each observation is a kernel putting most mass on its
 * own choice and `priorWeight / kernels` on every choice; the prior kernel is uniform.
 */
function categoricalProbs(obs: readonly number[], weights: readonly number[], k: number, priorWeight: number): number[] {
  const kernels = obs.length + 1;
  const smooth = priorWeight / kernels;
  const total = weights.reduce((a, b) => a + b, 0) + priorWeight;
  const p = new Array<number>(k).fill((priorWeight / total) * (1 / k));
  obs.forEach((c, i) => {
    const w = weights[i]! / total;
    const norm = k * smooth + 1;
    for (let j = 0; j < k; j++) p[j]! += (w * (smooth + (j === c ? 1 : 0))) / norm;
  });
  return p;
}

function sampleIndex(p: readonly number[], random: () => number): number {
  let u = random() * p.reduce((a, b) => a + b, 0);
  for (let j = 0; j < p.length - 1; j++) {
    u -= p[j]!;
    if (u < 0) return j;
  }
  return p.length - 1;
}

/**
 * TPE (Bergstra et al. 2011, as Optuna's independent sampler): after `nStartup` random trials,
 * finished trials are ranked — complete ones by value, then pruned ones (those that got further
 * first, then by their last value) — and split into a good group (the best gamma(n)) and the
 * rest. For each active parameter, Parzen estimators l(x) over the good group's values and g(x)
 * over the rest are built, `nEiCandidates` values drawn from l, and the one maximising l(x)/g(x)
 * chosen. Parameters are modelled independently; a conditional parameter's estimators use only
 * the trials where it was active. Failed, running and queued trials are not observations.
 */
export class TpeSampler implements Sampler {
  readonly name = 'tpe' as const;
  private readonly order: string[];
  private readonly o: Required<TpeOptions>;

  constructor(
    readonly space: SearchSpace,
    options: TpeOptions,
  ) {
    this.order = paramOrder(space);
    this.o = { nStartup: 10, nEiCandidates: 24, gamma: defaultGamma, priorWeight: 1, ...options, start: options.start ?? {} };
    if (!Number.isInteger(this.o.nStartup) || this.o.nStartup < 0) throw new LeptonError('E_OPTION', `tpe: nStartup must be an integer ≥ 0 (got ${this.o.nStartup})`);
    if (!Number.isInteger(this.o.nEiCandidates) || this.o.nEiCandidates < 1) throw new LeptonError('E_OPTION', `tpe: nEiCandidates must be a positive integer (got ${this.o.nEiCandidates})`);
  }

  /** Finished trials, best first. */
  private ranked(history: readonly Trial[]): Trial[] {
    const sign = this.o.direction === 'maximize' ? -1 : 1;
    const lastStep = (t: Trial) => Math.max(-1, ...(t.intermediate ?? []).filter((s) => s.value !== null && Number.isFinite(s.value)).map((s) => s.step));
    const key = (t: Trial) => (t.value !== null && Number.isFinite(t.value) ? sign * t.value : Infinity);
    const usable = history.filter((t) => t.state === 'complete' ? t.value !== null && Number.isFinite(t.value) : t.state === 'pruned');
    return usable.sort((a, b) => {
      if (a.state !== b.state) return a.state === 'complete' ? -1 : 1;
      if (a.state === 'pruned') {
        const d = lastStep(b) - lastStep(a);
        if (d !== 0) return d;
      }
      return key(a) - key(b) || a.number - b.number;
    });
  }

  suggest(history: readonly Trial[]): Params {
    const random = rng(streamSeed(this.o.seed, history.length));
    if (history.length === 0) {
      const start = this.o.start;
      return sampleActive(this.space, this.order, (name, def) => (name in start && allows(def, start[name]!) ? start[name]! : samplePrior(def, random)));
    }
    const ranked = this.ranked(history);
    if (ranked.length < this.o.nStartup || ranked.length === 0) return sampleActive(this.space, this.order, (_n, def) => samplePrior(def, random));
    return sampleActive(this.space, this.order, (name, def) => {
      const withParam = ranked.filter((t) => name in t.params);
      const nGood = Math.min(withParam.length, Math.max(0, this.o.gamma(withParam.length)));
      return this.sampleParam(def, withParam.slice(0, nGood), withParam.slice(nGood), name, random);
    });
  }

  private sampleParam(def: ParamDef, good: readonly Trial[], bad: readonly Trial[], name: string, random: () => number): Choice {
    // Weights follow trial age, so sort each group by trial number first.
    const byNumber = (ts: readonly Trial[]) => [...ts].sort((a, b) => a.number - b.number);
    const [g, b] = [byNumber(good), byNumber(bad)];
    const [wg, wb] = [tpeWeights(g.length), tpeWeights(b.length)];
    const n = this.o.nEiCandidates;
    if (def.type === 'categorical') {
      const keys = def.choices.map(canonicalJson);
      const idx = (t: Trial) => keys.indexOf(canonicalJson(t.params[name]));
      const keep = (ts: Trial[], ws: number[]) => ts.map((t, i) => [idx(t), ws[i]!] as const).filter(([j]) => j >= 0);
      const [og, ob] = [keep(g, wg), keep(b, wb)];
      const l = categoricalProbs(og.map(([j]) => j), og.map(([, w]) => w), keys.length, this.o.priorWeight);
      const gg = categoricalProbs(ob.map(([j]) => j), ob.map(([, w]) => w), keys.length, this.o.priorWeight);
      let best = -1;
      let bestScore = -Infinity;
      for (let c = 0; c < n; c++) {
        const j = sampleIndex(l, random);
        const score = Math.log(l[j]!) - Math.log(gg[j]!);
        if (score > bestScore) [best, bestScore] = [j, score];
      }
      return def.choices[best]!;
    }
    const dom = numericDomain(def);
    const values = (ts: Trial[], ws: number[]) => ts.map((t, i) => [t.params[name], ws[i]!] as const).filter((x): x is readonly [number, number] => typeof x[0] === 'number' && Number.isFinite(x[0]));
    const [vg, vb] = [values(g, wg), values(b, wb)];
    const l = numericParzen(vg.map(([v]) => dom.to(v)), vg.map(([, w]) => w), dom.low, dom.high, this.o.priorWeight);
    const gg = numericParzen(vb.map(([v]) => dom.to(v)), vb.map(([, w]) => w), dom.low, dom.high, this.o.priorWeight);
    let best = NaN;
    let bestScore = -Infinity;
    for (let c = 0; c < n; c++) {
      const t = l.sample(random);
      let x: number;
      let score: number;
      if (def.type === 'int') {
        x = Math.min(def.high, Math.max(def.low, Math.round(dom.from(t))));
        const [a, bb] = [dom.to(x - 0.5), dom.to(x + 0.5)];
        score = l.logMass(a, bb) - gg.logMass(a, bb);
      } else {
        x = Math.min(def.high, Math.max(def.low, dom.from(t)));
        score = l.logPdf(t) - gg.logPdf(t);
      }
      if (score > bestScore || Number.isNaN(best)) [best, bestScore] = [x, score];
    }
    return best;
  }
}

/** Whether a parameter's definition allows a value (a choice, or a number in its range). */
function allows(def: ParamDef, v: Choice): boolean {
  if (def.type === 'categorical') return def.choices.some((c) => canonicalJson(c) === canonicalJson(v));
  return typeof v === 'number' && v >= def.low && v <= def.high && (def.type !== 'int' || Number.isInteger(v));
}

/** A sampler by name, as a study stores it; `start` is TPE's first point (see `TpeOptions.start`). */
export function makeSampler(name: string, space: SearchSpace, options: { seed: number; direction: Direction; gridPoints?: number; start?: Readonly<Record<string, Choice>> }): Sampler {
  switch (name) {
    case 'random':
      return new RandomSampler(space, options);
    case 'grid':
      return new GridSampler(space, { pointsPerParam: options.gridPoints });
    case 'tpe':
      return new TpeSampler(space, { seed: options.seed, direction: options.direction, start: options.start });
    default:
      throw new LeptonError('E_OPTION', `unknown sampler '${name}'`, 'use tpe, random or grid');
  }
}
