/**
 * AutoML for image and text folders (`lepton train FOLDER --time 5m` or `--trials N`), tables
 * with free text or images, and numeric sequences (`--sequence-id … --time 5m`): a search over
 * the CNN (images), textnet (texts), mixed (tables with text/images) or seqnet (sequences)
 * family on the fixed train/validation split that `trainImages` / `trainTexts` / `trainMixed` /
 * `trainSequences` make, instead of their one default network.
 *
 * Spaces: a few high-level knobs per family (learning rate log-uniform, dropout, widths, batch
 * size, weight decay; textnet also chooses its encoder, a transformer or a bidirectional GRU,
 * each with its own conditional widths), turned into the family's `layers` for each trial, so
 * a saved model describes its network exactly as a hand-written one would.
 *
 * Trials run in this process, one after another (`train --time`), or in isolated worker
 * processes, several at once (`lepton tune`; a `TrialFitter`, src/tune/network-workers.ts). They
 * are seeded with the run's seed, and TPE's history and ASHA's rungs depend only on the trials'
 * values, so one at a time `--trials N` with the same seed gives the same leaderboard. Trial 0
 * is the family's defaults (what `train` fits without AutoML), so the search never ends worse
 * than the plain model on validation. ASHA judges each epoch's
 * validation loss (rungs at 1, 3, 9… epochs up to a third of the epoch cap). A time budget
 * stops starting trials at the deadline and cancels those running then (recorded as failed);
 * the defaults trial always completes. Trials live in a `TrialStore`: in memory (this run only,
 * numbered from 0) for `train --time`, or a registry study (numbered from 1, resumable) for
 * `lepton tune` (src/tune/network-study.ts), whose earlier trials seed TPE and ASHA; when an
 * earlier run's trial is the best, its network is trained again to be kept.
 *
 * The kept model is the best trial's network with its best epoch's weights (early stopping on
 * validation), not a refit: as for `train` on images, an epoch over many images is too dear to
 * pay twice. It is then evaluated on the untouched test split like any trained network.
 * @example
 *   const search = new NetworkSearch('cnn', { trials: 8, seed: 42 }); // checks the budget
 *   const r = await trainImages(set, { search });
 *   console.log(search.trials);
 * @module
 */
import { LeptonError } from '../errors.js';
import type { EpochProgress, FitContext, FitData, FitInfo, Member } from '../models/member.js';
import { fitNetwork, type NetInput } from '../models/net-family.js';
import { Asha } from '../tune/asha.js';
import { parseBudget, type Budget } from '../tune/budget.js';
import { validationValue } from '../tune/objective.js';
import { TpeSampler, type Trial } from '../tune/samplers.js';
import type { Params, SearchSpace } from '../tune/space.js';

export type NetworkFamily = 'cnn' | 'textnet' | 'seqnet' | 'mixed';

/**
 * Default spaces. Why these ranges: Adam-family learning rates for small convnets and
 * transformers sit in 3e-4–1e-2 (3e-3 for attention, which diverges sooner); dropout up to 0.5;
 * widths around the defaults (CNN 32/64 channels and a 128 dense layer, text dim 64), half to
 * twice; batch sizes the hardware handles well on a CPU. Sequences (seqnet, a fixed mask → GRU/LSTM
 * 64 → last step → linear network): the recurrent cell, and learning rates around the default
 * 3e-3 (recurrent nets on short standardised sensor windows train well at 1e-3–1e-2). Mixed tables
 * (the branches network of train-mixed.ts): the text encoder and learning rates around the
 * default 5e-3, batch sizes around its 16 (such tables are often a few hundred rows).
 */
export const NETWORK_SPACES: Record<NetworkFamily, SearchSpace> = {
  cnn: {
    lr: { type: 'loguniform', low: 3e-4, high: 1e-2 },
    weightDecay: { type: 'loguniform', low: 1e-6, high: 1e-2 },
    dropout: { type: 'uniform', low: 0, high: 0.5 },
    channels: { type: 'categorical', choices: [16, 32, 64] },
    dense: { type: 'categorical', choices: [64, 128, 256] },
    batchSize: { type: 'categorical', choices: [32, 64, 128] },
  },
  textnet: {
    lr: { type: 'loguniform', low: 3e-4, high: 3e-3 },
    weightDecay: { type: 'loguniform', low: 1e-6, high: 1e-2 },
    dropout: { type: 'uniform', low: 0, high: 0.4 },
    dim: { type: 'categorical', choices: [32, 64, 128] },
    encoder: { type: 'categorical', choices: ['transformer', 'gru'] },
    blocks: { type: 'int', low: 1, high: 2, when: { encoder: 'transformer' } },
    heads: { type: 'categorical', choices: [2, 4], when: { encoder: 'transformer' } },
    hidden: { type: 'categorical', choices: [32, 64, 128], when: { encoder: 'gru' } },
    batchSize: { type: 'categorical', choices: [16, 32, 64] },
  },
  seqnet: {
    lr: { type: 'loguniform', low: 1e-3, high: 1e-2 },
    weightDecay: { type: 'loguniform', low: 1e-6, high: 1e-2 },
    cell: { type: 'categorical', choices: ['gru', 'lstm'] },
    batchSize: { type: 'categorical', choices: [16, 32, 64] },
  },
  mixed: {
    lr: { type: 'loguniform', low: 1e-3, high: 1e-2 },
    weightDecay: { type: 'loguniform', low: 1e-6, high: 1e-2 },
    textEncoder: { type: 'categorical', choices: ['transformer', 'gru'] },
    batchSize: { type: 'categorical', choices: [8, 16, 32] },
  },
};

/** Knobs that only shape `layers`; the rest (lr, batchSize, …) are the family's own parameters. */
const SHAPE_KEYS = new Set(['dropout', 'channels', 'dense', 'dim', 'encoder', 'blocks', 'heads', 'hidden']);

/**
 * A trial's parameters as the family's parameters: the shape knobs become `layers` (the output
 * layer sized for `classes`; a text embedding's vocabulary is filled in when the vocabulary is
 * known), the others pass through. An empty trial (the defaults) stays empty.
 */
export function networkParams(family: NetworkFamily, trial: Readonly<Params>, classes: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(trial)) if (!SHAPE_KEYS.has(k)) out[k] = v;
  if (![...SHAPE_KEYS].some((k) => k in trial)) return out;
  const p = Number(trial.dropout ?? 0);
  if (family === 'cnn') {
    const ch = Number(trial.channels ?? 32);
    const block = (c: number) => [{ type: 'conv2d', out: c, kernel: 3, padding: 'same' }, { type: 'batchnorm2d' }, { type: 'relu' }, { type: 'maxpool2d', kernel: 2 }];
    out.layers = [...block(ch), ...block(2 * ch), { type: 'flatten' }, { type: 'dropout', p }, { type: 'linear', out: Number(trial.dense ?? 128) }, { type: 'relu' }, { type: 'linear', out: classes }];
    return out;
  }
  const dim = Number(trial.dim ?? 64);
  const encoder =
    trial.encoder === 'gru'
      ? { type: 'gru', hidden: Number(trial.hidden ?? 64), bidirectional: true }
      : { type: 'transformer', heads: Number(trial.heads ?? 4), ff: 2 * dim, layers: Number(trial.blocks ?? 2), dropout: p, norm: 'pre' };
  out.layers = [{ type: 'embedding', dim }, encoder, { type: 'pool', mode: 'mean' }, { type: 'dropout', p }, { type: 'linear', out: classes }];
  return out;
}

export interface NetworkTrial {
  number: number;
  state: 'complete' | 'pruned' | 'failed';
  /** The sampled knobs ({} for the defaults trial). */
  params: Params;
  /** Validation ROC-AUC (complete), the last −validation loss (pruned), null (failed). */
  value: number | null;
  epochs: number;
  seconds: number;
  error?: string;
}

export interface NetworkSearchSummary {
  family: NetworkFamily;
  metric: 'roc_auc';
  budget: Budget;
  counts: { total: number; complete: number; pruned: number; failed: number };
  /** The kept trial: its validation ROC-AUC and sampled knobs. */
  best: { number: number; value: number; params: Params } | null;
  /** Complete trials by validation score, then pruned, then failed. */
  leaderboard: NetworkTrial[];
  seconds: number;
}

export interface NetworkSearchOptions {
  trials?: number | string;
  time?: number | string;
  seed?: number;
  /** Parameters fixed by the user (--epochs, --lr, …): left out of the space, applied to every trial. */
  fixed?: Record<string, unknown>;
  /** The space (default NETWORK_SPACES[family]). */
  space?: SearchSpace;
  /** Where the trials are kept (default: in memory, numbered from 0, for this run only). */
  store?: TrialStore;
  /** Where the trials are fitted (default: in this process, one at a time; see TrialFitter). */
  fitter?: (job: NetworkJob) => Promise<TrialFitter>;
  onTrial?: (t: NetworkTrial & { best: number | null }) => void;
}

/** A trial a store handed out: its number and sampled knobs, and where its reports and end go. */
export interface StoredTrial {
  number: number;
  params: Params;
  report(step: number, value: number): Promise<void>;
  finish(value: number, pruned: boolean): Promise<void>;
  fail(error: string): Promise<void>;
}

/**
 * Where a search keeps its trials: in memory for `train --time`, or a study in the registry for
 * `lepton tune` (src/tune/network-study.ts), which a later run resumes.
 */
export interface TrialStore {
  /** Opens the store for this search; returns the trials earlier runs finished, in number order. */
  open(search: { family: NetworkFamily; space: SearchSpace; fixed: Record<string, unknown> }): Promise<Trial[]>;
  /**
   * The next trial: one an interrupted run left behind, with its number and knobs, else a new one
   * with `propose(history)`'s knobs (the history holds every trial so far, running ones too);
   * null once `maxTrials` trials are numbered.
   */
  next(propose: (history: readonly Trial[]) => Params, maxTrials: number | null): Promise<StoredTrial | null>;
}

/** This run's trials only, numbered from 0 (trial 0: the defaults). */
class MemoryTrials implements TrialStore {
  private readonly history: Trial[] = [];
  open(): Promise<Trial[]> {
    return Promise.resolve([]);
  }
  next(propose: (history: readonly Trial[]) => Params, maxTrials: number | null): Promise<StoredTrial | null> {
    const number = this.history.length;
    if (maxTrials !== null && number >= maxTrials) return Promise.resolve(null);
    const t: Trial & { intermediate: { step: number; value: number | null }[] } = { number, state: 'running', params: propose(this.history), value: null, intermediate: [] };
    this.history.push(t);
    const end = (state: Trial['state'], value: number | null) => Promise.resolve(void Object.assign(t, { state, value }));
    return Promise.resolve({
      number,
      params: t.params as Params,
      report: (step, value) => Promise.resolve(void t.intermediate.push({ step, value })),
      finish: (value, pruned) => end(pruned ? 'pruned' : 'complete', value),
      fail: () => end('failed', null),
    });
  }
}

/** A trial's fitted network: its validation ROC-AUC, and the network itself, kept or thrown away. */
export interface FittedTrial {
  value: number;
  info: FitInfo;
  /** The network as a member (called at most once, for the kept trial). */
  keep(): Promise<Member>;
  discard(): void;
}

/**
 * A fitter failure that no trial can escape — a worker process that cannot load the search's
 * data — so it ends the search at once rather than failing one trial after another.
 */
export class FitterBroken extends LeptonError {}

/** What a search's trials are fitted on: the network, the split and the trainer's context. */
export interface NetworkJob {
  input: NetInput;
  train: FitData;
  val: FitData;
  ctx: FitContext;
}

/**
 * Where trials are fitted: in this process, one at a time (the default, for `train --time`), or
 * in isolated worker processes, `parallel` at once (`lepton tune`, src/tune/network-workers.ts).
 * `fit` throws `E_CANCELLED` when `signal` aborts the trial, `FitterBroken` when no trial can be
 * fitted any more, any other error when this trial fails.
 */
export interface TrialFitter {
  readonly parallel: number;
  fit(params: Record<string, unknown>, trial: { number: number; signal: AbortSignal; onEpoch: (p: EpochProgress) => void }): Promise<FittedTrial>;
  close(): Promise<void>;
}

/** The validation ROC-AUC a trial is judged on; a diverged network (NaN outputs) is an error. */
export async function networkValue(member: Member, val: FitData, numClasses: number): Promise<number> {
  const value = await validationValue({ task: 'classification', numClasses, val, mean: 0, std: 1 }, member);
  if (!Number.isFinite(value)) throw new LeptonError('E_VALUE', 'the validation ROC-AUC is not a number (the training diverged)', 'lower the learning rate range');
  return value;
}

/** Trials fitted in this process, one at a time, each using the trainer's threads. */
export function inProcessFitter(job: NetworkJob): Promise<TrialFitter> {
  return Promise.resolve({
    parallel: 1,
    async fit(params, trial) {
      const member = await fitNetwork(job.input, params, job.train, job.val, { ...job.ctx, signal: trial.signal, onEpoch: trial.onEpoch });
      let value: number;
      try {
        value = await networkValue(member, job.val, job.ctx.numClasses);
      } catch (e) {
        member.dispose();
        throw e;
      }
      return { value, info: member.info, keep: () => Promise.resolve(member), discard: () => member.dispose() };
    },
    close: () => Promise.resolve(),
  });
}

/**
 * A search to hand `trainImages` / `trainTexts` (their `search` option). After training,
 * `trials`, `best` and `budget` describe it.
 */
export class NetworkSearch {
  readonly budget: Budget;
  readonly space: SearchSpace;
  readonly trials: NetworkTrial[] = [];
  /** The kept trial and its family parameters, set by `run`. */
  best: { trial: NetworkTrial; params: Record<string, unknown> } | null = null;
  seconds = 0;

  constructor(
    readonly family: NetworkFamily,
    private readonly o: NetworkSearchOptions = {},
  ) {
    this.budget = parseBudget({ trials: o.trials, time: o.time });
    const fixed = o.fixed ?? {};
    this.space = Object.fromEntries(Object.entries(o.space ?? NETWORK_SPACES[family]).filter(([k]) => !(k in fixed)));
  }

  /** The search as recorded in the manifest and printed by --json: budget, trials best first, the kept one. */
  summary(): NetworkSearchSummary {
    const rank = (t: NetworkTrial) => (t.state === 'complete' ? 0 : t.state === 'pruned' ? 1 : 2);
    const leaderboard = [...this.trials].sort((a, b) => rank(a) - rank(b) || (b.value ?? -Infinity) - (a.value ?? -Infinity) || a.number - b.number);
    const count = (s: NetworkTrial['state']) => this.trials.filter((t) => t.state === s).length;
    return {
      family: this.family,
      metric: 'roc_auc',
      budget: this.budget,
      counts: { total: this.trials.length, complete: count('complete'), pruned: count('pruned'), failed: count('failed') },
      best: this.best ? { number: this.best.trial.number, value: this.best.trial.value!, params: this.best.trial.params } : null,
      leaderboard,
      seconds: this.seconds,
    };
  }

  /**
   * Runs the trials on one split and returns the best trial's network (the others are thrown
   * away). `net.parse` turns a trial's overrides into the family's parameters (over the
   * trainer's); the kept trial's overrides are `best.params`. Trials run `fitter.parallel` at a
   * time, each proposed when a slot frees (TPE sees every finished trial so far).
   */
  async run(net: { input: NetInput; parse: (overrides: Record<string, unknown>) => Record<string, unknown> }, train: FitData, val: FitData, ctx: FitContext): Promise<Member> {
    const t0 = performance.now();
    const deadline = this.budget.timeMs === null ? Infinity : t0 + this.budget.timeMs;
    const fixed = this.o.fixed ?? {};
    const seed = this.o.seed ?? ctx.seed;
    const store = this.o.store ?? new MemoryTrials();
    const earlier = await store.open({ family: this.family, space: this.space, fixed });
    const sampler = Object.keys(this.space).length ? new TpeSampler(this.space, { seed, direction: 'maximize', nStartup: 5 }) : null;
    let asha: Asha | null = null;
    const ashaFor = (maxEpochs: number): Asha | null => {
      if (asha || maxEpochs < 3) return asha;
      asha = new Asha({ maxResource: maxEpochs, minResource: 1, reductionFactor: 3, direction: 'maximize' });
      for (const t of earlier) if (t.intermediate?.length) asha.restore(t.number, t.intermediate, t.state === 'pruned');
      return asha;
    };
    const overridesOf = (sampled: Params) => ({ ...networkParams(this.family, sampled, ctx.numClasses), ...fixed });
    const ahead = (a: { value: number | null; number: number }, b: { value: number | null; number: number }) => a.value! > b.value! || (a.value === b.value && a.number < b.number);
    const fitter = await (this.o.fitter ?? inProcessFitter)({ input: net.input, train, val, ctx });
    let kept: { trial: NetworkTrial; params: Record<string, unknown>; fit: FittedTrial } | null = null;
    let fatal: unknown = null;
    const stopAll = new AbortController(); // a fatal error in one slot cancels the others' trials
    // The study's first trial is the family's defaults: the search never ends below the plain model.
    let defaultsPending = earlier.length === 0;
    let proposing: Promise<unknown> = Promise.resolve();
    const nextTrial = (): Promise<{ st: StoredTrial | null; first: boolean }> => {
      const first = defaultsPending;
      defaultsPending = false;
      const p = proposing.then(() => store.next((h) => (h.length === 0 || !sampler ? {} : sampler.suggest(h)), this.budget.trials)).then((st) => ({ st, first }));
      proposing = p.catch(() => undefined);
      return p;
    };

    const runTrial = async (st: StoredTrial, first: boolean): Promise<void> => {
      const n = st.number;
      const overrides = overridesOf(st.params);
      const abort = new AbortController();
      const onStop = () => abort.abort();
      ctx.signal?.addEventListener('abort', onStop);
      stopAll.signal.addEventListener('abort', onStop);
      const timer = !first && deadline !== Infinity ? setTimeout(() => abort.abort(), Math.max(0, deadline - performance.now())) : undefined;
      let lastStep = 0;
      let pruned: number | null = null;
      let reports = Promise.resolve();
      const ts = performance.now();
      const trial: NetworkTrial = { number: n, state: 'failed', params: st.params, value: null, epochs: 0, seconds: 0 };
      try {
        const fit = await fitter.fit(net.parse(overrides), {
          number: n,
          signal: abort.signal,
          onEpoch: (p) => {
            ctx.onEpoch?.(p);
            if (p.valLoss === null || pruned !== null) return;
            const v = -p.valLoss; // as `lepton tune`: −validation log-loss stands in for the AUC
            lastStep = p.epoch;
            reports = reports.then(() => st.report(p.epoch, v));
            if (ashaFor(p.maxEpochs)?.report(n, p.epoch, v) === 'prune') {
              pruned = v;
              abort.abort();
            }
          },
        });
        trial.epochs = fit.info.epochs;
        // ASHA's decision is final even when the fit ended before the cancel reached it.
        if (pruned !== null) {
          fit.discard();
          Object.assign(trial, { state: 'pruned', value: pruned });
        } else {
          Object.assign(trial, { state: 'complete', value: fit.value });
          if (kept === null || ahead(trial, kept.trial)) {
            kept?.fit.discard();
            kept = { trial, params: overrides, fit };
          } else fit.discard();
        }
      } catch (e) {
        if (ctx.signal?.aborted || e instanceof FitterBroken) throw e;
        if (pruned !== null) Object.assign(trial, { state: 'pruned', value: pruned });
        else if (first && !(e instanceof LeptonError && e.code === 'E_CANCELLED')) throw e; // the defaults fail: a real problem
        else trial.error = stopAll.signal.aborted ? 'cancelled: another trial failed the search' : abort.signal.aborted ? 'budget exhausted: the time budget ran out while the trial was running' : (e as Error).message;
      } finally {
        clearTimeout(timer);
        ctx.signal?.removeEventListener('abort', onStop);
        stopAll.signal.removeEventListener('abort', onStop);
      }
      trial.seconds = (performance.now() - ts) / 1000;
      if (trial.epochs === 0) trial.epochs = lastStep;
      await reports;
      if (trial.state === 'failed') await st.fail(trial.error ?? 'failed');
      else await st.finish(trial.value!, trial.state === 'pruned');
      this.trials.push(trial);
      this.o.onTrial?.({ ...trial, best: kept?.trial.value ?? null });
    };

    const slot = async (): Promise<void> => {
      try {
        for (;;) {
          if (fatal !== null || (!defaultsPending && (!sampler || performance.now() >= deadline))) return;
          const { st, first } = await nextTrial();
          if (!st) return;
          await runTrial(st, first);
        }
      } catch (e) {
        fatal ??= e;
        stopAll.abort();
      }
    };

    try {
      await Promise.all(Array.from({ length: fitter.parallel }, slot));
      if (fatal !== null) throw fatal;
      // An earlier run's trial may beat this run's: train it again (same seed, same split, same network).
      const before = earlier.filter((t) => t.state === 'complete' && t.value !== null).sort((a, b) => b.value! - a.value! || a.number - b.number)[0];
      const current = kept as { trial: NetworkTrial } | null;
      if (before && (current === null || ahead(before, current.trial))) {
        const overrides = overridesOf(before.params as Params);
        const fit = await fitter.fit(net.parse(overrides), { number: before.number, signal: ctx.signal ?? new AbortController().signal, onEpoch: (p) => ctx.onEpoch?.(p) });
        (kept as { fit: FittedTrial } | null)?.fit.discard();
        kept = { trial: { number: before.number, state: 'complete', params: before.params as Params, value: before.value, epochs: fit.info.epochs, seconds: 0 }, params: overrides, fit };
      }
      const final = kept as { trial: NetworkTrial; params: Record<string, unknown>; fit: FittedTrial } | null;
      if (!final) throw new LeptonError('E_LIMIT', 'no trial completed within the budget', 'give more time (--time) or trials');
      const member = await final.fit.keep();
      this.best = { trial: final.trial, params: final.params };
      this.seconds = (performance.now() - t0) / 1000;
      return member;
    } catch (e) {
      (kept as { fit: FittedTrial } | null)?.fit.discard();
      throw e;
    } finally {
      await fitter.close();
    }
  }
}

/**
 * A trainer's fit: the one network with `params`, or, given a search, the search's best trial,
 * whose parameters are then written into `params` so the manifest (written after the fit)
 * records the kept network. `parse` turns a trial's overrides into the family's parameters.
 */
export async function fitOrSearch<P extends object>(search: NetworkSearch | undefined, params: P, parse: (overrides: Record<string, unknown>) => P, input: NetInput, train: FitData, val: FitData, ctx: FitContext): Promise<Member> {
  if (!search) return fitNetwork(input, params as Record<string, unknown>, train, val, ctx);
  const member = await search.run({ input, parse: (o) => parse(o) as Record<string, unknown> }, train, val, ctx);
  Object.assign(params, parse(search.best!.params));
  return member;
}
