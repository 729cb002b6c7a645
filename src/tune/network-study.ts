/**
 * Network searches (cnn, textnet, seqnet, mixed) as studies in the registry, for `lepton tune
 * FOLDER` and `lepton tune TABLE --sequence-id …`: the same study records, resume and `tune show`
 * as the table families' studies (runner.ts), with the trials proposed, pruned and kept by the
 * network search itself (src/automl/networks.ts) and fitted in isolated worker processes
 * (network-workers.ts).
 *
 * What a study records: its space is the family (a one-choice `family` parameter), the searched
 * knobs, and the options fixed for every trial (--epochs 5 as `epochs: { choices: [5] }`), so a
 * resume with another family or other fixed options is refused as a different search. Trial 1
 * is the family's defaults. Resume: trials a killed run left running are queued again and run
 * first with their number and knobs (runner.ts's `ownerDead` decides which are dead), so none
 * is lost or repeated; ASHA's rungs are rebuilt from the reports the registry kept.
 * @module
 */
import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join, relative } from 'node:path';
import type { StoredTrial, TrialStore, NetworkFamily } from '../automl/networks.js';
import type { Home } from '../registry/open.js';
import { checkName, type Actor, type StudyRecord, type TrialRecord } from '../registry/registry.js';
import type { Trial } from './samplers.js';
import type { Params, SearchSpace } from './space.js';
import { ownerDead } from './runner.js';

/** sha256 over a data file's bytes, or over a folder's file names and contents in name order. */
export async function dataHash(path: string): Promise<string> {
  const h = createHash('sha256');
  if (!(await stat(path)).isDirectory()) return h.update(await readFile(path)).digest('hex');
  const files: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      if (e.isDirectory()) await walk(join(dir, e.name));
      else if (e.isFile()) files.push(join(dir, e.name));
    }
  };
  await walk(path);
  for (const file of files.sort()) h.update(`${relative(path, file)}\0`).update(await readFile(file)).update('\0');
  return h.digest('hex');
}

/** The seed a run of study `name` uses: the stored one when it exists (unless `given`), else `given` or 42. */
export async function studySeed(home: Home, project: string, name: string, given: number | undefined): Promise<number> {
  if (given !== undefined) return given;
  if (!(await home.registry.findProject(project))) return 42;
  return (await home.registry.listStudies(project)).find((s) => s.name === name)?.seed ?? 42;
}

export interface StudyStart {
  study: StudyRecord;
  resumed: boolean;
  requeued: number[];
  /** Trials the study had before this run. */
  existing: number;
}

/** A registry study as a network search's trial store; see the module doc. */
export class StudyTrials implements TrialStore {
  private studyId = 0;
  private readonly owner = { host: hostname(), pid: process.pid };

  constructor(
    private readonly home: Home,
    private readonly actor: Actor,
    private readonly spec: { project: string; name: string; dataHash: string; target: string; seed: number },
    private readonly onStart?: (e: StudyStart) => void,
    /** Called with the registry's record after each trial ends. */
    private readonly onRecorded?: (t: TrialRecord) => void,
  ) {
    checkName('study', spec.name);
  }

  async open(search: { family: NetworkFamily; space: SearchSpace; fixed: Record<string, unknown> }): Promise<Trial[]> {
    const reg = this.home.registry;
    const space: SearchSpace = { family: { type: 'categorical', choices: [search.family] }, ...search.space };
    for (const [k, v] of Object.entries(search.fixed)) space[k] = { type: 'categorical', choices: [v as never] };
    const { study, resumed } = await reg.createOrResumeStudy(
      this.spec.project,
      { name: this.spec.name, dataHash: this.spec.dataHash, target: this.spec.target, direction: 'maximize', metric: 'roc_auc', space, sampler: 'tpe', seed: this.spec.seed },
      this.actor,
    );
    this.studyId = study.id;
    const { requeued } = await reg.requeueInterruptedTrials(study.id, ownerDead);
    const trials = await reg.listTrials(study.id);
    const done = trials.filter(ended);
    this.onStart?.({ study, resumed, requeued, existing: done.length });
    return done;
  }

  async next(propose: (history: readonly Trial[]) => Params, maxTrials: number | null): Promise<StoredTrial | null> {
    const reg = this.home.registry;
    // Every trial so far, running ones too: the defaults go to the study's first trial only, and
    // TPE takes only finished trials as observations.
    const rec = await reg.startTrial(this.studyId, propose, this.owner, { maxTrials: maxTrials ?? undefined });
    if (!rec) return null;
    const ref = { id: rec.id, attempt: rec.attempt };
    const recorded = async () => {
      const t = await reg.trial(rec.id);
      if (t) this.onRecorded?.(t);
    };
    return {
      number: rec.number,
      params: rec.params as Params,
      report: (step, value) => reg.reportIntermediate(ref, step, value),
      finish: async (value, pruned) => {
        await reg.finishTrial(ref, { value, pruned });
        await recorded();
      },
      fail: async (error) => {
        await reg.failTrial(ref, error);
        await recorded();
      },
    };
  }
}

const ended = (t: TrialRecord) => t.state === 'complete' || t.state === 'pruned' || t.state === 'failed';
