#!/usr/bin/env node
/**
 * `lepton`: the command-line front end. Each command lives in its own file and is a thin
 * layer over the library API (src/index.ts).
 * @module
 */
import { Command } from 'commander';
import { addon } from '../engine/addon.js';
import { VERSION } from '../package-root.js';
import { registerCv } from './cv.js';
import { registerData } from './data.js';
import { registerDemo } from './demo.js';
import { registerEval } from './eval.js';
import { registerLabel } from './label.js';
import { action, printJson } from './output.js';
import { registerPredict } from './predict.js';
import { registerRegistryCommands } from './registry.js';
import { registerServe } from './serve.js';
import { registerTrain } from './train.js';

const program = new Command('lepton')
  .version(VERSION)
  .description('Lepton: train, evaluate and use models on your own data (libtorch + XGBoost engines)')
  .addHelpText(
    'after',
    `
Typical session:
  $ lepton train credit-g.arff --target class          # trains, evaluates, writes credit-g.lepton
  $ lepton eval credit-g.lepton holdout.arff            # classification report on new labelled data
  $ lepton predict credit-g.lepton new-rows.csv --json  # probabilities and labels
  $ lepton cv credit-g.arff --target class --folds 5    # compare model families fairly
  $ lepton train credit-g.arff --target class --register credit   # records the run, registers credit@1
  $ lepton models promote credit@1 --alias production
  $ lepton keys create --project default --role admin && lepton serve

Every command has --help. Errors say what went wrong and how to fix it; set LEPTON_DEBUG=1 for stack traces.`,
  )
  .showHelpAfterError('(run with --help for usage)');

registerTrain(program);
registerEval(program);
registerPredict(program);
registerCv(program);
registerDemo(program);
registerRegistryCommands(program);
registerData(program);
registerLabel(program);
registerServe(program);
(await import('./tune.js')).registerTune(program);
(await import('./segment.js')).registerSegment(program);
(await import('./recommend.js')).registerRecommend(program);
program
  .command('info')
  .description('print versions of Lepton and its engines')
  .option('--json', 'as JSON')
  .action(
    action(async (f: { json?: boolean }) => {
      const v = { lepton: VERSION, ...addon().versions() };
      if (f.json) printJson(v);
      else process.stdout.write(`lepton ${v.lepton}\nlibtorch ${v.torch}\nxgboost ${v.xgboost}\n`);
    }),
  );

await program.parseAsync(process.argv);
