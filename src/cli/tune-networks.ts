/**
 * `lepton tune FOLDER` (images, texts), `lepton tune TABLE --sequence-id ID --sequence-time T`
 * and `lepton tune TABLE` with free-text or image columns: the family's network searched as a
 * study in the registry (src/tune/network-study.ts), resumable with --study and shown by
 * `lepton tune show`, like a table study. The kept network (the best trial of the whole study,
 * trained again when an earlier run found it) is evaluated on the test split and saved to --out;
 * with --register it is also a recorded run and the next version of a registry model.
 * @module
 */
import { readFile } from 'node:fs/promises';
import { NetworkSearch } from '../automl/networks.js';
import { LeptonError } from '../errors.js';
import type { EvalReport } from '../eval/metrics.js';
import { runProvenance } from '../jobs/training-job.js';
import { BASE_FORMAT_VERSION } from '../models/artifact.js';
import type { Home } from '../registry/open.js';
import { checkName, type TrialRecord } from '../registry/registry.js';
import { parseBudget, studyBudget } from '../tune/budget.js';
import { NetworkWorkers } from '../tune/network-workers.js';
import { dataHash, studySeed, StudyTrials } from '../tune/network-study.js';
import { defaultStudyName } from '../tune/runner.js';
import { bestTrial, formatBudget, formatResumed, formatWorkers, formatSummary, formatTrialLine, summarizeStudy } from '../tune/report.js';
import { printJson } from './output.js';
import { localActor, withHome } from './registry.js';
import { formatReport } from '../eval/format.js';
import type { SearchFor, TrainFlags, TrainOutcome } from './train.js';
import type { TuneFlags } from './tune.js';

/**
 * Runs or resumes the network study. `trainWith` trains the data's family with the search it is
 * handed, reading `flags` when called (src/cli/train.ts `networkTrainer`): the study's seed is
 * written into them first, so a resumed study splits its data as its first run did.
 */
export async function tuneNetworkCommand(data: string, out: string, f: TuneFlags, flags: TrainFlags, trainWith: (searchFor: SearchFor) => Promise<TrainOutcome>): Promise<void> {
  const refuse = (flag: string, why: string, fix: string) => new LeptonError('E_OPTION', `${flag} ${why}`, fix);
  if (f.register) checkName('model', f.register);
  if (f.space) throw refuse('--space', "is for the table families; a network study searches its family's own knobs (learning rate, weight decay, batch size, widths)", 'leave --space out; fix a knob with its train option, e.g. --epochs 5');
  if (f.sampler !== undefined && f.sampler !== 'tpe') throw refuse(`--sampler ${f.sampler}`, 'is for the table families; a network study uses TPE', 'leave --sampler out');
  if (!f.asha) throw refuse('--no-asha', 'is for the table families; a network study always prunes with ASHA', 'leave --no-asha out');
  const { trials, time } = studyBudget(f);
  const budget = parseBudget({ trials, time });
  const quiet = Boolean(f.quiet || f.json);
  const target = f.target ?? 'label';
  const name = f.study ?? defaultStudyName(data, target);
  const t0 = performance.now();
  // Forked now, so the workers' start-up overlaps reading the data.
  const workers = new NetworkWorkers({ parallel: f.parallel === undefined ? undefined : Number(f.parallel), trials: budget.trials });
  try {
    await withHome(async (home) => {
      const seed = await studySeed(home, f.project, name, f.seed);
      const hash = await dataHash(data);
      let best: TrialRecord | null = null;
      let requeued: number[] = [];
      let resumed = false;
      const store = new StudyTrials(
        home,
        localActor(),
        { project: f.project, name, dataHash: hash, target, seed },
        (e) => {
          ({ requeued, resumed } = e);
          if (!quiet) process.stderr.write(`study ${e.study.name} (${formatResumed(e)}): ${String((e.study.space.family as { choices: string[] }).choices[0])} network, TPE + ASHA, seed ${e.study.seed}, ${formatWorkers(workers.parallel, workers.threads)}, budget ${formatBudget(budget)}\n`);
        },
        (t) => {
          if (t.state === 'complete') best = bestTrial(best ? [best, t] : [t], 'maximize');
          if (!quiet) process.stderr.write(formatTrialLine({ trial: t, best, budget, elapsedMs: performance.now() - t0 }, 'roc_auc'));
        },
      );
      let search: NetworkSearch | undefined;
      flags.seed = seed;
      const result = await trainWith((family, fixed) => (search = new NetworkSearch(family, { trials, time, seed, fixed, store, fitter: workers.fitter })));
      const study = await home.registry.study(f.project, name);
      const all = await home.registry.listTrials(study.id);
      const summary = summarizeStudy(study, all, { top: f.top });
      const kept = search!.best!;
      const stoppedBy = budget.trials !== null && all.length >= budget.trials ? 'trials' : 'time';
      const seconds = (performance.now() - t0) / 1000;
      const registered = f.register ? await registerKept(home, { project: f.project, name: f.register, alias: f.alias, out, study: name, family: search!.family, trial: kept.trial.number, params: kept.params, seed, dataHash: hash, test: result.test }) : undefined;
      const final = { family: search!.family, trial: kept.trial.number, params: kept.trial.params, test: result.test, out, ...registered };
      if (f.json) {
        const { study: s, counts, best: b, leaderboard, importance } = summary;
        return printJson({ study: s, counts, best: b, leaderboard, importance, resumed, requeued, stoppedBy, seconds, final });
      }
      process.stdout.write(`\n${formatSummary(summary)}`);
      process.stdout.write(`\nstopped by the ${stoppedBy === 'time' ? 'time budget' : 'trial budget'} after ${seconds.toFixed(1)} s\n`);
      process.stdout.write(`kept trial ${kept.trial.number} (${search!.family}); test split (${result.split.test} rows the study never saw):\n${formatReport(result.test)}\n\nmodel saved to ${out}\n`);
      if (registered) process.stdout.write(`registered as ${f.register}@${registered.modelVersion}${f.alias ? ` (${f.alias})` : ''} (run ${registered.runId})\n`);
    });
  } finally {
    await workers.close();
  }
}

/**
 * The kept network as a recorded run and the next version of model `name` (with `alias`), as
 * `lepton tune --register` records a table study's refit: the run holds the study, the trial and
 * its family parameters, the version the test report.
 */
async function registerKept(home: Home, o: { project: string; name: string; alias?: string; out: string; study: string; family: string; trial: number; params: Record<string, unknown>; seed: number; dataHash: string; test: EvalReport }): Promise<{ runId: number; modelVersion: number }> {
  const reg = home.registry;
  const actor = localActor();
  const runId = await reg.createRun(o.project, { params: { study: o.study, model: o.family, trial: o.trial, params: o.params }, seed: o.seed, dataHash: o.dataHash, ...runProvenance() }, actor);
  try {
    const artifact = await home.artifacts.put(await readFile(o.out));
    const mv = await reg.registerModelVersion(o.project, { name: o.name, runId, artifact, formatVersion: BASE_FORMAT_VERSION, task: o.test.task, metrics: { test: o.test } }, actor);
    if (o.alias) await reg.setAlias(o.project, o.name, o.alias, mv.version, actor);
    await reg.finishRun(runId, 'succeeded', { metrics: { test: o.test, study: o.study, trial: o.trial, artifact, modelVersion: mv.version } });
    return { runId, modelVersion: mv.version };
  } catch (e) {
    await reg.finishRun(runId, 'failed', { error: (e as Error).message });
    throw e;
  }
}
