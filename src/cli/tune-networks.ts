/**
 * `lepton tune FOLDER` (images, texts), `lepton tune TABLE --sequence-id ID --sequence-time T`
 * and `lepton tune TABLE` with free-text or image columns: the family's network searched as a
 * study in the registry (src/tune/network-study.ts), resumable with --study and shown by
 * `lepton tune show`, like a table study. The kept network (the best trial of the whole study,
 * trained again when an earlier run found it) is evaluated on the test split and saved to --out.
 * @module
 */
import { NetworkSearch } from '../automl/networks.js';
import { LeptonError } from '../errors.js';
import type { TrialRecord } from '../registry/registry.js';
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
  if (f.register) throw refuse('--register', 'works for table studies so far; a network study saves its kept model to --out', `register the file afterwards: lepton models register ${out} --name NAME`);
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
      let best: TrialRecord | null = null;
      let requeued: number[] = [];
      let resumed = false;
      const store = new StudyTrials(
        home,
        localActor(),
        { project: f.project, name, dataHash: await dataHash(data), target, seed },
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
      const final = { family: search!.family, trial: kept.trial.number, params: kept.trial.params, test: result.test, out };
      if (f.json) {
        const { study: s, counts, best: b, leaderboard, importance } = summary;
        return printJson({ study: s, counts, best: b, leaderboard, importance, resumed, requeued, stoppedBy, seconds, final });
      }
      process.stdout.write(`\n${formatSummary(summary)}`);
      process.stdout.write(`\nstopped by the ${stoppedBy === 'time' ? 'time budget' : 'trial budget'} after ${seconds.toFixed(1)} s\n`);
      process.stdout.write(`kept trial ${kept.trial.number} (${search!.family}); test split (${result.split.test} rows the study never saw):\n${formatReport(result.test)}\n\nmodel saved to ${out}\n`);
    });
  } finally {
    await workers.close();
  }
}
