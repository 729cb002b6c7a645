import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { readTable } from '../data/readers/index.js';
import { formatLeaderboard, formatReport } from '../eval/format.js';
import { loadModel, saveModel } from '../models/artifact.js';
import { packageRoot } from '../package-root.js';
import { train } from '../train/train.js';
import { textTable } from '../eval/format.js';
import { action } from './output.js';
import { progressPrinter } from './progress.js';

/** The main job: credit risk on the bundled German credit data, end to end. */
export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('end-to-end demo on bundled credit-g: ingest, choose a model, train, evaluate, save, reload, predict')
    .option('-o, --out-dir <dir>', 'where to write the model', 'out')
    .option('-q, --quiet', 'no progress output')
    .action(
      action(async (f: { outDir: string; quiet?: boolean }) => {
        const data = join(packageRoot(), 'data', 'credit-g.arff');
        const say = (s: string) => process.stdout.write(`${s}\n`);
        const table = await readTable(data);
        say(`Lepton demo: credit risk (German credit, ${table.numRows} applicants, ${table.columns.length - 1} features)`);
        say(`  ingested ${data}: ${table.columns.filter((c) => c.type === 'numeric').length} numeric, ${table.columns.filter((c) => c.type === 'categorical').length} categorical columns`);
        say('\n1. Training candidates (logistic, mlp, xgboost, forest; early stopping on a validation split)');
        const result = await train(table, { target: 'class', model: 'auto', onProgress: progressPrinter(Boolean(f.quiet)) });
        say(`\n${formatLeaderboard(result.leaderboard)}`);
        say(`\n2. Evaluation on ${result.split.test} held-out applicants\n${formatReport(result.test)}`);
        await mkdir(f.outDir, { recursive: true });
        const path = join(f.outDir, 'credit-g.lepton');
        await saveModel(result.model, path);
        result.model.dispose();
        say(`\n3. Saved the model (spec + fitted preprocessing + weights) to ${path}`);
        const model = await loadModel(path);
        try {
          const rows = [0, 1, 2].map((r) => Object.fromEntries(table.columnNames.filter((c) => c !== 'class').map((c) => [c, table.cell(c, r)])));
          const preds = await model.predict(rows);
          say('\n4. Reloaded it and scored three applicants:');
          say(
            textTable(
              [['applicant', 'actual', 'predicted', 'P(good)', 'P(bad)'], ...preds.map((p, i) => [String(i + 1), String(table.cell('class', i)), 'label' in p ? p.label : '', ...('label' in p ? [p.probabilities.good!.toFixed(3), p.probabilities.bad!.toFixed(3)] : [])])],
              1,
            ),
          );
        } finally {
          model.dispose();
        }
        say(`\nNext: lepton predict ${path} '{"duration": 24, "credit_amount": 4000, "purpose": "radio/tv"}'`);
      }),
    );
}
