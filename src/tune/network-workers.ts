/**
 * Network-study trials in isolated worker processes (`lepton tune FOLDER`, sequences, tables with
 * text or images): the parent keeps TPE, ASHA and the registry (src/automl/networks.ts,
 * network-study.ts) and each trial's network is fitted in a child process (worker.ts),
 * `parallel` at once, each child given ⌊cores / parallel⌋ libtorch threads so the machine is not
 * oversubscribed. A trial whose worker crashes or is killed (a native fault, the OOM killer)
 * fails with the reason, a fresh worker takes the next trial, and the study goes on; a worker
 * that cannot load the data ends the study at once (`FitterBroken`: every worker would fail so).
 *
 * Data: the trainer's train/validation tensors (images, token ids or sequences, already split
 * and encoded) are written once to an objective file in a scratch folder, as a table study's
 * matrices are (objective-file.ts). A worker writes each finished trial's weights to a file the
 * parent names in that folder; the kept trial's are loaded here, so the best network is not
 * trained twice, and the others are deleted. Workers are forked when the pool is made, before
 * the data is read, so their start-up (imports, libtorch) overlaps the reading.
 * @example
 *   const workers = new NetworkWorkers({ parallel: 2 });
 *   try {
 *     const search = new NetworkSearch('cnn', { trials: 20, fitter: workers.fitter });
 *     await trainImages(set, { search });
 *   } finally {
 *     await workers.close();
 *   }
 * @module
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { FitterBroken, type FittedTrial, type NetworkJob, type TrialFitter } from '../automl/networks.js';
import { decodeSafetensors } from '../engine/safetensors.js';
import { LeptonError } from '../errors.js';
import type { EpochProgress } from '../models/member.js';
import { loadNetwork } from '../models/net-family.js';
import { writeObjectiveFile } from './objective-file.js';
import { describeExit, forkWorker, workerScript } from './runner.js';
import type { FromWorker, ToWorker } from './worker.js';

interface Slot {
  child: ChildProcess;
  /** Settles when the worker has read the objective file (rejects when it could not). */
  ready: Promise<void>;
  busy: boolean;
  dead: boolean;
  /** The running trial's handlers. */
  trial?: { number: number; message(m: FromWorker): void; exit(why: string): void };
}

export class NetworkWorkers {
  /** Worker processes: --parallel, at most the trial budget (default one per core). */
  readonly parallel: number;
  /** libtorch intra-op threads per worker. */
  readonly threads: number;
  private readonly script: string;
  private spare: ChildProcess[];
  private slots: Slot[] = [];
  private job?: NetworkJob & { objectiveFile: string; dir: string };
  private files = 0;
  private closed = false;

  constructor(o: { parallel?: number; trials?: number | null } = {}) {
    const cores = availableParallelism();
    const requested = o.parallel ?? cores;
    if (!Number.isInteger(requested) || requested < 1) throw new LeptonError('E_OPTION', `--parallel must be a whole number of worker processes above zero (got ${o.parallel})`, `use e.g. --parallel ${cores}`);
    this.parallel = Math.max(1, Math.min(requested, o.trials ?? requested));
    this.threads = Math.max(1, Math.floor(cores / this.parallel));
    this.script = workerScript();
    this.spare = Array.from({ length: this.parallel }, () => forkWorker(this.script, true));
  }

  /** A NetworkSearch's `fitter` option: writes the job's tensors once, then fits trials in the workers. */
  readonly fitter = async (job: NetworkJob): Promise<TrialFitter> => {
    if (this.job) throw new LeptonError('E_OPTION', 'a NetworkWorkers pool serves one search', 'make a pool per search');
    const dir = await mkdtemp(join(tmpdir(), 'lepton-study-'));
    const objectiveFile = join(dir, 'objective.safetensors');
    this.job = { ...job, objectiveFile, dir };
    const { train, val, ctx } = job;
    await writeObjectiveFile(objectiveFile, {
      task: 'classification',
      direction: 'maximize',
      metric: 'roc_auc',
      numClasses: ctx.numClasses,
      numFeatures: ctx.numFeatures,
      mean: 0,
      std: 1,
      rows: { train: train.y.length, val: val.y.length, test: 0 },
      network: job.input,
      train,
      val,
    });
    for (const child of this.spare.splice(0)) this.addSlot(child);
    return { parallel: this.parallel, fit: (params, trial) => this.fit(params, trial), close: () => this.close() };
  };

  /** Stops the workers and removes the scratch folder; safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const child of [...this.spare.splice(0), ...this.slots.map((s) => s.child)]) {
      if (child.exitCode !== null || child.signalCode !== null) continue;
      try {
        child.send({ type: 'stop' } satisfies ToWorker);
      } catch {
        child.kill('SIGKILL');
      }
    }
    if (this.job) await rm(this.job.dir, { recursive: true, force: true });
  }

  private addSlot(child: ChildProcess): Slot {
    const job = this.job!;
    let ready!: () => void;
    let notReady!: (e: Error) => void;
    const slot: Slot = { child, ready: new Promise<void>((res, rej) => ((ready = res), (notReady = rej))), busy: false, dead: false };
    slot.ready.catch(() => undefined); // seen by the trial that waits on it
    child.on('message', (m: FromWorker) => {
      if (m.type === 'ready') return ready();
      if (m.type === 'init-error') return notReady(new FitterBroken('E_ENGINE', `a tuning worker could not load the data: ${m.message}`, 'run with LEPTON_DEBUG=1 and see the messages above'));
      if ('number' in m && slot.trial?.number === m.number) slot.trial.message(m);
    });
    child.on('exit', (code, signal) => {
      slot.dead = true;
      const why = describeExit(code, signal);
      notReady(new FitterBroken('E_ENGINE', `a tuning worker stopped while loading the data (${why})`, 'run with LEPTON_DEBUG=1 and see the messages above'));
      slot.trial?.exit(why);
    });
    child.send({ type: 'init', objectiveFile: job.objectiveFile, seed: job.ctx.seed, torchThreads: this.threads, xgbThreads: this.threads, reportEvery: 1 } satisfies ToWorker);
    this.slots.push(slot);
    return slot;
  }

  /** An idle live worker; a dead one is replaced by a fresh worker. */
  private idleSlot(): Slot {
    const live = this.slots.find((s) => !s.busy && !s.dead);
    if (live) return live;
    const dead = this.slots.findIndex((s) => !s.busy && s.dead);
    if (dead < 0) throw new LeptonError('E_ENGINE', `more than ${this.parallel} network trials at once`, 'this is a bug in the search');
    this.slots.splice(dead, 1);
    return this.addSlot(forkWorker(this.script, true));
  }

  private async fit(params: Record<string, unknown>, t: { number: number; signal: AbortSignal; onEpoch: (p: EpochProgress) => void }): Promise<FittedTrial> {
    const slot = this.idleSlot();
    slot.busy = true;
    const cancel = () => {
      try {
        slot.child.send({ type: 'prune', number: t.number } satisfies ToWorker);
      } catch {
        // the worker is gone; its exit ends the trial
      }
    };
    try {
      await slot.ready;
      const weights = join(this.job!.dir, `trial-${++this.files}.safetensors`);
      return await new Promise<FittedTrial>((resolve, reject) => {
        slot.trial = {
          number: t.number,
          message: (m) => {
            if (m.type === 'epoch') t.onEpoch(m.progress);
            else if (m.type === 'net-done') resolve(this.fitted(params, m));
            else if (m.type === 'cancelled') reject(new LeptonError('E_CANCELLED', `trial ${t.number} was cancelled`));
            else if (m.type === 'failed') reject(new LeptonError(m.code ?? 'E_ENGINE', m.error, m.hint));
          },
          exit: (why) => reject(new LeptonError('E_ENGINE', why, 'the study goes on; lower the batch size or the widths if the machine ran out of memory')),
        };
        t.signal.addEventListener('abort', cancel);
        if (t.signal.aborted) cancel();
        slot.child.send({ type: 'net-trial', number: t.number, params, weights } satisfies ToWorker);
      });
    } finally {
      t.signal.removeEventListener('abort', cancel);
      slot.trial = undefined;
      slot.busy = false;
    }
  }

  private fitted(params: Record<string, unknown>, m: Extract<FromWorker, { type: 'net-done' }>): FittedTrial {
    const { input, ctx } = this.job!;
    return {
      value: m.value,
      info: m.info,
      keep: async () => {
        const { tensors } = decodeSafetensors(await readFile(m.weights), m.weights, "a trial's weights");
        return loadNetwork(input, params, m.info, tensors, '', ctx.numClasses, ctx.seed);
      },
      discard: () => void rm(m.weights, { force: true }).catch(() => undefined),
    };
  }
}
