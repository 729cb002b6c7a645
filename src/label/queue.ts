/**
 * Active learning: rank the rows whose label is missing by how unsure a model is about them,
 * so people label the rows that teach the model most. The queue goes out as a CSV to fill in
 * (`queueTable`), comes back through `readLabelFile`, or is labelled row by row
 * (`labelInteractively`). Rows are numbered from 1, in the dataset version's order.
 * @module
 */
import { isMissing, toTable, type RawCell, type RawTable } from '../data/infer.js';
import { isDict, Table, type Column } from '../data/table.js';
import { LeptonError, listNames } from '../errors.js';
import type { LeptonModel } from '../models/model.js';
import { knownLabels, labelAt } from './labels.js';
import { mostUncertain, scoreRows, type Strategy } from './uncertainty.js';

export interface QueueEntry {
  /** 1-based row number in the dataset version. */
  row: number;
  uncertainty: number;
  /** The model's guess. */
  label: string;
  probabilities: Record<string, number>;
}

export interface Queue {
  strategy: Strategy;
  /** Rows whose target is missing (the candidates). */
  unlabelled: number;
  entries: QueueEntry[];
}

/** The model must be a classifier of `target`; an error says what to change otherwise. */
export function checkQueueModel(model: LeptonModel, target: string, modelName: string): void {
  if (model.task !== 'classification') throw new LeptonError('E_OPTION', `${modelName} is a regression model; active learning needs class probabilities`, 'train a classifier (categorical target) for labelling');
  if (model.target.column !== target) throw new LeptonError('E_OPTION', `${modelName} predicts '${model.target.column}', not '${target}'`, `pass --target ${model.target.column}, or a model trained with --target ${target}`);
}

/** The rows of `table` as the model's input: cells coerced to its training schema. */
function modelInput(model: LeptonModel, table: Table): Table {
  const names = table.columnNames;
  const cells = table.columns.map((c) => Array.from({ length: table.numRows }, (_, r): RawCell => table.cell(c.name, r)));
  return toTable({ names, cells, source: table.source, lines: table.sourceLines }, model.inputSchema);
}

/** Ranks the rows whose `target` is missing, most uncertain first, and keeps `batch` of them. */
export async function buildQueue(model: LeptonModel, table: Table, opts: { target: string; strategy: Strategy; batch: number }): Promise<Queue> {
  const col = table.column(opts.target);
  const candidates: number[] = [];
  for (let r = 0; r < table.numRows; r++) if (isDict(col) ? col.codes[r]! < 0 : Number.isNaN(col.values[r]!)) candidates.push(r);
  if (candidates.length === 0) return { strategy: opts.strategy, unlabelled: 0, entries: [] };
  const probs = await model.predictTable(modelInput(model, table.take(candidates)));
  const k = model.classes.length;
  const scores = scoreRows(probs, k, opts.strategy);
  const entries = mostUncertain(scores, opts.batch).map((i): QueueEntry => {
    const probabilities: Record<string, number> = {};
    let best = 0;
    for (let c = 0; c < k; c++) {
      probabilities[model.classes[c]!] = probs[i * k + c]!;
      if (probs[i * k + c]! > probs[i * k + best]!) best = c;
    }
    return { row: candidates[i]! + 1, uncertainty: scores[i]!, label: model.classes[best]!, probabilities };
  });
  return { strategy: opts.strategy, unlabelled: candidates.length, entries };
}

const round4 = (x: number) => Math.round(x * 1e4) / 1e4;

/**
 * The queue as a table for people: row, label (empty, to fill in), uncertainty, the model's
 * guess, one P(class) column per class, then the row's columns (the target left out). A data
 * column whose name clashes with those is written as "NAME (data)".
 */
export function queueTable(queue: Queue, table: Table, target: string, classes: readonly string[]): Table {
  const n = queue.entries.length;
  const num = (name: string, f: (e: QueueEntry) => number): Column => ({ name, type: 'numeric', values: Float64Array.from(queue.entries, f) });
  const own: Column[] = [
    num('row', (e) => e.row),
    { name: 'label', type: 'categorical', codes: new Int32Array(n).fill(-1), dictionary: [] },
    num('uncertainty', (e) => round4(e.uncertainty)),
    { name: 'predicted', type: 'categorical', codes: Int32Array.from(queue.entries, (e) => classes.indexOf(e.label)), dictionary: [...classes] },
    ...classes.map((c) => num(`P(${c})`, (e) => round4(e.probabilities[c] ?? 0))),
  ];
  const taken = n ? table.take(queue.entries.map((e) => e.row - 1)) : table.take([]);
  const ownNames = new Set(own.map((c) => c.name));
  const data = taken.columns.filter((c) => c.name !== target).map((c) => (ownNames.has(c.name) ? { ...c, name: `${c.name} (data)` } : c));
  return new Table([...own, ...data], n);
}

// ---------------------------------------------------------------- importing filled labels

export interface ImportOptions {
  /** Labels accepted: the model's classes and those the column already holds. */
  classes: readonly string[];
  /** Accept labels outside `classes` (each new one is reported as a warning). */
  allowNew?: boolean;
  /** Replace a different label a row already has (otherwise that is an error). */
  overwrite?: boolean;
}

export interface ImportResult {
  /** Per dataset row: the label to write, or undefined to leave the row as it is. */
  labels: (string | undefined)[];
  /** Rows that get a label (new or changed). */
  labelled: number;
  /** Rows whose file label equals the label they already have. */
  unchanged: number;
  /** File rows with an empty label (not labelled yet). */
  empty: number;
  warnings: string[];
}

function sameCell(fileCell: RawCell, value: string | number | boolean | null): boolean {
  if (isMissing(fileCell)) return value === null;
  if (value === null) return false;
  const s = String(fileCell).trim();
  if (typeof value === 'number') return Number(s) === value;
  if (typeof value === 'boolean') return s.toLowerCase() === String(value);
  if (s === value) return true;
  const a = Date.parse(s);
  return /^\d{4}-\d{2}-\d{2}/.test(value) && Number.isFinite(a) && a === Date.parse(value);
}

/**
 * Reads filled labels (`row` plus `label`, or a column named like the target) against the
 * dataset version. Every problem (a row that does not exist, a row whose values differ from
 * the dataset's — the queue came from another version —, a label that is not a known class,
 * a row given two labels, a row that already has another label) is an error naming the file
 * line and row; all of them are listed at once, and nothing is recorded until the file is right.
 */
export function readLabelFile(raw: RawTable, table: Table, target: string, opts: ImportOptions): ImportResult {
  const source = raw.source ?? 'labels file';
  const rowIdx = raw.names.indexOf('row');
  const labelIdx = raw.names.includes('label') ? raw.names.indexOf('label') : raw.names.indexOf(target);
  if (rowIdx < 0 || labelIdx < 0) {
    throw new LeptonError('E_COLUMN', `${source} needs the columns 'row' and 'label'; it has ${listNames(raw.names)}`, 'fill in the file `lepton label queue --out` wrote, or write a CSV with the header row,label');
  }
  table.column(target);
  const classes = new Set(opts.classes);
  const checked = raw.names.filter((n, i) => i !== rowIdx && i !== labelIdx && n !== target && table.has(n));
  const problems: string[] = [];
  const warnings: string[] = [];
  const labels: (string | undefined)[] = new Array(table.numRows);
  const given = new Map<number, { label: string; line: number }>();
  let labelled = 0;
  let unchanged = 0;
  let empty = 0;
  const n = raw.cells[0]?.length ?? 0;
  for (let i = 0; i < n; i++) {
    const at = `${source} line ${raw.lines?.[i] ?? i + 2}`;
    const cell = raw.cells[labelIdx]![i];
    const rowCell = raw.cells[rowIdx]![i];
    if (isMissing(cell)) {
      empty++;
      continue;
    }
    const label = String(cell).trim();
    const rowNum = Number(String(rowCell ?? '').trim());
    if (!Number.isInteger(rowNum) || rowNum < 1 || rowNum > table.numRows) {
      problems.push(`${at}: row '${String(rowCell ?? '')}' does not exist (${table.source ?? 'the dataset'} has rows 1 to ${table.numRows})`);
      continue;
    }
    const r = rowNum - 1;
    const differs = checked.find((name) => !sameCell(raw.cells[raw.names.indexOf(name)]![i], table.cell(name, r)));
    if (differs !== undefined) {
      problems.push(`${at}: row ${rowNum} has ${differs} = '${String(raw.cells[raw.names.indexOf(differs)]![i] ?? '')}' in the file but '${String(table.cell(differs, r) ?? '')}' in ${table.source ?? 'the dataset'} (was the queue made from another version?)`);
      continue;
    }
    if (!classes.has(label)) {
      const close = [...classes].find((c) => c.toLowerCase() === label.toLowerCase());
      if (!opts.allowNew || close) {
        problems.push(`${at}: row ${rowNum}: '${label}' is not a known label of '${target}'${close ? ` (did you mean '${close}'?)` : `; the labels are ${listNames([...classes])}`}`);
        continue;
      }
      warnings.push(`${at}: row ${rowNum}: new label '${label}'`);
      classes.add(label);
    }
    const seen = given.get(r);
    if (seen !== undefined) {
      if (seen.label !== label) problems.push(`${at}: row ${rowNum} is labelled again, differently ('${label}'; it was '${seen.label}' on line ${seen.line})`);
      continue;
    }
    given.set(r, { label, line: raw.lines?.[i] ?? i + 2 });
    const old = labelAt(table, target, r);
    if (old === label) {
      unchanged++;
      continue;
    }
    if (old !== null && !opts.overwrite) {
      problems.push(`${at}: row ${rowNum} already has the label '${old}' (the file says '${label}')`);
      continue;
    }
    if (old !== null) warnings.push(`${at}: row ${rowNum}: '${old}' replaced by '${label}'`);
    labels[r] = label;
    labelled++;
  }
  if (problems.length) {
    const shown = problems.slice(0, 8);
    throw new LeptonError(
      'E_VALUE',
      `${problems.length} problem${problems.length > 1 ? 's' : ''} in ${source}; nothing was recorded:\n  ${shown.join('\n  ')}${problems.length > shown.length ? `\n  … and ${problems.length - shown.length} more` : ''}`,
      problems.some((p) => p.includes('already has the label')) ? 'fix those lines, or pass --overwrite to replace existing labels' : problems.some((p) => p.includes('not a known label')) ? 'fix those labels, or pass --new-labels to add new classes' : 'fix those lines and import again',
    );
  }
  return { labels, labelled, unchanged, empty, warnings };
}

/** The labels an import or a person may give: the model's classes, then the column's own. */
export function labelChoices(table: Table, target: string, modelClasses: readonly string[] = []): string[] {
  return [...new Set([...modelClasses, ...knownLabels(table, target)])];
}

// ---------------------------------------------------------------- interactive labelling

export interface Prompter {
  /** The next line typed (without the newline), or null at the end of input. */
  read(): Promise<string | null>;
  write(text: string): void;
}

export interface InteractiveResult {
  labels: Map<number, string>;
  /** Labels equal to the model's guess (enter, or typed). */
  agreed: number;
  skipped: number;
  /** True when the person stopped early (q or end of input). */
  stopped: boolean;
}

function fmtCell(v: string | number | boolean | null): string {
  return v === null ? '(missing)' : String(v);
}

/**
 * Shows each queued row (column: value lines), the model's guess and probabilities, and reads
 * a label: enter accepts the guess, a class name (or its number in the list) gives that label,
 * `s` skips the row, `q` (or the end of input) stops; anything else is asked again.
 */
export async function labelInteractively(queue: Queue, table: Table, target: string, classes: readonly string[], io: Prompter): Promise<InteractiveResult> {
  const labels = new Map<number, string>();
  let agreed = 0;
  let skipped = 0;
  const width = Math.max(...table.columnNames.map((n) => n.length));
  const total = queue.entries.length;
  for (const [i, e] of queue.entries.entries()) {
    const r = e.row - 1;
    const lines = table.columnNames.filter((n) => n !== target).map((n) => `  ${n.padEnd(width)}  ${fmtCell(table.cell(n, r))}`);
    const probs = classes.map((c, j) => `${j + 1}) ${c} ${(e.probabilities[c] ?? 0).toFixed(3)}`).join('  ');
    io.write(`\n[${i + 1}/${total}] row ${e.row}  uncertainty ${e.uncertainty.toFixed(3)} (${queue.strategy})\n${lines.join('\n')}\nmodel guess: ${e.label}   ${probs}\n`);
    for (;;) {
      io.write(`${target} [${e.label}] (enter = ${e.label}, a label or its number, s = skip, q = stop and save): `);
      const line = await io.read();
      if (line === null) {
        io.write('\n');
        return { labels, agreed, skipped, stopped: true };
      }
      const answer = line.trim();
      if (answer === 'q') return { labels, agreed, skipped, stopped: true };
      if (answer === 's') {
        skipped++;
        break;
      }
      if (answer === '') {
        labels.set(r, e.label);
        agreed++;
        break;
      }
      const exact = classes.find((c) => c === answer) ?? classes.find((c) => c.toLowerCase() === answer.toLowerCase());
      const byNumber = /^\d+$/.test(answer) ? classes[Number(answer) - 1] : undefined;
      const label = exact ?? byNumber;
      if (label !== undefined) {
        labels.set(r, label);
        if (label === e.label) agreed++;
        break;
      }
      io.write(`'${answer}' is not a label; type one of ${classes.join(', ')}, its number, enter, s or q\n`);
    }
  }
  return { labels, agreed, skipped, stopped: false };
}
