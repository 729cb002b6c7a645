/**
 * The study runner behind `lepton tune`: checks everything, creates or resumes the study in the
 * registry, re-queues trials a killed run left behind, runs trials in parallel worker processes,
 * prunes poor ones with ASHA, and finally refits the best parameters as `train` would.
 *
 * Parallelism: P child processes (`--parallel`, default one per core), each given
 * max(1, ⌊cores / P⌋) libtorch intra-op and XGBoost threads, so P workers never oversubscribe
 * the machine. The parent keeps the registry, the sampler and the pruner: it numbers and
 * proposes every trial (`startTrial`, so TPE sees all history, including other processes'
 * trials), sends the parameters to an idle worker, records the worker's per-epoch/round reports
 * (`reportIntermediate`), asks ASHA after each one and cancels the trial when ASHA says prune.
 *
 * Data: the parent reads the data, splits and encodes it once, and writes the train/validation
 * matrices to a scratch file (objective-file.ts, removed at the end) that workers read without
 * parsing. Workers are forked before that, so their start-up (imports, libtorch) overlaps it.
 *
 * Isolation: a trial that throws (a diverged loss, bad parameters) is failed with its message
 * and the worker goes on; a worker that dies (a native crash, the OOM killer's SIGKILL) fails
 * only its trial, with the exit code or signal, and a fresh worker takes its place.
 *
 * Resume: trials are owned by this process (host, pid). When a study is resumed, running
 * trials whose owner is on this host and no longer alive are re-queued with their number and
 * parameters and run again before anything new (once; a second interruption fails them), so a
 * kill -9 loses no trial and repeats none. ASHA's rungs are rebuilt from the stored values.
 *
 * Budgets: `trials` caps the trial numbers (complete, pruned and failed all count, and so do the
 * trials of earlier runs of the same study); `time` stops starting trials at the deadline and
 * cancels those still running then, recording them as failed "budget exhausted" (a partly
 * trained trial's value would not be comparable). Either ends the search; both may be given.
 * A grid study also ends when its grid is exhausted. With `earlyStop` the search also ends at a
 * plateau (src/tune/plateau.ts, AutoML's rule: no gain above 0.1 % in as many trials again as the
 * last gain took, after at least 25 trials); trials still running then finish.
 *
 * Determinism: the split, the sampler (seeded by the study seed and the history length) and the
 * trials (seeded) are deterministic, and ASHA decides on the parent's record of each report,
 * not on when the worker stops — so with P = 1 and a trial budget the leaderboard is identical
 * between runs.
 * @module
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { LeptonError, listNames } from '../errors.js';
import type { EvalReport } from '../eval/metrics.js';
import { startTrainingJob } from '../jobs/training-job.js';
import { saveModel } from '../models/artifact.js';
import { FAMILIES, MODEL_CHOICES, resolveParams, resourceKey, type FamilyName, type ModelChoice } from '../models/spec.js';
import { packageRoot } from '../package-root.js';
import { fitTarget, type Task } from '../prep/target.js';
import type { Home } from '../registry/open.js';
import { checkName, type Actor, type StudyRecord, type TrialRecord } from '../registry/registry.js';
import type { Table } from '../data/table.js';
import { loadInput, train } from '../train/train.js';
import { Asha } from './asha.js';
import { parseBudget, type Budget } from './budget.js';
import { maxResource, minResource, objectiveInfo, prepareObjective } from './objective.js';
import { writeObjectiveFile } from './objective-file.js';
import { onPlateau } from './plateau.js';
import { summarizeStudy, bestTrial, type StudySummary } from './report.js';
import { makeSampler, type Sampler } from './samplers.js';
import { autoSpace, canonicalJson, DEFAULT_SPACES, defaultPoint, familyParams, knownAutoParams, knownParams, validateSpace, type Params, type SearchSpace } from './space.js';
import type { FromWorker, ToWorker } from './worker.js';

/** Kept equal to worker.ts's WORKER_FLAG and WARM_TORCH_FLAG (a value import would load the worker module here). */
const WORKER_FLAG = '--lepton-tune-worker';
const WARM_TORCH_FLAG = '--warm-torch';

export const SAMPLERS = ['tpe', 'random', 'grid'] as const;
export type SamplerName = (typeof SAMPLERS)[number];

export interface TuneOptions {
  /** Data file (csv, tsv, arff, jsonl, json, parquet, xlsx…). */
  data: string;
  /** `data` already read (the CLI reads it to see whether its network is searched instead); `data` still names it. */
  table?: Table;
  target: string;
  /** A family, or auto: search over all families (default auto). */
  model?: string;
  /** A search space (plain JSON, validated here); default: the family's default space. */
  space?: unknown;
  /** Where the space came from, for messages (e.g. the file name). */
  spaceSource?: string;
  /** Default tpe for a new study; the stored one when resuming. */
  sampler?: string;
  trials?: number | string;
  time?: number | string;
  /** Worker processes (default: one per core). */
  parallel?: number;
  /** Study name; default `<data name>-<target>-<time>`. */
  study?: string;
  /** Default 42 for a new study; the stored one when resuming. */
  seed?: number;
  project?: string;
  task?: Task;
  /** ASHA pruning (default on: rungs at 3·3^k epochs for torch, 20·3^k rounds for XGBoost, up to a third of the cap). */
  asha?: false | { minResource?: Partial<Record<FamilyName, number>>; reductionFactor?: number };
  /** XGBoost trials report every this many rounds (default 10). */
  reportEvery?: number;
  /** End the search once it reaches a plateau (src/tune/plateau.ts; default off: the budget decides). */
  earlyStop?: boolean;
  /** After the search: refit the best parameters on train + validation and register them. */
  register?: { name: string; alias?: string };
  /** After the search: refit the best parameters and save the model here. */
  out?: string;
  onStart?: (e: TuneStart) => void;
  onTrial?: (e: TrialEvent) => void;
}

export interface TuneStart {
  study: StudyRecord;
  resumed: boolean;
  requeued: number[];
  parallel: number;
  threadsPerWorker: number;
  budget: Budget;
  /** Trials the study had before this run. */
  existing: number;
}

export interface TrialEvent {
  trial: TrialRecord;
  best: TrialRecord | null;
  budget: Budget;
  elapsedMs: number;
}

export interface TuneResult {
  study: StudyRecord;
  resumed: boolean;
  requeued: number[];
  stoppedBy: 'trials' | 'time' | 'grid' | 'plateau';
  summary: StudySummary;
  best: TrialRecord | null;
  final?: { family: FamilyName; params: Record<string, unknown>; test: EvalReport; out?: string; runId?: number; modelVersion?: number };
  seconds: number;
}

/** A study's name when --study is not given: `<data name>-<target>-<UTC time>`, made a valid name. */
export function defaultStudyName(data: string, target: string): string {
  const stem = data.replace(/[\\/]+$/, '').split(/[\\/]/).pop()!.replace(/\.[^.]*$/, '').replace(/[^A-Za-z0-9._-]/g, '-');
  return `${stem}-${target}-${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '')}`.replace(/^[^A-Za-z0-9]+/, '').slice(0, 64);
}

/** True unless `pid` is certainly gone (another user's live process answers EPERM). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A trial owner is dead when it ran on this host and its process is gone. */
export function ownerDead(owner: TrialRecord['owner']): boolean {
  return owner.host === hostname() && owner.pid !== null && owner.pid !== process.pid && !pidAlive(owner.pid);
}

export function workerScript(): string {
  const p = join(packageRoot(), 'dist', 'src', 'tune', 'worker.js');
  if (!existsSync(p)) throw new LeptonError('E_FILE', `the tuning worker ${p} is not built`, 'build Lepton first: npm run build');
  return p;
}

/** The search space for a model choice: the given one checked against the family's parameters, or the default. */
export function resolveSpace(model: ModelChoice, raw: unknown, source = 'search space'): SearchSpace {
  if (raw === undefined) return model === 'auto' ? autoSpace() : DEFAULT_SPACES[model];
  if (model !== 'auto') {
    const space = validateSpace(raw, knownParams(model), source);
    checkValues(space, () => model);
    return space;
  }
  const space = validateSpace(raw, knownAutoParams(), source);
  const fam = space.family;
  if (!fam || fam.type !== 'categorical') {
    throw new LeptonError('E_OPTION', `${source}: a space for --model auto needs a categorical parameter 'family' (choices among ${listNames(FAMILIES)})`, 'add family: { type: categorical, choices: [xgboost, mlp] }, or give --model FAMILY');
  }
  for (const c of fam.choices) {
    if (!(FAMILIES as readonly unknown[]).includes(c)) throw new LeptonError('E_OPTION', `${source}: parameter 'family': unknown model family ${JSON.stringify(c)}`, `the families are ${listNames(FAMILIES)}`);
  }
  checkValues(space, (name) => {
    const prefix = name.split('.')[0]!;
    return (FAMILIES as readonly string[]).includes(prefix) ? (prefix as FamilyName) : undefined;
  });
  return space;
}

/** Every range end and choice must be a value the family's spec accepts (dropout 1.5 fails here, not in trial 1). */
function checkValues(space: SearchSpace, familyOf: (name: string) => FamilyName | undefined): void {
  for (const [name, def] of Object.entries(space)) {
    const family = familyOf(name);
    if (!family) continue;
    const key = name.includes('.') ? name.slice(name.indexOf('.') + 1) : name;
    const values = def.type === 'categorical' ? def.choices : [def.low, def.high];
    for (const v of values) {
      try {
        resolveParams(family, { [key]: v });
      } catch (e) {
        const issue = (e as { issues?: { message: string }[] }).issues?.[0]?.message ?? (e as Error).message;
        throw new LeptonError('E_OPTION', `search space: parameter '${name}': ${JSON.stringify(v)} is not a valid ${family} value (${issue})`, 'narrow the range or fix the choice');
      }
    }
  }
}

/** ASHA's full resource per family: the largest epochs/rounds the space allows, else the default. */
function fullResource(space: SearchSpace, family: FamilyName): number {
  const key = resourceKey(family);
  if (!key) return 1; // the forest: one round, never pruned
  const def = space[key] ?? space[`${family}.${key}`];
  if (def) return def.type === 'categorical' ? Math.max(...def.choices.filter((c): c is number => typeof c === 'number')) : def.high;
  return maxResource(family, {});
}

interface RunningTrial {
  rec: TrialRecord;
  family: FamilyName;
  /** Set when ASHA said prune: the step and value it was judged on (the value recorded). */
  pruned: { step: number; value: number } | null;
  budgetKilled: boolean;
  /** Registry writes for this trial, in order. */
  chain: Promise<void>;
  settled: boolean;
}

interface Slot {
  id: number;
  child: ChildProcess;
  ready: boolean;
  dead: boolean;
  trial: RunningTrial | null;
}

/** Why a worker process ended, in words a user can act on. */
export const describeExit = (code: number | null, signal: NodeJS.Signals | null): string => {
  if (signal === 'SIGKILL' || code === 137) return `the worker process was killed (${signal ?? `exit code ${code}`}), most likely by the out-of-memory killer`;
  if (signal) return `the worker process crashed (${signal})`;
  return `the worker process exited with code ${code}`;
};

/** Runs (or resumes) a study to its budget; see the module doc. */
export async function runStudy(home: Home, actor: Actor, o: TuneOptions): Promise<TuneResult> {
  const t0 = performance.now();
  // ── checks, all before any trial starts ──────────────────────────────────
  const budget = parseBudget({ trials: o.trials, time: o.time });
  const model = (o.model ?? 'auto') as ModelChoice;
  if (!(MODEL_CHOICES as readonly string[]).includes(model)) throw new LeptonError('E_OPTION', `unknown model '${o.model}'`, `choose one of ${MODEL_CHOICES.join(', ')}`);
  if (o.sampler !== undefined && !(SAMPLERS as readonly string[]).includes(o.sampler)) throw new LeptonError('E_OPTION', `unknown sampler '${o.sampler}'`, `use ${SAMPLERS.join(', ')}`);
  const cores = availableParallelism();
  const requested = o.parallel ?? cores;
  if (!Number.isInteger(requested) || requested < 1) throw new LeptonError('E_OPTION', `--parallel must be a whole number of worker processes above zero (got ${o.parallel})`, `use e.g. --parallel ${cores}`);
  const space = resolveSpace(model, o.space, o.spaceSource);
  const script = workerScript();
  // Workers start now, so their imports and libtorch load while this process reads the data;
  // the search takes them as it needs them, and the rest are stopped.
  const torch = model !== 'xgboost' && model !== 'forest';
  const spare = Array.from({ length: Math.min(requested, budget.trials ?? requested) }, () => forkWorker(script, torch));
  const dir = await mkdtemp(join(tmpdir(), 'lepton-study-'));
  try {
    return await searchStudy(home, actor, o, { t0, budget, model, cores, requested, space, script, spare, torch, dir });
  } finally {
    for (const child of spare.splice(0)) child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  }
}

/** A tuning worker process (worker.ts); `torch` warms libtorch up while the parent reads the data. */
export function forkWorker(script: string, torch: boolean): ChildProcess {
  const child = fork(script, torch ? [WORKER_FLAG, WARM_TORCH_FLAG] : [WORKER_FLAG], { execArgv: [], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  child.on('error', () => undefined); // 'exit' follows; a spare's is seen when it is taken
  return child;
}

/** A spare worker that is still alive, else a fresh one. */
function takeWorker(spare: ChildProcess[], script: string, torch: boolean): ChildProcess {
  for (let child = spare.pop(); child; child = spare.pop()) {
    if (child.exitCode === null && child.signalCode === null && child.connected) return child;
  }
  return forkWorker(script, torch);
}

interface Checked {
  t0: number;
  budget: Budget;
  model: ModelChoice;
  cores: number;
  requested: number;
  space: SearchSpace;
  script: string;
  /** Workers forked before the data was read, not yet in use. */
  spare: ChildProcess[];
  /** The study may train torch networks: workers warm libtorch up. */
  torch: boolean;
  /** A scratch folder for this run (the objective file), removed afterwards. */
  dir: string;
}

async function searchStudy(home: Home, actor: Actor, o: TuneOptions, c: Checked): Promise<TuneResult> {
  const { t0, budget, model, cores, requested, space, script, spare } = c;
  let bytes: Buffer;
  try {
    bytes = await readFile(o.data);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EISDIR') {
      throw new LeptonError('E_OPTION', `'${o.data}' is a folder; runStudy searches the table families (${listNames(FAMILIES)}) on one data file`, `for a folder of images or texts, \`lepton tune ${o.data}\` searches its network (src/tune/network-study.ts)`);
    }
    throw new LeptonError('E_FILE', `file not found: '${o.data}'`, 'check the path');
  }
  const table = o.table ?? (await loadInput(o.data));
  const info = objectiveInfo(fitTarget(table, o.target, o.task));
  const name = o.study ?? defaultStudyName(o.data, o.target);
  checkName('study', name);
  if (o.register) checkName('model', o.register.name);
  const project = o.project ?? 'default';
  const reg = home.registry;
  // A new study's seed defaults to 42 (as `train`'s); a resumed one keeps its own unless given.
  const exists = (await reg.findProject(project)) !== undefined && (await reg.listStudies(project)).some((s) => s.name === name);
  const seed = o.seed ?? (exists ? undefined : 42);
  const { study, resumed } = await reg.createOrResumeStudy(
    project,
    { name, dataHash: createHash('sha256').update(bytes).digest('hex'), target: o.target, direction: info.direction, metric: info.metric, space, sampler: o.sampler, seed },
    actor,
  );
  const studySpace = study.space as SearchSpace;

  // ── resume ───────────────────────────────────────────────────────────────
  const { requeued } = await reg.requeueInterruptedTrials(study.id, ownerDead);
  const before = await reg.listTrials(study.id);
  const familyOf = (params: Record<string, unknown>): FamilyName => familyParams(params as Params, model === 'auto' ? undefined : model).family;
  const ashas = new Map<FamilyName, Asha>();
  const ashaFor = (family: FamilyName): Asha | undefined => {
    if (o.asha === false) return undefined;
    let a = ashas.get(family);
    if (!a) {
      const max = fullResource(studySpace, family);
      const min = Math.min(max, o.asha?.minResource?.[family] ?? minResource(family, max));
      a = new Asha({ maxResource: max, minResource: min, reductionFactor: o.asha?.reductionFactor ?? 3, direction: study.direction });
      ashas.set(family, a);
    }
    return a;
  };
  for (const t of before) {
    if (t.state === 'queued' || t.state === 'running' || t.intermediate.length === 0) continue;
    ashaFor(familyOf(t.params))?.restore(t.number, t.intermediate, t.state === 'pruned');
  }

  const maxNumber = before.reduce((m, t) => Math.max(m, t.number), 0);
  const queued = before.filter((t) => t.state === 'queued').length;
  const remaining = budget.trials === null ? Infinity : Math.max(0, budget.trials - maxNumber) + before.filter((t) => t.state === 'queued' && t.number <= budget.trials!).length;
  const parallel = Math.max(1, Math.min(requested, remaining));
  const threads = Math.max(1, Math.floor(cores / parallel));
  // The split and the encoding, once: workers read the matrices from this file.
  const objectiveFile = join(c.dir, 'objective.safetensors');
  const objective = remaining > 0 ? await prepareObjective(table, { target: study.target, seed: study.seed, task: o.task }) : null;
  if (objective) await writeObjectiveFile(objectiveFile, objective);
  // After the encoding: a default that depends on the data (the forest's features per split) is known.
  const sampler: Sampler = makeSampler(study.sampler, studySpace, { seed: study.seed, direction: study.direction, start: defaultPoint(studySpace, model, objective ?? undefined) });
  o.onStart?.({ study, resumed, requeued, parallel, threadsPerWorker: threads, budget, existing: before.length - queued });

  // ── the search ───────────────────────────────────────────────────────────
  const owner = { host: hostname(), pid: process.pid };
  let best = bestTrial(before, study.direction);
  // The plateau rule's input: finished trials in number order, pruned and failed ones as null.
  const values = (trials: readonly TrialRecord[]) => trials.filter((t) => t.state !== 'queued' && t.state !== 'running').sort((a, b) => a.number - b.number).map((t) => (t.state === 'complete' ? t.value : null));
  const plateau = (trials: readonly TrialRecord[]) => o.earlyStop === true && onPlateau(values(trials), study.direction);
  const onPlateauAlready = remaining > 0 && plateau(before);
  let stopping = remaining === 0 || onPlateauAlready;
  let stoppedBy: TuneResult['stoppedBy'] = onPlateauAlready ? 'plateau' : 'trials';
  let fatal: unknown;
  const slots: Slot[] = [];
  let nextSlot = 0;
  let resolveDone!: () => void;
  const allDone = new Promise<void>((r) => (resolveDone = r));
  let allocating: Promise<void> = Promise.resolve();
  const deadline = budget.timeMs === null ? null : t0 + budget.timeMs;

  const checkDone = () => {
    if (stopping && slots.every((s) => !s.trial)) resolveDone();
  };
  const settle = (slot: Slot, rt: RunningTrial, write: () => Promise<void>) => {
    if (rt.settled) return;
    rt.settled = true;
    rt.chain = rt.chain.then(write).catch((e: unknown) => {
      fatal ??= e;
    });
    void rt.chain.then(async () => {
      const rec = await reg.trial(rt.rec.id);
      if (rec) {
        if (rec.state === 'complete') best = bestTrial(best ? [best, rec] : [rec], study.direction);
        o.onTrial?.({ trial: rec, best, budget, elapsedMs: performance.now() - t0 });
        // Without --early-stop no study pays for reading its trials back after each one.
        if (o.earlyStop && !stopping && plateau(await reg.listTrials(study.id))) {
          stopping = true;
          stoppedBy = 'plateau';
        }
      }
      if (slot.trial === rt) slot.trial = null;
      if (fatal) stopping = true;
      checkDone();
      allocate();
    });
  };

  const spawn = (): Slot => {
    const child = takeWorker(spare, script, c.torch);
    const slot: Slot = { id: nextSlot++, child, ready: false, dead: false, trial: null };
    child.on('message', (m: FromWorker) => onMessage(slot, m));
    child.on('exit', (code, signal) => onExit(slot, code, signal));
    const init: ToWorker = { type: 'init', objectiveFile, seed: study.seed, torchThreads: threads, xgbThreads: threads, reportEvery: o.reportEvery ?? 10 };
    child.send(init);
    slots.push(slot);
    return slot;
  };

  const onMessage = (slot: Slot, m: FromWorker) => {
    if (m.type === 'ready') {
      slot.ready = true;
      return allocate();
    }
    if (m.type === 'init-error') {
      fatal ??= new LeptonError('E_ENGINE', `a tuning worker could not load the data: ${m.message}`);
      stopping = true;
      slot.child.kill('SIGKILL');
      return;
    }
    const rt = slot.trial;
    if (!rt || rt.rec.number !== m.number || rt.settled) return;
    const ref = { id: rt.rec.id, attempt: rt.rec.attempt };
    switch (m.type) {
      case 'report': {
        if (rt.pruned) return;
        rt.chain = rt.chain.then(() => reg.reportIntermediate(ref, m.step, m.value));
        if (ashaFor(rt.family)?.report(rt.rec.number, m.step, m.value) === 'prune') {
          rt.pruned = { step: m.step, value: m.value };
          slot.child.send({ type: 'prune', number: m.number } satisfies ToWorker);
        }
        return;
      }
      case 'done':
        return settle(slot, rt, () => (rt.pruned ? reg.finishTrial(ref, { value: rt.pruned.value, pruned: true }) : reg.finishTrial(ref, { value: m.value })));
      case 'cancelled':
        return settle(slot, rt, () => (rt.pruned ? reg.finishTrial(ref, { value: rt.pruned.value, pruned: true }) : reg.failTrial(ref, 'cancelled')));
      case 'failed':
        return settle(slot, rt, () => (rt.pruned ? reg.finishTrial(ref, { value: rt.pruned.value, pruned: true }) : reg.failTrial(ref, m.error)));
    }
  };

  const onExit = (slot: Slot, code: number | null, signal: NodeJS.Signals | null) => {
    slot.dead = true;
    const rt = slot.trial;
    const remove = () => {
      const i = slots.indexOf(slot);
      if (i >= 0) slots.splice(i, 1);
    };
    if (rt && !rt.settled) {
      const ref = { id: rt.rec.id, attempt: rt.rec.attempt };
      const why = rt.budgetKilled ? 'budget exhausted: the time budget ran out while the trial was running' : describeExit(code, signal);
      settle(slot, rt, () => (rt.pruned ? reg.finishTrial(ref, { value: rt.pruned.value, pruned: true }) : reg.failTrial(ref, why)));
      // After the trial is recorded: a fresh worker takes this one's place.
      void rt.chain.then(() => {
        remove();
        if (!stopping && !fatal) spawn();
        checkDone();
      });
      return;
    }
    remove();
    if (!slot.ready && !stopping && !fatal) {
      fatal = new LeptonError('E_ENGINE', `a tuning worker stopped while loading the data (${describeExit(code, signal)})`, 'run with LEPTON_DEBUG=1 and see the messages above');
      stopping = true;
    }
    checkDone();
  };

  const allocate = () => {
    allocating = allocating.then(async () => {
      for (const slot of slots) {
        if (stopping || fatal) break;
        if (!slot.ready || slot.trial || slot.dead) continue;
        let rec: TrialRecord | null;
        try {
          rec = await reg.startTrial(study.id, (h) => sampler.suggest(h), owner, { maxTrials: budget.trials ?? undefined });
        } catch (e) {
          if (e instanceof LeptonError && e.code === 'E_LIMIT' && study.sampler === 'grid') stoppedBy = 'grid';
          else fatal ??= e;
          stopping = true;
          break;
        }
        if (!rec) {
          stopping = true;
          stoppedBy = 'trials';
          break;
        }
        let family: FamilyName;
        let params: Record<string, unknown>;
        try {
          ({ family, params } = familyParams(rec.params as Params, model === 'auto' ? undefined : model));
        } catch (e) {
          await reg.failTrial(rec, (e as Error).message);
          continue;
        }
        const rt: RunningTrial = { rec, family, pruned: null, budgetKilled: false, chain: Promise.resolve(), settled: false };
        slot.trial = rt;
        slot.child.send({ type: 'trial', number: rec.number, family, params } satisfies ToWorker);
      }
      checkDone();
    }).catch((e: unknown) => {
      fatal ??= e;
      stopping = true;
      checkDone();
    });
  };

  let timer: NodeJS.Timeout | undefined;
  if (!stopping) {
    if (deadline !== null) {
      timer = setTimeout(() => {
        stopping = true;
        if (stoppedBy !== 'plateau') stoppedBy = 'time';
        for (const s of slots) {
          if (s.trial && !s.trial.settled) {
            s.trial.budgetKilled = true;
            s.child.kill('SIGKILL');
          }
        }
        checkDone();
      }, Math.max(0, deadline - performance.now()));
    }
    for (let i = 0; i < parallel; i++) spawn();
    await allDone;
  }
  clearTimeout(timer);
  await allocating;
  for (const s of slots) {
    if (!s.dead) {
      try {
        s.child.send({ type: 'stop' } satisfies ToWorker);
      } catch {
        s.child.kill('SIGKILL');
      }
    }
  }
  await Promise.all(slots.map((s) => s.trial?.chain));
  if (fatal) throw fatal;

  // ── the result ───────────────────────────────────────────────────────────
  const trials = await reg.listTrials(study.id);
  const summary = summarizeStudy(study, trials);
  const result: TuneResult = { study, resumed, requeued, stoppedBy, summary, best: summary.best, seconds: (performance.now() - t0) / 1000 };
  if (summary.best && (o.out || o.register)) result.final = await refitBest(home, actor, o, study, summary.best, model);
  result.seconds = (performance.now() - t0) / 1000;
  return result;
}

/**
 * `train` with the best trial's family and parameters and the study's seed: the same split, the
 * same early stopping on validation, then a refit on train + validation for the epochs/rounds
 * early stopping found, and the test report on the rows the study never saw. With `register`
 * it is a recorded run and a model version, as `lepton train --register` makes them.
 */
async function refitBest(home: Home, actor: Actor, o: TuneOptions, study: StudyRecord, best: TrialRecord, model: ModelChoice): Promise<NonNullable<TuneResult['final']>> {
  const { family, params } = familyParams(best.params as Params, model === 'auto' ? undefined : model);
  const familyOverrides = { [family]: params } as Partial<Record<FamilyName, Record<string, unknown>>>;
  if (o.register) {
    const { done } = await startTrainingJob(home, { project: study.project, dataPath: o.data, target: study.target, model: family, seed: study.seed, params: familyOverrides, register: o.register }, actor);
    const r = await done;
    if (r.status !== 'succeeded') throw new LeptonError('E_ENGINE', `refitting the best trial (${best.number}): run ${r.runId} ${r.status}: ${r.error}`, 'the run is recorded as failed; the study itself is complete');
    if (o.out) {
      await writeFile(o.out, await home.artifacts.get(r.artifact!));
    }
    const m = r.metrics as { test: EvalReport };
    return { family, params, test: m.test, out: o.out, runId: r.runId, modelVersion: r.modelVersion };
  }
  const r = await train(o.data, { target: study.target, task: o.task, model: family, seed: study.seed, params: familyOverrides });
  try {
    await saveModel(r.model, o.out!);
  } finally {
    r.model.dispose();
  }
  return { family, params, test: r.test, out: o.out };
}

/** Stable identity of a trial for comparisons: its number, parameters, state and value. */
export function trialKey(t: Pick<TrialRecord, 'number' | 'params' | 'state' | 'value'>): string {
  return canonicalJson({ n: t.number, p: t.params, s: t.state, v: t.value });
}
