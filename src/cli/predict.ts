import { existsSync, statSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import type { Command } from 'commander';
import { decodeImages, IMAGE_EXTENSIONS } from '../data/images.js';
import { readRaw, tableFromRows } from '../data/readers/index.js';
import type { Table } from '../data/table.js';
import { toTable } from '../data/infer.js';
import { LeptonError } from '../errors.js';
import { TEXT_EXTENSIONS } from '../data/readers/text-folder.js';
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
  return model.predict(await inputTable(model, input));
}

/** The rows of INPUT read with the model's schema. */
async function inputTable(model: LeptonModel, input: string): Promise<Table> {
  const trimmed = input.trim();
  if (trimmed === '-' || trimmed.startsWith('{') || trimmed.startsWith('[')) {
    const text = trimmed === '-' ? await readStdin() : trimmed;
    let rows: unknown;
    try {
      rows = JSON.parse(text);
    } catch (e) {
      throw new LeptonError('E_PARSE', `the input is not valid JSON (${(e as Error).message})`, `give a row like '{"age": 42, "city": "Paris"}' or an array of rows`);
    }
    if (Array.isArray(rows)) return tableFromRows(rows, model.inputSchema);
    if (typeof rows !== 'object' || rows === null) throw new LeptonError('E_PARSE', 'the JSON input must be an object (one row) or an array of objects', 'wrap values in {"column": value}');
    return tableFromRows([rows], model.inputSchema);
  }
  return toTable(await readRaw(input), model.inputSchema);
}

/** Inline JSON rows, '-', or an existing data file that is not a text document. */
function looksLikeRows(input: string): boolean {
  const t = input.trim();
  if (t === '-' || t.startsWith('{') || t.startsWith('[')) return true;
  return !TEXT_EXTENSIONS.includes(extname(input).toLowerCase()) && existsSync(input) && statSync(input).isFile();
}

/** Image files, or folders of them (not recursive), in the order given. */
async function imageInputs(inputs: readonly string[]): Promise<{ name: string; data: string }[]> {
  const out: { name: string; data: string }[] = [];
  for (const input of inputs) {
    if (existsSync(input) && statSync(input).isDirectory()) {
      const files = (await readdir(input)).filter((f) => IMAGE_EXTENSIONS.includes(extname(f).toLowerCase())).sort();
      if (!files.length) throw new LeptonError('E_FILE', `${input} holds no images`, `give image files (${IMAGE_EXTENSIONS.join(' ')})`);
      out.push(...files.map((f) => ({ name: join(input, f), data: join(input, f) })));
    } else if (existsSync(input)) out.push({ name: input, data: input });
    else throw new LeptonError('E_FILE', `image not found: '${input}'`, 'check the path');
  }
  return out;
}

/** Predictions for images: decoded and resized to the model's input, then classified. */
export async function predictImageFiles(model: LeptonModel, inputs: readonly string[]): Promise<{ file: string; prediction: Prediction }[]> {
  const files = await imageInputs(inputs);
  const set = await decodeImages(files, model.imageInput!);
  const preds = model.toPredictions(await model.predictImages(set));
  return preds.map((prediction, i) => ({ file: files[i]!.name, prediction }));
}

/** Text inputs: a .txt/.text/.md file, a folder of them (not recursive), or else the argument itself as the text. */
async function textInputs(inputs: readonly string[]): Promise<{ name: string; text: string }[]> {
  const out: { name: string; text: string }[] = [];
  for (const input of inputs) {
    const isFile = TEXT_EXTENSIONS.includes(extname(input).toLowerCase()) && existsSync(input) && statSync(input).isFile();
    if (existsSync(input) && statSync(input).isDirectory()) {
      const files = (await readdir(input)).filter((f) => TEXT_EXTENSIONS.includes(extname(f).toLowerCase())).sort();
      if (!files.length) throw new LeptonError('E_FILE', `${input} holds no text files`, `give text files (${TEXT_EXTENSIONS.join(' ')}) or the texts themselves`);
      for (const f of files) out.push({ name: join(input, f), text: await readFile(join(input, f), 'utf8') });
    } else if (isFile) out.push({ name: input, text: await readFile(input, 'utf8') });
    else out.push({ name: input, text: input });
  }
  return out;
}

/** Predictions for texts (strings, or .txt files and folders), with the number truncated at the model's seqLen. */
export async function predictTextInputs(model: LeptonModel, inputs: readonly string[]): Promise<{ results: { input: string; prediction: Prediction }[]; truncated: number }> {
  const items = await textInputs(inputs);
  const r = await model.predictTexts(items.map((i) => i.text));
  const preds = model.toPredictions(r.probabilities);
  return { results: preds.map((prediction, i) => ({ input: items[i]!.name, prediction })), truncated: r.truncated };
}

const shorten = (s: string, n = 48) => {
  const one = s.replace(/\s+/g, ' ').trim();
  return one.length > n ? `${one.slice(0, n - 1)}…` : one;
};

export function registerPredict(program: Command): void {
  program
    .command('predict')
    .argument('<model>', 'model file written by `lepton train`')
    .argument('<input...>', "data file, inline JSON row(s), or '-' to read JSON from stdin; image files or folders for an image model")
    .description('predict labels and per-class probabilities (or values) for new rows')
    .option('--json', 'print predictions as JSON')
    .addHelpText(
      'after',
      `
Examples:
  $ lepton predict credit-g.lepton new-applicants.csv
  $ lepton predict credit-g.lepton '{"duration": 24, "credit_amount": 4000, "purpose": "radio/tv"}' --json
  $ cat rows.json | lepton predict credit-g.lepton -
  $ lepton predict scans.lepton new/xray-1.png new/xray-2.jpg       # an image model
  $ lepton predict scans.lepton incoming/ --json                     # every image in a folder
  $ lepton predict tickets.lepton "my card was charged twice"        # a text model: strings,
  $ lepton predict tickets.lepton new-tickets/ --json                #   or .txt files and folders
  $ lepton predict engines.lepton readings.csv                       # a sequence model: one row per id`,
    )
    .action(
      action(async (modelPath: string, inputs: string[], f: { json?: boolean }) => {
        const model = await loadModel(modelPath);
        try {
          if (model.imageInput) {
            const results = await predictImageFiles(model, inputs);
            if (f.json) return printJson(results.map((r) => ({ file: r.file, ...r.prediction })));
            const rows = results.map((r) => ('label' in r.prediction ? [r.file, r.prediction.label, ...model.classes.map((c) => (r.prediction as { probabilities: Record<string, number> }).probabilities[c]!.toFixed(4))] : [r.file]));
            process.stdout.write(`${textTable([['image', 'label', ...model.classes.map((c) => `P(${c})`)], ...rows], 2)}\n`);
            return;
          }
          // A text model trained on a table's text column also reads table rows (a data file or JSON).
          const rowsForText = model.inputSchema.some((s) => s.type === 'text') && inputs.length === 1 && looksLikeRows(inputs[0]!);
          if (model.textInput && !rowsForText) {
            const { results, truncated } = await predictTextInputs(model, inputs);
            if (truncated > 0) process.stderr.write(`${truncated} of ${results.length} texts are longer than ${model.textInput.seqLen} ${model.textInput.unit} and were truncated\n`);
            if (f.json) return printJson(results.map((r) => ({ input: r.input, ...r.prediction })));
            const rows = results.map((r) => [shorten(r.input), (r.prediction as { label: string }).label, ...model.classes.map((c) => (r.prediction as { probabilities: Record<string, number> }).probabilities[c]!.toFixed(4))]);
            process.stdout.write(`${textTable([['text', 'label', ...model.classes.map((c) => `P(${c})`)], ...rows], 2)}\n`);
            return;
          }
          if (inputs.length > 1) throw new LeptonError('E_OPTION', `give one input for a table model, not ${inputs.length}`, 'put the rows in one file, or pass a JSON array');
          const seq = model.sequenceInput;
          if (seq) {
            // One prediction per id of the long table, named by the id.
            const { ids, x } = model.sequenceFeatures(await inputTable(model, inputs[0]!));
            const preds = model.toPredictions(await model.predictFeatures(x));
            if (f.json) return printJson(preds.map((p, i) => ({ [seq.id]: ids[i], ...p })));
            const rows = preds.map((p, i) => [ids[i]!, (p as { label: string }).label, ...model.classes.map((c) => (p as { probabilities: Record<string, number> }).probabilities[c]!.toFixed(4))]);
            process.stdout.write(`${textTable([[seq.id, 'label', ...model.classes.map((c) => `P(${c})`)], ...rows], 2)}\n`);
            return;
          }
          const preds = await predictInput(model, inputs[0]!);
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
