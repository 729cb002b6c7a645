/**
 * A tuning worker: a child process (forked by the study runner) that trains one trial at a time
 * and talks to its parent over the IPC channel only; the parent keeps the registry, the sampler
 * and the ASHA pruner, so a worker that crashes (a native fault, an out-of-memory kill) loses
 * nothing but its own trial, which the parent records as failed.
 *
 * Start-up: the runner forks workers before it reads the data, so a worker's imports and the
 * native addon (libtorch, ~1 s) load while the parent parses and encodes; the parent then writes
 * the encoded matrices once (objective-file.ts) and `init` names that file, which a worker reads
 * without parsing anything.
 *
 * Protocol (parent → worker): `init` once (the objective file, seed, thread counts), then `trial`
 * messages; `prune` cancels the running trial (AbortSignal), `stop` ends the worker. Worker →
 * parent: `ready` (or `init-error`), `report` per epoch/round, then `done`, `cancelled` or
 * `failed` per trial. When the parent dies the IPC channel closes and the worker exits.
 *
 * Network studies (src/tune/network-workers.ts) send `net-trial` instead: the objective file
 * names the network, the worker sends each `epoch` as the engine reports it (ASHA runs in the
 * parent, as in the in-process search), and `net-done` says the trial's weights are in the file
 * the parent named, so the parent can keep the best network without training it again.
 * @module
 */
import { writeFile } from 'node:fs/promises';
import { networkValue } from '../automl/networks.js';
import { addon } from '../engine/addon.js';
import { encodeSafetensors } from '../engine/safetensors.js';
import type { ErrorCode, LeptonError } from '../errors.js';
import type { EpochProgress, FitInfo } from '../models/member.js';
import { fitNetwork, type NetInput } from '../models/net-family.js';
import { resolveParams, type FamilyName, type TorchParams } from '../models/spec.js';
import { fitTorch } from '../models/torch-family.js';
import { runTrial, type ObjectiveData } from './objective.js';
import { readObjectiveFile } from './objective-file.js';

export type ToWorker =
  | { type: 'init'; objectiveFile: string; seed: number; torchThreads: number; xgbThreads: number; reportEvery: number }
  | { type: 'trial'; number: number; family: FamilyName; params: Record<string, unknown> }
  /** A network study's trial: the objective's network with these parsed family parameters. */
  | { type: 'net-trial'; number: number; params: Record<string, unknown>; weights: string }
  | { type: 'prune'; number: number }
  | { type: 'stop' };

export type FromWorker =
  | { type: 'ready'; rows: ObjectiveData['rows'] }
  | { type: 'init-error'; message: string }
  | { type: 'report'; number: number; step: number; value: number }
  | { type: 'done'; number: number; value: number; epochs: number; bestEpoch: number; seconds: number }
  /** A network trial's epoch, as the engine reported it (the parent judges it with ASHA). */
  | { type: 'epoch'; number: number; progress: EpochProgress }
  /** A network trial's end: its validation ROC-AUC and the file its weights were written to. */
  | { type: 'net-done'; number: number; value: number; info: FitInfo; weights: string }
  | { type: 'cancelled'; number: number }
  /** `code` and `hint` come with a network trial's LeptonError (its `error` is then the message alone). */
  | { type: 'failed'; number: number; error: string; code?: ErrorCode; hint?: string };

/**
 * Test-only fault injection: comma-separated trial numbers whose worker exits with code 137 (as
 * the kernel's OOM killer would) when the trial starts; `init`: every worker exits with code 1 on
 * being given the data (as one whose engine cannot load would). Never set it outside tests.
 */
export const CRASH_ENV = 'LEPTON_TEST_TUNE_CRASH_TRIALS';

function send(m: FromWorker): void {
  try {
    process.send?.(m);
  } catch {
    process.exit(0); // the parent is gone
  }
}

const errorText = (e: unknown) => {
  const err = e as Error & { hint?: string };
  return err?.hint ? `${err.message} (${err.hint})` : (err?.message ?? String(e));
};

/**
 * Start-up work done while the parent is still reading the data: loading libtorch (~1 s), and for
 * studies that train torch networks a tiny fit, since libtorch initialises lazily on the first
 * one (~0.6 s that the first trial would otherwise pay). Never fails: a missing build fails the
 * first trial with the addon's own message.
 */
async function warmUp(torch: boolean): Promise<void> {
  await new Promise((r) => setImmediate(r)); // after the message handlers are in place
  try {
    addon();
    if (!torch) return;
    const x = Float32Array.from({ length: 64 * 4 }, (_, i) => (i % 7) / 7);
    const y = Int32Array.from({ length: 64 }, (_, i) => i % 2);
    const m = await fitTorch('mlp', resolveParams('mlp', { hidden: [8], epochs: 1, batchSize: 16 }) as TorchParams, { x, y }, { x, y }, { task: 'classification', numClasses: 2, numFeatures: 4, seed: 0, torchThreads: 1, xgbThreads: 1 });
    m.dispose();
  } catch {
    // see above
  }
}

/** Fits a network trial, judges it on validation, writes its weights for the parent to keep. */
async function runNetworkTrial(data: ObjectiveData, input: NetInput, m: Extract<ToWorker, { type: 'net-trial' }>, init: Extract<ToWorker, { type: 'init' }>, signal: AbortSignal): Promise<FromWorker> {
  const member = await fitNetwork(input, m.params, data.train, data.val, {
    task: 'classification',
    numClasses: data.numClasses,
    numFeatures: data.numFeatures,
    seed: init.seed,
    torchThreads: init.torchThreads,
    xgbThreads: init.xgbThreads,
    signal,
    onEpoch: (progress) => send({ type: 'epoch', number: m.number, progress }),
  });
  try {
    const value = await networkValue(member, data.val, data.numClasses);
    await writeFile(m.weights, encodeSafetensors(member.tensors(''), {}));
    return { type: 'net-done', number: m.number, value, info: member.info, weights: m.weights };
  } finally {
    member.dispose();
  }
}

async function main(): Promise<void> {
  let data: ObjectiveData | undefined;
  let init: Extract<ToWorker, { type: 'init' }> | undefined;
  let running: { number: number; abort: AbortController } | undefined;
  const injected = (process.env[CRASH_ENV] ?? '').split(',').filter(Boolean);
  const crash = new Set(injected.map(Number));
  process.on('disconnect', () => process.exit(0));
  const warm = warmUp(process.argv.includes(WARM_TORCH_FLAG));
  /** Runs one trial's work, cancellable by `prune`; its end, cancellation or failure goes to the parent. */
  const start = (number: number, work: (signal: AbortSignal) => Promise<FromWorker>, failed: (e: unknown) => FromWorker): void => {
    if (crash.has(number)) process.exit(137);
    const abort = new AbortController();
    running = { number, abort };
    work(abort.signal)
      .then(send, (e: unknown) => send(abort.signal.aborted ? { type: 'cancelled', number } : failed(e)))
      .finally(() => {
        if (running?.number === number) running = undefined;
      });
  };
  process.on('message', (m: ToWorker) => {
    switch (m.type) {
      case 'init':
        if (injected.includes('init')) process.exit(1);
        init = m;
        Promise.all([readObjectiveFile(m.objectiveFile), warm]).then(
          ([d]) => {
            data = d;
            send({ type: 'ready', rows: d.rows });
          },
          (e: unknown) => send({ type: 'init-error', message: errorText(e) }),
        );
        return;
      case 'trial': {
        const [d, i] = [data, init];
        if (!d || !i) return send({ type: 'failed', number: m.number, error: 'the worker was given a trial before it was ready' });
        return start(
          m.number,
          (signal) =>
            runTrial(d, m.family, m.params, { seed: i.seed, torchThreads: i.torchThreads, xgbThreads: i.xgbThreads, reportEvery: i.reportEvery, signal, onReport: (step, value) => send({ type: 'report', number: m.number, step, value }) }).then(
              (r): FromWorker => ({ type: 'done', number: m.number, value: r.value, epochs: r.epochs, bestEpoch: r.bestEpoch, seconds: r.seconds }),
            ),
          (e) => ({ type: 'failed', number: m.number, error: errorText(e) }),
        );
      }
      case 'net-trial': {
        const [d, i] = [data, init];
        if (!d?.network || !i) return send({ type: 'failed', number: m.number, error: 'the worker was given a network trial before it was ready' });
        return start(
          m.number,
          (signal) => runNetworkTrial(d, d.network!, m, i, signal),
          (e) => {
            const err = e as Partial<LeptonError>;
            return { type: 'failed', number: m.number, error: err?.message ?? String(e), code: err?.code, hint: err?.hint };
          },
        );
      }
      case 'prune':
        if (running?.number === m.number) running.abort.abort();
        return;
      case 'stop':
        running?.abort.abort();
        process.disconnect?.();
        process.exit(0);
    }
  });
}

/** The argument the runner starts workers with; importing this module elsewhere runs nothing. */
export const WORKER_FLAG = '--lepton-tune-worker';
/** Also passed when the study may train torch networks (see warmUp). */
export const WARM_TORCH_FLAG = '--warm-torch';
if (process.argv.includes(WORKER_FLAG)) void main();
