/**
 * `lepton recommend train|eval|predict`: next-item recommenders over user histories (baskets or
 * user,item[,time] tables), leave-last-out HR@K / NDCG@K, top-k recommendations for a history.
 * @module
 */
import { basename, extname } from 'node:path';
import type { Command } from 'commander';
import { readTable } from '../data/readers/index.js';
import { LeptonError } from '../errors.js';
import { loadModel, saveModel } from '../models/artifact.js';
import { recommend } from '../recommend/predict.js';
import { evaluateRecommender, RECOMMEND_CHOICES, trainRecommender, type RecommendChoice, type RecommendReport } from '../recommend/recommend.js';
import { action, parseIntOption, parseList, parseNumberOption, printJson } from './output.js';
import { progressPrinter } from './progress.js';

interface ColumnFlags {
  user?: string;
  item?: string;
  time?: string;
  order?: 'random' | 'column';
}

interface TrainFlags extends ColumnFlags {
  model: string;
  out?: string;
  seed: number;
  seqLen?: number;
  epochs?: number;
  lr?: number;
  threads?: number;
  quiet?: boolean;
  json?: boolean;
}

const COLUMN_HELP = `
Data: either a basket table (one row per basket, one binary column per item: t/?, true/false
or 1/0; other columns are skipped and listed) or a long table of interactions with --user and
--item (and --time to order them; without it, file order). Baskets record no order: their items
are shuffled with --seed (--order column keeps the table's column order instead), and a basket
is one "user" whose held-out item is predicted from the others (basket completion).`;

function columnOptions(cmd: Command): Command {
  return cmd
    .option('--user <column>', 'long tables: the user (session, customer) column')
    .option('--item <column>', 'long tables: the item column')
    .option('--time <column>', 'long tables: the column ordering each user\'s items (numbers or dates)')
    .option('--order <order>', "basket tables: 'random' (seeded shuffle per basket) or 'column' (the table's column order)");
}

function checkOrder(order: string | undefined): 'random' | 'column' | undefined {
  if (order === undefined || order === 'random' || order === 'column') return order;
  throw new LeptonError('E_OPTION', `--order must be 'random' or 'column' (got '${order}')`, 'e.g. --order column');
}

const pct = (v: number) => v.toFixed(4);

function formatTraining(r: RecommendReport, out: string): string {
  const lines = [
    `data: ${r.data.users} ${r.data.kind === 'baskets' ? 'baskets' : 'users'}, ${r.data.items} items, ${r.data.interactions} interactions (order: ${r.data.order})`,
    ...(r.data.skipped.length ? [`skipped columns: ${r.data.skipped.map((s) => `${s.column} (${s.reason})`).join(', ')}`] : []),
    `leave-last-out: ${r.split.val} validation and ${r.split.test} test cases; ${r.split.trainCases ? `${r.split.trainCases} training prefixes` : `${r.split.trainSequences} training histories`}`,
    '',
    `family        val HR@${r.leaderboard[0]!.val.k}  val NDCG  test HR  test NDCG  seconds`,
    ...r.leaderboard.map((c) => `${(c.selected ? '* ' : '  ') + c.family.padEnd(12)} ${pct(c.val.hr).padStart(8)}  ${pct(c.val.ndcg).padStart(8)}  ${pct(c.test.hr).padStart(7)}  ${pct(c.test.ndcg).padStart(9)}  ${c.seconds.toFixed(1).padStart(7)}`),
    '',
    `chosen on validation: ${r.selected}; wrote ${out}`,
  ];
  return lines.join('\n');
}

export function registerRecommend(program: Command): void {
  const rec = program
    .command('recommend')
    .description('next-item recommendation over user histories or baskets: train, evaluate (HR@K, NDCG@K), recommend')
    .addHelpText(
      'after',
      `
Examples:
  $ lepton recommend train data/supermarket.arff --out basket.lepton        # basket completion, best of 4 families
  $ lepton recommend train events.csv --user customer --item product --time ts --model gru
  $ lepton recommend eval basket.lepton holdout-baskets.arff
  $ lepton recommend predict basket.lepton --history "tea,biscuits,coffee" -k 5`,
    );

  columnOptions(
    rec
      .command('train')
      .argument('<data>', 'basket table or user/item[/time] table (CSV, TSV, ARFF, JSON Lines, Parquet, XLSX)')
      .description('train next-item recommenders and keep the best HR@10 on the validation items')
      .option('-m, --model <family>', `${RECOMMEND_CHOICES.join(', ')} (auto trains all and keeps the best on validation)`, 'auto'),
  )
    .option('-o, --out <file>', 'where to save the model (default: <data name>.lepton)')
    .option('--seed <n>', 'random seed (basket order, weights); the same seed gives the same model', parseIntOption('--seed'), 42)
    .option('--seq-len <n>', 'most recent items a network reads (default 50)', parseIntOption('--seq-len'))
    .option('--epochs <n>', 'gru/sasrec: maximum epochs (default 20; early stopping on validation loss)', parseIntOption('--epochs'))
    .option('--lr <rate>', 'gru/sasrec: learning rate (default 0.002)', parseNumberOption('--lr'))
    .option('--threads <n>', 'cores one network fit may use, given to OpenBLAS for matrix products and to libtorch\'s OpenMP pool for convolutions (default 1)', parseIntOption('--threads'))
    .option('-q, --quiet', 'no progress output')
    .option('--json', 'print the report as JSON on stdout')
    .addHelpText(
      'after',
      `${COLUMN_HELP}

Evaluation is leave-last-out: per user (basket) with 3+ items, the last item is the test case and
the one before it the validation case; the rest trains. Every item is ranked (no sampled
negatives) and the history's own items are left out of the ranking.

Examples:
  $ lepton recommend train data/supermarket.arff                         # auto: popularity, co-occurrence, GRU, SASRec
  $ lepton recommend train data/supermarket.arff --model cooccurrence --order column --out basket.lepton
  $ lepton recommend train events.csv --user session --item product --time ts --model sasrec --epochs 10 --json`,
    )
    .action(
      action(async (data: string, f: TrainFlags) => {
        if (!(RECOMMEND_CHOICES as readonly string[]).includes(f.model)) throw new LeptonError('E_OPTION', `unknown --model '${f.model}'`, `choose one of ${RECOMMEND_CHOICES.join(', ')}`);
        const table = await readTable(data);
        const progress = progressPrinter(Boolean(f.quiet) || Boolean(f.json));
        const params = { ...(f.epochs !== undefined ? { epochs: f.epochs } : {}), ...(f.lr !== undefined ? { lr: f.lr } : {}) };
        const { model, report } = await trainRecommender(table, {
          model: f.model as RecommendChoice,
          user: f.user,
          item: f.item,
          time: f.time,
          order: checkOrder(f.order),
          seed: f.seed,
          seqLen: f.seqLen,
          params: { gru: params, sasrec: params },
          torchThreads: f.threads,
          onProgress: progress,
          source: basename(data),
        });
        const out = f.out ?? `${basename(data, extname(data))}.lepton`;
        try {
          await saveModel(model, out);
        } finally {
          model.dispose();
        }
        if (f.json) printJson({ ...report, out });
        else process.stdout.write(`${formatTraining(report, out)}\n`);
      }),
    );

  columnOptions(
    rec
      .command('eval')
      .argument('<model>', 'model file written by `lepton recommend train`')
      .argument('<data>', 'histories in the same shape as the training data'),
  )
    .description('leave-last-out HR@K and NDCG@K on new histories: each user\'s last item predicted from the ones before it')
    .option('-k <k>', 'cut-off K', parseIntOption('-k'), 10)
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      `
Items the model does not know are dropped from the histories (counted); a user whose last item
is unknown, or with fewer than two known items, is skipped (counted). Evaluate on users the
model was not trained on: the training report already holds its held-out test metrics.

Examples:
  $ lepton recommend eval basket.lepton new-baskets.arff
  $ lepton recommend eval shop.lepton march.csv --user customer --item product --time ts -k 20 --json`,
    )
    .action(
      action(async (modelPath: string, data: string, f: ColumnFlags & { k: number; json?: boolean }) => {
        const model = await loadModel(modelPath);
        try {
          const r = await evaluateRecommender(model, await readTable(data), { user: f.user, item: f.item, time: f.time, order: checkOrder(f.order), k: f.k });
          if (f.json) printJson(r);
          else process.stdout.write(`HR@${r.k} ${pct(r.hr)}  NDCG@${r.k} ${pct(r.ndcg)}  over ${r.cases} users (skipped ${r.skippedUsers}; ${r.unknownItems} unknown items dropped)\n`);
        } finally {
          model.dispose();
        }
      }),
    );

  rec
    .command('predict')
    .argument('<model>', 'model file written by `lepton recommend train`')
    .requiredOption('--history <items>', 'the user\'s items, oldest first, comma-separated ("" for none: the most popular items)', (v: string) => parseList(v))
    .option('-k <k>', 'how many items to recommend', parseIntOption('-k'), 10)
    .option('--json', 'print the result as JSON')
    .description('recommend the top-k next items for a history (its own items are never recommended)')
    .addHelpText(
      'after',
      `
Unknown item names are ignored with a warning; an empty history gets the most popular items.

Examples:
  $ lepton recommend predict basket.lepton --history "tea,biscuits,coffee"
  $ lepton recommend predict basket.lepton --history "bread and cake,milk-cream" -k 5 --json`,
    )
    .action(
      action(async (modelPath: string, f: { history: string[]; k: number; json?: boolean }) => {
        const model = await loadModel(modelPath);
        try {
          const r = await recommend(model, f.history, f.k);
          for (const w of r.warnings) process.stderr.write(`warning: ${w}\n`);
          if (f.json) printJson(r);
          else process.stdout.write(`${r.items.map((x, i) => `${String(i + 1).padStart(3)}. ${x.item}  ${x.score.toPrecision(4)}`).join('\n')}\n`);
        } finally {
          model.dispose();
        }
      }),
    );
}
