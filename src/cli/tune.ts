/**
 * `lepton tune`: hyper-parameter search (random, grid or TPE, with ASHA pruning) over one family
 * or all of them, as a study in the registry that a later run resumes; `lepton tune show NAME`
 * prints a study's leaderboard and parameter importance, `lepton tune list` the studies. Folders,
 * sequences and tables with text or images are network studies (src/cli/tune-networks.ts).
 * @module
 */
import { availableParallelism } from 'node:os';
import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import type { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { LeptonError } from '../errors.js';
import { MODEL_CHOICES } from '../models/spec.js';
import { studyBudget } from '../tune/budget.js';
import { runStudy, SAMPLERS, type TuneResult } from '../tune/runner.js';
import { fmtNum, formatBudget, formatResumed, formatSummary, formatTrialLine, formatWorkers, summarizeStudy, type StudySummary } from '../tune/report.js';
import { localActor, withHome } from './registry.js';
import { action, parseIntOption, printJson } from './output.js';
import { networkTrainer, type TrainFlags } from './train.js';
import { wantsSequences } from './train-sequences.js';
import { tuneNetworkCommand } from './tune-networks.js';

export interface TuneFlags {
  target?: string;
  sequenceId?: string;
  sequenceTime?: string;
  seqLen?: number;
  epochs?: number;
  model: string;
  space?: string;
  sampler?: string;
  trials?: string;
  time?: string;
  parallel?: string;
  study?: string;
  seed?: number;
  register?: string;
  alias?: string;
  project: string;
  out?: string;
  top: number;
  asha: boolean;
  earlyStop?: boolean;
  quiet?: boolean;
  json?: boolean;
}

/** Reads a YAML or JSON search space file. */
export async function readSpaceFile(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new LeptonError('E_FILE', `search space file not found: '${path}'`, 'check the path of --space');
  }
  try {
    return parseYaml(text) as unknown;
  } catch (e) {
    throw new LeptonError('E_PARSE', `search space file '${path}' is not valid YAML or JSON: ${(e as Error).message.split('\n')[0]}`, 'write it as in `lepton tune --help`');
  }
}

function jsonSummary(s: StudySummary): Record<string, unknown> {
  return { study: s.study, counts: s.counts, best: s.best, leaderboard: s.leaderboard, importance: s.importance };
}

export function registerTune(program: Command): void {
  program
    .command('tune')
    .argument('<data|show|list>', 'data file (or image/text folder) to tune on; or `show NAME` / `list`')
    .argument('[name]', 'with show: the study name')
    .description('search hyper-parameters (TPE, random or grid; ASHA pruning; parallel workers) as a resumable study in the registry')
    .option('-t, --target <column>', 'column to predict')
    .option('-m, --model <model>', `model family to tune: ${MODEL_CHOICES.join(', ')} (auto: the family is a parameter too)`, 'auto')
    .option('--space <file>', 'search space (YAML or JSON); default: the family\'s default space')
    .option('--sampler <name>', `${SAMPLERS.join(', ')} (default tpe; a resumed study keeps its own)`)
    .option('--trials <n>', 'trial budget: complete, pruned and failed trials all count (earlier runs of the study too); default 50 when no budget is given')
    .option('--time <duration>', 'time budget, e.g. 90s, 10m, 1h: no trial starts after it, and running ones are cancelled (failed, "budget exhausted"); default 10m when no budget is given')
    .option('--parallel <n>', 'worker processes (default: one per core; each gets cores/n threads)')
    .option('--study <name>', 'study name: run again with the same name to resume or extend it (default: DATA-TARGET-TIME)')
    .option('--seed <n>', 'seed of the split, the sampler and the trials (default 42; a resumed study keeps its own)', parseIntOption('--seed'))
    .option('--no-asha', 'no pruning: every trial trains to its end (early stopping still applies)')
    .option('--early-stop', 'table studies: end the search at a plateau, when no trial has beaten the best by more than 0.1 % in as many trials again as the last gain took (after at least 25 trials), before the budget runs out')
    .option('--sequence-id <column>', 'a long table of numeric sequences: the column naming each sequence; its network (seqnet) is searched')
    .option('--sequence-time <column>', 'with --sequence-id: the column ordering the steps')
    .option('--seq-len <n>', 'sequences: steps per id; text folders and free-text columns: words per text', parseIntOption('--seq-len'))
    .option('--epochs <n>', 'network studies: epochs per trial (fixed for every trial; ASHA prunes sooner)', parseIntOption('--epochs'))
    .option('-o, --out <file>', 'where to save the best parameters refitted on train + validation (default: <data name>.lepton)')
    .option('--register <name>', 'record the refit (a network study: the kept network) as a run and register it as the next version of NAME')
    .option('--alias <alias>', 'with --register: point this alias at the new version')
    .option('--project <name>', 'registry project of the study', 'default')
    .option('--top <n>', 'leaderboard rows to print', parseIntOption('--top'), 10)
    .option('-q, --quiet', 'no progress lines')
    .option('--json', 'print the result as JSON on stdout')
    .addHelpText(
      'after',
      `
Examples:
  $ lepton tune credit-g.arff --target class --model xgboost --trials 50 --study credit-xgb
  $ lepton tune credit-g.arff --target class --trials 100 --time 10m --study credit-auto   # AutoML over all families
  $ lepton tune credit-g.arff --target class --study credit-xgb --trials 80     # resume / extend the same study
  $ lepton tune churn.csv --target churned --model mlp --space space.yaml --sampler random --parallel 2
  $ lepton tune credit-g.arff --target class --time 1h --early-stop   # may end well before the hour
  $ lepton tune credit-g.arff --target class --study credit-xgb --trials 50 --register credit
  $ lepton tune scans/ --study scans-cnn --time 20m        # an image folder: its CNN searched, as a study
  $ lepton tune engines.csv --target fail_soon --sequence-id unit --sequence-time cycle --trials 30
  $ lepton tune show credit-xgb            # leaderboard and parameter importance
  $ lepton tune show credit-xgb --json
  $ lepton tune list

A search space file names the family's parameters (see \`lepton train --help\` for them):
  learningRate: { type: loguniform, low: 0.01, high: 0.3 }
  maxDepth:     { type: int, low: 2, high: 10 }
  subsample:    { type: uniform, low: 0.5, high: 1 }
  rounds:       { type: categorical, choices: [300] }          # fixed for every trial
With --model auto, add family: { type: categorical, choices: [xgboost, mlp] } and prefix each
parameter with its family (xgboost.maxDepth), or give it a condition: when: { family: mlp }.

The objective is validation ROC-AUC (macro one-vs-rest for several classes) or RMSE for
regression, on a fixed split from the seed (the one \`lepton train\` makes; test rows stay
unseen until the best parameters are refitted and evaluated on them). ASHA stops trials whose
validation loss after 3, 9, 27… epochs (20, 60, 180… rounds; rungs up to a third of the cap) is
outside the top third so far (the forest grows in one round and is never pruned: its default
space is featureFraction, sampleFraction, minChildWeight and maxDepth). Workers read the data
once encoded (a binary file the run writes).
A killed run resumes with --study: interrupted trials run again with the same number and
parameters, none is lost or repeated. A crashing trial is recorded as failed and the study goes on.

Folders of images or texts, long tables of sequences (--sequence-id/--sequence-time) and tables
with free-text or image columns search their network instead (cnn, textnet, seqnet, mixed: the
learning rate, weight decay, batch size and the family's widths, as \`lepton train --time\`):
trial 1 is the family's defaults, ASHA prunes on each epoch's validation loss, and trials run in
isolated worker processes as table trials do (--parallel). --epochs fixes the epochs of every
trial; the kept network (the best trial of the whole study) is evaluated on the test split,
saved to --out and, with --register, recorded as a run and registered.`,
    )
    .action(
      action(async (first: string, name: string | undefined, f: TuneFlags) => {
        if (first === 'show') return showStudy(name, f);
        if (first === 'list') return listStudies(f);
        const out = f.out ?? `${basename(first, extname(first))}.lepton`;
        if (!existsSync(first)) throw new LeptonError('E_FILE', `file or folder not found: '${first}'`, 'check the path');
        if (f.parallel !== undefined && !/^\d+$/.test(f.parallel)) throw new LeptonError('E_OPTION', `--parallel must be a whole number of worker processes above zero (got '${f.parallel}')`, `use e.g. --parallel ${availableParallelism()}, or leave it out for one worker per core`);
        // Folders, sequences and tables with text or images: their network is searched instead.
        // Without --register: that is the study's to do (networkTrainer would leave a text table to the table families).
        const { register: _register, ...train } = f;
        const flags: TrainFlags & TuneFlags = { ...train, seed: f.seed ?? 42, quiet: f.quiet, json: f.json };
        const net = await networkTrainer(first, out, existsSync(first) && statSync(first).isDirectory(), flags);
        if ('trainWith' in net) {
          if (f.earlyStop) throw new LeptonError('E_OPTION', '--early-stop is for table studies; a network study runs to its budget', 'leave --early-stop out, or bound the study with --trials or --time');
          return tuneNetworkCommand(first, out, f, flags, net.trainWith);
        }
        if (wantsSequences(f) || f.epochs !== undefined || f.seqLen !== undefined) throw new LeptonError('E_OPTION', '--sequence-id, --sequence-time, --seq-len and --epochs are for network studies', 'leave them out, or fix epochs for a table family in --space');
        if (!f.target) throw new LeptonError('E_OPTION', "missing option '--target <column>'", 'name the column to predict, e.g. --target class');
        const space = f.space ? await readSpaceFile(f.space) : undefined;
        const quiet = Boolean(f.quiet || f.json);
        let metric = '';
        const result = await withHome((home) =>
          runStudy(home, localActor(), {
            data: first,
            table: net.table,
            target: f.target!,
            model: f.model,
            space,
            spaceSource: f.space ? `search space ${f.space}` : undefined,
            sampler: f.sampler,
            ...studyBudget(f),
            parallel: f.parallel === undefined ? undefined : Number(f.parallel),
            study: f.study,
            seed: f.seed,
            project: f.project,
            asha: f.asha ? undefined : false,
            earlyStop: f.earlyStop === true,
            out,
            register: f.register ? { name: f.register, alias: f.alias } : undefined,
            onStart: (e) => {
              metric = e.study.metric;
              if (quiet) return;
              process.stderr.write(`study ${e.study.name} (${formatResumed(e)}): ${e.study.sampler} sampler, seed ${e.study.seed}, ${formatWorkers(e.parallel, e.threadsPerWorker)}, budget ${formatBudget(e.budget)}\n`);
            },
            onTrial: (e) => {
              if (!quiet) process.stderr.write(formatTrialLine(e, metric));
            },
          }),
        );
        if (f.json) return printJson(resultJson(result));
        process.stdout.write(`\n${formatSummary({ ...result.summary, leaderboard: result.summary.leaderboard.slice(0, f.top) })}`);
        const stop = { grid: 'the end of the grid', time: 'the time budget', trials: 'the trial budget', plateau: 'a plateau (--early-stop: no gain above 0.1 % in as many trials again as the last gain took)' }[result.stoppedBy];
        process.stdout.write(`\nstopped by ${stop} after ${result.seconds.toFixed(1)} s\n`);
        const fin = result.final;
        if (fin) {
          const t = fin.test;
          const score = t.task === 'classification' ? `roc auc ${t.rocAuc === null ? '—' : t.rocAuc.toFixed(4)}, accuracy ${t.accuracy.toFixed(4)}` : `rmse ${fmtNum(t.rmse)}, r2 ${t.r2.toFixed(4)}`;
          process.stdout.write(`best trial ${result.best!.number} (${fin.family}) refitted on train + validation: test ${score} (${t.n} rows the study never saw)\n`);
          if (fin.out) process.stdout.write(`model saved to ${fin.out}\n`);
          if (fin.modelVersion !== undefined) process.stdout.write(`registered as ${f.register}@${fin.modelVersion}${f.alias ? ` (${f.alias})` : ''} (run ${fin.runId})\n`);
        } else if (!result.best) process.stdout.write('no trial completed: nothing to refit\n');
      }),
    );
}

function resultJson(r: TuneResult): Record<string, unknown> {
  return { ...jsonSummary(r.summary), resumed: r.resumed, requeued: r.requeued, stoppedBy: r.stoppedBy, seconds: r.seconds, final: r.final ?? null };
}

async function showStudy(name: string | undefined, f: TuneFlags): Promise<void> {
  if (!name) throw new LeptonError('E_OPTION', 'tune show needs a study name', 'write `lepton tune show NAME`; list them with `lepton tune list`');
  await withHome(async (home) => {
    const study = await home.registry.study(f.project, name);
    const s = summarizeStudy(study, await home.registry.listTrials(study.id), { top: f.top });
    if (f.json) return printJson(jsonSummary(s));
    process.stdout.write(formatSummary(s));
  });
}

async function listStudies(f: TuneFlags): Promise<void> {
  await withHome(async (home) => {
    if (!(await home.registry.findProject(f.project))) {
      if (f.json) return printJson([]);
      return void process.stdout.write(`no studies in project '${f.project}' yet: lepton tune DATA --target T --study NAME\n`);
    }
    const rows = [];
    for (const st of await home.registry.listStudies(f.project)) {
      const s = summarizeStudy(st, await home.registry.listTrials(st.id), { top: 0 });
      rows.push({ name: st.name, target: st.target, metric: st.metric, sampler: st.sampler, trials: s.counts.total, complete: s.counts.complete, best: s.best?.value ?? null, bestTrial: s.best?.number ?? null, createdAt: st.createdAt });
    }
    if (f.json) return printJson(rows);
    if (rows.length === 0) return void process.stdout.write(`no studies in project '${f.project}' yet: lepton tune DATA --target T --study NAME\n`);
    const cells = [['study', 'target', 'metric', 'sampler', 'trials', 'best'], ...rows.map((r) => [r.name, r.target, r.metric, r.sampler, String(r.trials), r.best === null ? '' : `${fmtNum(r.best)} (#${r.bestTrial})`])];
    const w = cells[0]!.map((_, c) => Math.max(...cells.map((r) => r[c]!.length)));
    process.stdout.write(`${cells.map((r) => r.map((c, i) => c.padEnd(w[i]!)).join('  ').trimEnd()).join('\n')}\n`);
  });
}
