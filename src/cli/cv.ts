import type { Command } from 'commander';
import { crossValidate } from '../eval/cv.js';
import { formatCv } from '../eval/format.js';
import { action, parseIntOption, printJson } from './output.js';
import { addCommonTrainOptions, trainOptionsFromFlags, type TrainFlags } from './train.js';

export function registerCv(program: Command): void {
  addCommonTrainOptions(
    program
      .command('cv')
      .argument('<data>', 'data file')
      .description('stratified k-fold cross-validation: mean ± std of every metric')
      .option('-k, --folds <n>', 'number of folds', parseIntOption('--folds'), 5),
  )
    .addHelpText('after', '\nExample:\n  $ lepton cv credit-g.arff --target class --folds 5 --model xgboost')
    .action(
      action(async (data: string, f: TrainFlags & { folds: number }) => {
        const quiet = Boolean(f.quiet || f.json);
        const cv = await crossValidate(data, {
          ...trainOptionsFromFlags({ ...f, quiet: true }),
          folds: f.folds,
          onFold: (i, report, selected) => {
            if (quiet) return;
            const score = report.task === 'regression' ? `rmse ${report.rmse.toFixed(4)}` : `roc auc ${report.rocAuc?.toFixed(4) ?? '—'}, accuracy ${report.accuracy.toFixed(4)}`;
            process.stderr.write(`  fold ${i}/${f.folds}: ${score} (${selected})\n`);
          },
        });
        if (f.json) printJson(cv);
        else process.stdout.write(`\n${f.folds}-fold cross-validation of ${f.model} on ${data}\n${formatCv(cv)}\n`);
      }),
    );
}
