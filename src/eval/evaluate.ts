/**
 * `evaluate`: scores a trained model on labelled data it reads with the model's own schema.
 * @example
 *   const report = await evaluate(model, 'holdout.csv');
 * @module
 */
import { statSync } from 'node:fs';
import { readFolder } from '../data/folders.js';
import type { ImageSet } from '../data/images.js';
import { readRaw } from '../data/readers/index.js';
import { groupSequences, lastLabels, sequenceFeatures } from '../data/sequences.js';
import { toTable } from '../data/infer.js';
import type { Table } from '../data/table.js';
import { LeptonError, listNames } from '../errors.js';
import type { LeptonModel } from '../models/model.js';
import { encodeLabels, labelsOf } from '../prep/target.js';
import { tableTextDataset, textDataset } from '../train/train-texts.js';
import { classificationReport, regressionReport, type EvalReport } from './metrics.js';

/** Report from model outputs (probabilities, or standardised values for regression) and encoded targets. */
export function reportFor(model: LeptonModel, out: Float32Array, y: Int32Array | Float32Array): EvalReport {
  const t = model.target;
  if (t.task === 'classification') return classificationReport(out, y as Int32Array, t.classes);
  return regressionReport(
    out.map((v) => v * t.std + t.mean),
    y.map((v) => v * t.std + t.mean),
  );
}

export async function evaluate(model: LeptonModel, data: Table | string): Promise<EvalReport> {
  if (model.imageInput) {
    if (typeof data !== 'string') throw new LeptonError('E_OPTION', 'an image model is evaluated on images, not a table', 'give a folder with one sub-folder per class');
    const shape = model.imageInput;
    const folder = await readFolder(data, { size: [shape.height, shape.width], channels: shape.channels === 1 ? 1 : 3, split: 't10k' });
    if (folder.kind !== 'images') throw new LeptonError('E_OPTION', `${data} holds no images`, 'give a folder with one sub-folder per class');
    return evaluateImages(model, folder.set);
  }
  const textColumn = model.textInput && model.inputSchema.find((s) => s.type === 'text')?.name;
  if (textColumn && (typeof data !== 'string' || !statSync(data, { throwIfNoEntry: false })?.isDirectory())) {
    // A text model trained on a table's text column: labelled rows of a table.
    const table = typeof data === 'string' ? toTable(await readRaw(data), [...model.inputSchema, model.manifest.targetSchema]) : data;
    const d = tableTextDataset(table, model.target.column, 'classification', textColumn);
    return evaluateTexts(model, d.texts, d.labels, d.classes);
  }
  if (model.textInput) {
    if (typeof data !== 'string') throw new LeptonError('E_OPTION', 'a text model is evaluated on texts, not a table', 'give a folder with one sub-folder of .txt files per class');
    const folder = await readFolder(data);
    if (folder.kind !== 'texts') throw new LeptonError('E_OPTION', `${data} holds no text documents`, 'give a folder with one sub-folder of .txt files per class');
    const d = textDataset(folder.raw);
    return evaluateTexts(model, d.texts, d.labels, d.classes);
  }
  const schema = [...model.inputSchema, model.manifest.targetSchema];
  const table = typeof data === 'string' ? toTable(await readRaw(data), schema) : data;
  const t = model.target;
  if (!table.has(t.column)) {
    throw new LeptonError('E_TARGET', `the data has no target column '${t.column}' to evaluate against; the columns are ${listNames(table.columnNames, 40)}`, 'evaluate on labelled data (use `lepton predict` for unlabelled rows)');
  }
  if (model.sequenceInput) return evaluateSequences(model, table);
  const labels = labelsOf(table, t.column);
  const rows = Int32Array.from(labels.flatMap((l, i) => (l === null ? [] : [i])));
  if (rows.length === 0) throw new LeptonError('E_TARGET', `no row has a value in '${t.column}'`, 'evaluate on labelled data');
  const out = await model.predictFeatures(await model.rowFeatures(table, rows));
  if (t.task === 'regression') {
    const col = table.column(t.column);
    if (col.type !== 'numeric') throw new LeptonError('E_TARGET', `target '${t.column}' is not numeric in this data`, 'give numeric targets');
    return regressionReport(out.map((v) => v * t.std + t.mean), Float64Array.from(rows, (r) => col.values[r]!));
  }
  const y = encodeLabels(t, labels, rows);
  const unknown = y.findIndex((v) => v < 0);
  if (unknown >= 0) {
    throw new LeptonError('E_TARGET', `${table.where(rows[unknown]!)}: label '${labels[rows[unknown]!]}' was not seen in training; the model knows ${listNames(t.classes)}`, 'remove those rows or retrain with them');
  }
  return classificationReport(out, y, t.classes);
}

/** Report on labelled images; their class names are matched to the model's by name. */
export async function evaluateImages(model: LeptonModel, set: ImageSet): Promise<EvalReport> {
  const t = model.target;
  if (t.task !== 'classification') throw new LeptonError('E_OPTION', 'image models classify');
  const index = new Map(t.classes.map((c, i) => [c, i]));
  const unknown = set.classes.find((c) => !index.has(c));
  if (unknown !== undefined) throw new LeptonError('E_TARGET', `class '${unknown}' was not seen in training; the model knows ${listNames(t.classes)}`, 'remove that folder or retrain with it');
  const y = Int32Array.from(set.labels, (l) => index.get(set.classes[l]!)!);
  return classificationReport(await model.predictImages(set), y, t.classes);
}

/** Report on labelled texts (`labels` index into `classes`, matched to the model's classes by name). */
export async function evaluateTexts(model: LeptonModel, texts: readonly string[], labels: Int32Array, classes: readonly string[]): Promise<EvalReport> {
  const t = model.target;
  if (t.task !== 'classification') throw new LeptonError('E_OPTION', 'text models classify');
  const index = new Map(t.classes.map((c, i) => [c, i]));
  const unknown = classes.find((c) => !index.has(c));
  if (unknown !== undefined) throw new LeptonError('E_TARGET', `class '${unknown}' was not seen in training; the model knows ${listNames(t.classes)}`, 'remove that folder or retrain with it');
  if (texts.length === 0) throw new LeptonError('E_VALUE', 'no texts to evaluate', 'give a folder with .txt files');
  const y = Int32Array.from(labels, (l) => index.get(classes[l]!)!);
  return classificationReport((await model.predictTexts(texts)).probabilities, y, t.classes);
}

/** Report for a sequence model on a long table: one example per id, labelled by the target on its last labelled row (as in training). */
export async function evaluateSequences(model: LeptonModel, table: Table): Promise<EvalReport> {
  const s = model.sequenceInput;
  const t = model.target;
  if (!s || t.task !== 'classification') throw new LeptonError('E_OPTION', 'not a sequence classifier', 'use evaluate()');
  const groups = groupSequences(table, s.id, s.time);
  const labels = lastLabels(table, groups.rows, t.column);
  const keep = labels.flatMap((l, i) => (l === null ? [] : [i]));
  if (keep.length === 0) throw new LeptonError('E_TARGET', `no id of '${s.id}' has a value in '${t.column}'`, 'evaluate on labelled data');
  const y = encodeLabels(t, labels, keep);
  const unknown = y.findIndex((v) => v < 0);
  if (unknown >= 0) throw new LeptonError('E_TARGET', `${s.id} '${groups.ids[keep[unknown]!]}': label '${labels[keep[unknown]!]}' was not seen in training; the model knows ${listNames(t.classes)}`, 'remove those ids or retrain with them');
  const { x } = sequenceFeatures(table, keep.map((i) => groups.rows[i]!), s.sensors, s.scaler, s.seqLen);
  return classificationReport(await model.predictFeatures(x), y, t.classes);
}
