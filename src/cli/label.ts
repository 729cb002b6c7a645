import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { readRaw } from '../data/readers/index.js';
import type { Table } from '../data/table.js';
import { toCsv } from '../data/writers/csv.js';
import { LeptonError } from '../errors.js';
import { textTable } from '../eval/format.js';
import { writeAtomic } from '../registry/artifact-store.js';
import type { Home } from '../registry/open.js';
import { loadModel } from '../models/artifact.js';
import { loadDataset, storeLabelled, withLabels } from '../label/labels.js';
import { buildQueue, checkQueueModel, labelChoices, labelInteractively, queueTable, readLabelFile } from '../label/queue.js';
import { applyRules, formatLabelStats, parseRulesConfig } from '../label/rules.js';
import { parseStrategy, STRATEGIES } from '../label/uncertainty.js';
import { action, parseIntOption, printJson } from './output.js';
import { localActor, parseRef, withHome } from './registry.js';

/** NAME or NAME@VERSION of a dataset (datasets have no aliases). */
function datasetRef(ref: string): { name: string; version?: number } {
  const r = parseRef(ref);
  if (r.alias !== undefined) throw new LeptonError('E_OPTION', `invalid dataset reference '${ref}'`, 'write NAME or NAME@VERSION, e.g. loans@2');
  return r;
}

async function readConfig(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new LeptonError('E_FILE', `rules file not found: '${file}'`, 'check the path');
  }
  try {
    return parseYaml(text) ?? {};
  } catch (e) {
    throw new LeptonError('E_PARSE', `${file} is not valid YAML or JSON: ${(e as Error).message.split('\n')[0]}`, 'fix the rules file');
  }
}

async function recordLabels(home: Home, project: string, d: Awaited<ReturnType<typeof loadDataset>>, labels: (string | undefined)[], target: string, transform: string) {
  const table: Table = withLabels(d.table, target, labels, (r) => `row ${r + 1}`);
  return storeLabelled(home, project, d.d, table, transform, localActor());
}

const RULES_HELP = `
Rules file (YAML or JSON):
  column: label            # the label column to fill, or to create
  mode: fill               # fill: rows where it is missing (default); overwrite: every row a rule matches
  rules:
    - name: big_foreign    # optional; messages and statistics use it
      when: credit_amount > 10000 and foreign_worker = "yes"
      then: review
    - when: purpose in ("radio/tv", "education") and age < 25
      then: risky
  default: null            # label for eligible rows no rule matches (null: leave them)

Conditions: columns (bare names, or \`back quoted\` for names with spaces or symbols),
numbers, "text", true/false; = == != < <= > >=; in (…), not in (…); is missing,
is not missing; contains "…"; not, and, or (binding in that order) and parentheses.
A comparison with a missing value is false. The first rule that matches a row gives
its label; rows where matching rules disagree are reported as conflicts.

Examples:
  $ lepton label apply loans --rules rules.yaml --dry-run   # statistics only, no new version
  $ lepton label apply loans@3 --rules rules.yaml --json`;

const QUEUE_HELP = `
Ranks the rows whose target is missing by the model's uncertainty (margin: 1 − (p1 − p2);
entropy: normalised entropy; least-confident: 1 − p1) and shows the --batch most uncertain.

Examples:
  $ lepton label queue loans --model loans.lepton --target class --out queue.csv
      # fill the 'label' column in a spreadsheet, then:
  $ lepton label import loans --labels queue.csv --target class
  $ lepton label queue loans --model loans.lepton --target class --interactive --batch 10
      # enter = accept the guess, a label or its number, s = skip, q = stop and save`;

const IMPORT_HELP = `
The file needs a 'row' column (row numbers as the queue printed them, from 1) and a
'label' column (or one named like --target); other columns are checked against the
dataset row, so a queue made from another version is caught. Empty labels are skipped.
Errors (nothing is recorded): a row that does not exist, a label that is not a known class
(the model's with --model, and the column's own), a row labelled twice differently, a row
that already has another label. --new-labels accepts new classes, --overwrite replaces labels.

Example:
  $ lepton label import loans@2 --labels queue.csv --target class --model loans.lepton`;

export function registerLabel(program: Command): void {
  const label = program.command('label').description('labelling: rules that label many rows, active-learning queues, importing labels');
  label
    .command('apply')
    .argument('<ref>', 'dataset NAME or NAME@VERSION')
    .requiredOption('--rules <file>', 'YAML or JSON rules file (see below)')
    .option('--project <name>', 'project', 'default')
    .option('--dry-run', 'print the statistics without recording a version')
    .option('--json', 'the statistics as JSON')
    .description('label rows with labelling functions (rules) into a new dataset version, with coverage, overlap and conflict statistics')
    .addHelpText('after', RULES_HELP)
    .action(
      action(async (ref: string, f: { rules: string; project: string; dryRun?: boolean; json?: boolean }) =>
        withHome(async (home) => {
          const config = parseRulesConfig(await readConfig(f.rules), f.rules);
          const r = datasetRef(ref);
          const { d, table } = await loadDataset(home, f.project, r.name, r.version);
          const { table: labelled, stats } = applyRules(table, config);
          let dataset: string | null = null;
          if (!f.dryRun && stats.labelled > 0) {
            const record = await storeLabelled(home, f.project, d, labelled, `labelling functions ${basename(f.rules)}: ${stats.labelled} rows labelled`, localActor());
            dataset = `${record.name}@${record.version}`;
          }
          if (f.json) return printJson({ dataset, from: `${d.name}@${d.version}`, ...stats });
          const head = dataset ? `${dataset}: ${stats.labelled} rows labelled in '${stats.column}' (from ${d.name}@${d.version})` : f.dryRun ? `dry run on ${d.name}@${d.version}: ${stats.labelled} rows would be labelled; no version recorded` : `${d.name}@${d.version}: no row labelled; no version recorded`;
          process.stdout.write(`${head}\n${formatLabelStats(stats)}\n`);
        }),
      ),
    );
  label
    .command('queue')
    .argument('<ref>', 'dataset NAME or NAME@VERSION')
    .requiredOption('--model <file>', 'classifier written by `lepton train` (its target must be --target)')
    .requiredOption('-t, --target <column>', 'the label column; rows where it is missing are queued')
    .option('--batch <n>', 'how many rows to queue', parseIntOption('--batch'), 20)
    .option('--strategy <name>', `uncertainty: ${STRATEGIES.join(', ')}`, 'margin')
    .option('--out <file>', 'write the queue as CSV, with an empty label column to fill in')
    .option('--interactive', 'label the queued rows here, one by one, and record a new version')
    .option('--project <name>', 'project', 'default')
    .option('--json', 'the queue (or, with --interactive, the result) as JSON')
    .description('active learning: the unlabelled rows the model is least sure about, to label next')
    .addHelpText('after', QUEUE_HELP)
    .action(
      action(async (ref: string, f: { model: string; target: string; batch: number; strategy: string; out?: string; interactive?: boolean; project: string; json?: boolean }) =>
        withHome(async (home) => {
          const strategy = parseStrategy(f.strategy);
          if (f.batch < 1) throw new LeptonError('E_OPTION', '--batch must be at least 1');
          if (f.out && f.interactive) throw new LeptonError('E_OPTION', '--out and --interactive do not go together', 'write a queue file with --out, or label here with --interactive');
          const r = datasetRef(ref);
          const ds = await loadDataset(home, f.project, r.name, r.version);
          const from = `${ds.d.name}@${ds.d.version}`;
          ds.table.column(f.target);
          const model = await loadModel(f.model);
          try {
            checkQueueModel(model, f.target, f.model);
            const queue = await buildQueue(model, ds.table, { target: f.target, strategy, batch: f.batch });
            const classes = labelChoices(ds.table, f.target, model.classes);
            if (queue.entries.length === 0) {
              if (f.json) return printJson({ dataset: from, target: f.target, strategy, unlabelled: 0, queue: [] });
              return void process.stdout.write(`${from}: no unlabelled rows ('${f.target}' has a value in every row); nothing to queue\n`);
            }
            if (f.interactive) {
              const say = (s: string) => void (f.json ? process.stderr : process.stdout).write(s);
              const rl = createInterface({ input: process.stdin, terminal: false });
              const lines = rl[Symbol.asyncIterator]();
              let result;
              try {
                say(`${queue.entries.length} of ${queue.unlabelled} unlabelled rows in ${from}, most uncertain first (${strategy})\n`);
                result = await labelInteractively(queue, ds.table, f.target, classes, {
                  read: async () => {
                    const n = await lines.next();
                    return n.done ? null : (n.value as string);
                  },
                  write: say,
                });
              } finally {
                rl.close();
              }
              let dataset: string | null = null;
              if (result.labels.size > 0) {
                const labels: (string | undefined)[] = new Array(ds.table.numRows);
                for (const [row, l] of result.labels) labels[row] = l;
                const record = await recordLabels(home, f.project, ds, labels, f.target, `labelled interactively (active learning, ${strategy} uncertainty, model ${basename(f.model)}): ${result.labels.size} rows labelled`);
                dataset = `${record.name}@${record.version}`;
              }
              const summary = { dataset, from, labelled: result.labels.size, agreed: result.agreed, skipped: result.skipped, stopped: result.stopped };
              if (f.json) return printJson(summary);
              process.stdout.write(`\n${dataset ? `${dataset}: ${summary.labelled} rows labelled (${summary.agreed} as the model guessed), ${summary.skipped} skipped` : `nothing labelled; no version recorded (${summary.skipped} skipped)`}\n`);
              return;
            }
            if (f.out) await writeAtomic(f.out, Buffer.from(toCsv(queueTable(queue, ds.table, f.target, model.classes))));
            if (f.json) return printJson({ dataset: from, target: f.target, strategy, unlabelled: queue.unlabelled, out: f.out ?? null, queue: queue.entries });
            if (f.out) {
              process.stdout.write(`wrote ${queue.entries.length} of ${queue.unlabelled} unlabelled rows of ${from} to ${f.out}, most uncertain first (${strategy})\nfill in its 'label' column, then: lepton label import ${from} --labels ${f.out} --target ${f.target}\n`);
              return;
            }
            const rows = queue.entries.map((e) => [String(e.row), e.uncertainty.toFixed(4), e.label, ...model.classes.map((c) => e.probabilities[c]!.toFixed(4))]);
            process.stdout.write(`${queue.entries.length} of ${queue.unlabelled} unlabelled rows of ${from}, most uncertain first (${strategy})\n${textTable([['row', 'uncertainty', 'guess', ...model.classes.map((c) => `P(${c})`)], ...rows], 1)}\nwrite them to label with --out queue.csv, or label them now with --interactive\n`);
          } finally {
            model.dispose();
          }
        }),
      ),
    );
  label
    .command('import')
    .argument('<ref>', 'dataset NAME or NAME@VERSION the queue was made from')
    .requiredOption('--labels <file>', "filled queue, or any CSV with 'row' and 'label' columns")
    .requiredOption('-t, --target <column>', 'the label column to write')
    .option('--model <file>', "accept the model's classes as labels too")
    .option('--new-labels', 'accept labels that are not known classes (each is reported)')
    .option('--overwrite', 'replace labels rows already have')
    .option('--project <name>', 'project', 'default')
    .option('--json', 'the result as JSON')
    .description('record filled-in labels (from `label queue --out`) as a new dataset version')
    .addHelpText('after', IMPORT_HELP)
    .action(
      action(async (ref: string, f: { labels: string; target: string; model?: string; newLabels?: boolean; overwrite?: boolean; project: string; json?: boolean }) =>
        withHome(async (home) => {
          const r = datasetRef(ref);
          const ds = await loadDataset(home, f.project, r.name, r.version);
          const from = `${ds.d.name}@${ds.d.version}`;
          ds.table.column(f.target);
          let modelClasses: string[] = [];
          if (f.model) {
            const model = await loadModel(f.model);
            try {
              checkQueueModel(model, f.target, f.model);
              modelClasses = model.classes;
            } finally {
              model.dispose();
            }
          }
          const classes = labelChoices(ds.table, f.target, modelClasses);
          if (classes.length === 0 && !f.newLabels) throw new LeptonError('E_VALUE', `'${f.target}' in ${from} has no labels yet, so there are no known classes to check against`, 'pass --model M.lepton (its classes), or --new-labels');
          const raw = await readRaw(f.labels);
          const result = readLabelFile(raw, ds.table, f.target, { classes, allowNew: f.newLabels, overwrite: f.overwrite });
          for (const w of result.warnings) process.stderr.write(`warning: ${w}\n`);
          let dataset: string | null = null;
          if (result.labelled > 0) {
            const record = await recordLabels(home, f.project, ds, result.labels, f.target, `labels imported from ${basename(f.labels)}: ${result.labelled} rows labelled`);
            dataset = `${record.name}@${record.version}`;
          }
          const summary = { dataset, from, labelled: result.labelled, unchanged: result.unchanged, empty: result.empty, warnings: result.warnings };
          if (f.json) return printJson(summary);
          process.stdout.write(
            `${dataset ? `${dataset}: ${result.labelled} rows labelled from ${basename(f.labels)} (from ${from})` : `${from}: no new labels in ${basename(f.labels)}; no version recorded`}${result.unchanged ? `; ${result.unchanged} already had that label` : ''}${result.empty ? `; ${result.empty} left empty` : ''}\n`,
          );
        }),
      ),
    );
}
