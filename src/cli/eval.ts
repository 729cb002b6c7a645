import type { Command } from 'commander';
import { evaluate } from '../eval/evaluate.js';
import { formatReport } from '../eval/format.js';
import { loadModel } from '../models/artifact.js';
import { action, printJson } from './output.js';

export function registerEval(program: Command): void {
  program
    .command('eval')
    .argument('<model>', 'model file written by `lepton train`')
    .argument('<data>', 'labelled data with the target column')
    .description('evaluate a model: classification report, confusion matrix, ROC-AUC, log-loss (RMSE, MAE, R² for regression)')
    .option('--json', 'print the report as JSON')
    .addHelpText('after', '\nExample:\n  $ lepton eval credit-g.lepton holdout.csv --json')
    .action(
      action(async (modelPath: string, data: string, f: { json?: boolean }) => {
        const model = await loadModel(modelPath);
        try {
          const report = await evaluate(model, data);
          if (f.json) printJson(report);
          else process.stdout.write(`${formatReport(report)}\n`);
        } finally {
          model.dispose();
        }
      }),
    );
}
