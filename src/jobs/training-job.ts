/**
 * A training run as a recorded job: the run row, its per-epoch metric series, the artifact in
 * the content-addressed store and, when asked, the registered model version and alias. With
 * `automl` the run is an AutoML search (trainAutoML) instead of `train`'s fixed candidates. The
 * CLI (`train --register`) and the HTTP API run the same code; if the process dies midway the
 * run is left `running` under this pid and the next start marks it failed
 * (Registry.failOrphanedRuns). A version is only created after its artifact is stored.
 * @module
 */
import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { addon } from '../engine/addon.js';
import { LeptonError } from '../errors.js';
import { encodeModel } from '../models/artifact.js';
import type { FamilyName, ModelChoice } from '../models/spec.js';
import { VERSION } from '../package-root.js';
import type { Home } from '../registry/open.js';
import { sha256 } from '../registry/artifact-store.js';
import type { Actor } from '../registry/registry.js';
import type { ProgressEvent } from '../train/candidates.js';
import { train } from '../train/train.js';
import { checkAutoMLOptions, trainAutoML, type AutoMLOptions } from '../automl/automl.js';
import type { BalanceMethod } from '../prep/balance.js';

export interface TrainingJobSpec {
  project: string;
  /** A registered dataset… */
  dataset?: { name: string; version?: number };
  /** …or a file path (local CLI). */
  dataPath?: string;
  target: string;
  model?: ModelChoice;
  seed?: number;
  drop?: string[];
  params?: Partial<Record<FamilyName, Record<string, unknown>>>;
  /** Class balancing of the training rows only (classification). */
  balance?: BalanceMethod;
  /** AutoML (`train --time/--trials`): the budget, per family for trials; `model` names one family or auto. */
  automl?: { trials?: number | string; time?: number | string; bag?: boolean; earlyStop?: boolean };
  register?: { name: string; alias?: string };
}

export type RunEvent =
  | (ProgressEvent & { runId: number })
  | { type: 'finished'; runId: number; status: 'succeeded' | 'failed' | 'cancelled'; error?: string; modelVersion?: number; metrics?: Record<string, unknown> };

export interface RunOutcome {
  runId: number;
  status: 'succeeded' | 'failed' | 'cancelled';
  error?: string;
  modelVersion?: number;
  artifact?: string;
  metrics?: Record<string, unknown>;
}

/** AutoML's families for a model choice: every table family for auto (or none given), else that one. */
const automlFamilies = (model: ModelChoice | undefined): FamilyName[] | undefined => (model === undefined || model === 'auto' ? undefined : [model as FamilyName]);

/** Starts the job and returns once the run is recorded; `done` settles when training ends. */
/** What a run records about where it ran: the package versions, the host and the process. */
export function runProvenance(): { packages: Record<string, string>; host: string; pid: number } {
  const v = addon().versions();
  return { packages: { lepton: VERSION, libtorch: v.torch, xgboost: v.xgboost, node: process.versions.node }, host: hostname(), pid: process.pid };
}

export async function startTrainingJob(
  home: Home,
  spec: TrainingJobSpec,
  actor: Actor,
  options: { onEvent?: (e: RunEvent) => void; signal?: AbortSignal; automl?: Pick<AutoMLOptions, 'onTrial' | 'onStage'> } = {},
): Promise<{ runId: number; done: Promise<RunOutcome> }> {
  if (spec.automl) checkAutoMLOptions({ ...spec.automl, families: automlFamilies(spec.model) }); // before the run is recorded
  const reg = home.registry;
  let path: string;
  let datasetId: number | undefined;
  if (spec.dataset) {
    const d = await reg.dataset(spec.project, spec.dataset.name, spec.dataset.version);
    path = home.datasetPath(d.hash, d.format);
    datasetId = d.id;
  } else if (spec.dataPath) path = spec.dataPath;
  else throw new LeptonError('E_OPTION', 'a training job needs a dataset or a data file');
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch {
    throw new LeptonError('E_FILE', `file not found: '${path}'`, 'check the path');
  }
  const runId = await reg.createRun(spec.project, { params: { ...spec }, seed: spec.seed ?? 42, datasetId, dataHash: sha256(bytes), ...runProvenance() }, actor);
  const emit = (e: RunEvent) => options.onEvent?.(e);
  // Metric rows are written in order, off the training path.
  let writes: Promise<unknown> = Promise.resolve();
  const done = (async (): Promise<RunOutcome> => {
    try {
      const common = { target: spec.target, seed: spec.seed, drop: spec.drop, params: spec.params, balance: spec.balance, signal: options.signal };
      const result = spec.automl
        ? await trainAutoML(path, { ...common, ...spec.automl, families: automlFamilies(spec.model), ...options.automl })
        : await train(path, {
            ...common,
            model: spec.model,
            onProgress: (e) => {
              emit({ ...e, runId });
              if (e.type === 'epoch') writes = writes.then(() => reg.logRunMetric(runId, e.candidate, e.epoch, { trainLoss: e.trainLoss, valLoss: e.valLoss })).catch(() => undefined);
            },
          });
      let artifact: string;
      const { selected, formatVersion } = result.model.manifest;
      try {
        artifact = await home.artifacts.put(encodeModel(result.model));
      } finally {
        result.model.dispose();
      }
      await writes;
      const { model: _m, ...rest } = result;
      const metrics = 'folds' in rest ? { ...rest, selected } : { test: rest.test, leaderboard: rest.leaderboard, split: rest.split };
      let modelVersion: number | undefined;
      if (spec.register) {
        const mv = await reg.registerModelVersion(spec.project, { name: spec.register.name, runId, artifact, formatVersion, task: result.test.task, metrics: { test: result.test } }, actor);
        modelVersion = mv.version;
        if (spec.register.alias) await reg.setAlias(spec.project, spec.register.name, spec.register.alias, mv.version, actor);
      }
      await reg.finishRun(runId, 'succeeded', { metrics: { ...metrics, artifact, modelVersion: modelVersion ?? null } });
      emit({ type: 'finished', runId, status: 'succeeded', modelVersion, metrics });
      return { runId, status: 'succeeded', modelVersion, artifact, metrics };
    } catch (e) {
      await writes;
      const cancelled = e instanceof LeptonError && e.code === 'E_CANCELLED';
      const error = e instanceof LeptonError && e.hint ? `${e.message} (${e.hint})` : (e as Error).message;
      const status = cancelled ? 'cancelled' : 'failed';
      await reg.finishRun(runId, status, { error });
      emit({ type: 'finished', runId, status, error });
      return { runId, status, error };
    }
  })();
  return { runId, done };
}
