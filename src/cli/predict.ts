import type { Command } from 'commander';
import { readRaw } from '../data/readers/index.js';
import { toTable } from '../data/infer.js';
import { LeptonError } from '../errors.js';
import { textTable } from '../eval/format.js';
import { loadModel } from '../models/artifact.js';
import type { LeptonModel, Prediction } from '../models/model.js';
import { action, printJson } from './output.js';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** INPUT is a data file, inline JSON (a row object or an array of rows), or '-' for JSON on stdin. */
export async function predictInput(model: LeptonModel, input: string): Promise<Prediction[]> {
  const trimmed = input.trim();
  if (trimmed === '-' || trimmed.startsWith('{') || trimmed.startsWith('[')) {
    const text = trimmed === '-' ? await readStdin() : trimmed;
    let rows: unknown;
    try {
      rows = JSON.parse(text);
    } catch (e) {
      throw new LeptonError('E_PARSE', `the input is not valid JSON (${(e as Error).message})`, `give a row like '{"age": 42, "city": "Paris"}' or an array of rows`);
    }
    if (Array.isArray(rows)) return model.predict(rows as Record<string, unknown>[]);
    if (typeof rows !== 'object' || rows === null) throw new LeptonError('E_PARSE', 'the JSON input must be an object (one row) or an array of objects', 'wrap values in {"column": value}');
    return model.predict(rows as Record<string, unknown>);
  }
  return model.predict(toTable(await readRaw(input), model.inputSchema));
}

export function registerPredict(program: Command): void {
  program
    .command('predict')
    .argument('<model>', 'model file written by `lepton train`')
    .argument('<input>', "data file, inline JSON row(s), or '-' to read JSON from stdin")
    .description('predict labels and per-class probabilities (or values) for new rows')
    .option('--json', 'print predictions as JSON')
    .addHelpText(
      'after',
      `
Examples:
  $ lepton predict credit-g.lepton new-applicants.csv
  $ lepton predict credit-g.lepton '{"duration": 24, "credit_amount": 4000, "purpose": "radio/tv"}' --json
  $ cat rows.json | lepton predict credit-g.lepton -`,
    )
    .action(
      action(async (modelPath: string, input: string, f: { json?: boolean }) => {
        const model = await loadModel(modelPath);
        try {
          const preds = await predictInput(model, input);
          if (f.json) {
            printJson(preds);
            return;
          }
          const header = model.task === 'classification' ? ['row', 'label', ...model.classes.map((c) => `P(${c})`)] : ['row', model.target.column];
          const rows = preds.map((p, i) =>
            'label' in p ? [String(i + 1), p.label, ...model.classes.map((c) => p.probabilities[c]!.toFixed(4))] : [String(i + 1), p.value.toPrecision(6)],
          );
          process.stdout.write(`${textTable([header, ...rows], 2)}\n`);
        } finally {
          model.dispose();
        }
      }),
    );
}
