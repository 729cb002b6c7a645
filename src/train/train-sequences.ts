/**
 * `trainSequences`: a classifier of numeric sequences (the 'seqnet' family: mask → GRU 64, or
 * LSTM → last valid step → dense) from a long table with one row per id and time step, e.g.
 * sensor readings per machine and cycle. Rows are grouped by the id column and sorted by the
 * time column; each id is one example whose label is the target on its last row (in time order)
 * that has one, so a per-row label such as "fails within 20 cycles" becomes the label of the
 * id's latest state, and a label constant within an id is simply that label. Each id's last
 * `seqLen` steps are read; sensors are standardised with statistics of the training ids only and
 * shorter sequences are right-padded (masked, so the pads never count). The stratified 70/15/15
 * split is over ids, so no id's rows are in two splits.
 * @example
 *   const { model, test } = await trainSequences('engines.csv', { target: 'fail_soon', id: 'unit', time: 'cycle', seqLen: 50 });
 *   await saveModel(model, 'engines.lepton');
 * @module
 */
import { fitSequenceScaler, groupSequences, lastLabels, sensorColumns, sequenceFeatures } from '../data/sequences.js';
import type { Table } from '../data/table.js';
import { LeptonError, listNames } from '../errors.js';
import { fitOrSearch, type NetworkSearch } from '../automl/networks.js';
import { SeqNetParams } from '../models/spec.js';
import { parseNetParams, trainNetwork, type NetworkTrainOptions, type NetworkTrainResult } from './train-network.js';
import { loadInput, MIN_ROWS } from './train.js';

export interface SequenceTrainOptions extends NetworkTrainOptions {
  /** The label column (its value on each id's last labelled row is the id's label). */
  target: string;
  /** Column naming the sequence (machine, unit, patient, …). */
  id: string;
  /** Column ordering the steps (cycle number, timestamp). */
  time: string;
  /** Steps per id the network reads, the latest ones (default 50). */
  seqLen?: number;
  /** Sensor columns (default: every numeric or boolean column but the id, time and target). */
  sensors?: string[];
  /** Columns to leave out. */
  drop?: string[];
  /** Network hyper-parameters (cell, epochs, lr, …); see SeqNetParams. Threads default to 1. */
  params?: Partial<SeqNetParams>;
  /** AutoML: search the network's hyper-parameters on the validation split instead of one default fit. */
  search?: NetworkSearch;
}

export interface SequenceTrainResult extends NetworkTrainResult {
  sensors: string[];
  /** Ids with a label (the examples). */
  ids: number;
  /** Training ids with more than seqLen steps (only the last seqLen were read). */
  truncated: number;
}

export async function trainSequences(data: Table | string, options: SequenceTrainOptions): Promise<SequenceTrainResult> {
  const table = await loadInput(data, options.drop);
  const seqLen = options.seqLen ?? 50;
  if (!Number.isInteger(seqLen) || seqLen < 1) throw new LeptonError('E_OPTION', `seqLen must be a positive integer, got ${seqLen}`, 'e.g. --seq-len 50');
  const parse = (p?: Record<string, unknown>) => parseNetParams(SeqNetParams, { ...options.params, ...p }, 'sequence network', 'see `lepton train --help` for the sequence options');
  const params = parse();
  const groups = groupSequences(table, options.id, options.time);
  const labels = lastLabels(table, groups.rows, options.target);
  const keep = labels.flatMap((l, i) => (l === null ? [] : [i]));
  if (keep.length < MIN_ROWS) throw new LeptonError('E_TARGET', `only ${keep.length} ids of '${options.id}' have a value in '${options.target}'; at least ${MIN_ROWS} are needed`, 'each id is one example: add sequences');
  const classes = [...new Set(keep.map((i) => labels[i]!))].sort();
  if (classes.length < 2) throw new LeptonError('E_TARGET', `every id's last label in '${options.target}' is '${classes[0]}'`, 'a classifier needs ids of at least two classes');
  const index = new Map(classes.map((c, i) => [c, i]));
  const y = Int32Array.from(keep, (i) => index.get(labels[i]!)!);
  const rows = keep.map((i) => groups.rows[i]!);
  const sensors = options.sensors ?? sensorColumns(table, [options.id, options.time, options.target]);
  if (sensors.length === 0) throw new LeptonError('E_COLUMN', `no numeric column besides '${options.id}', '${options.time}' and '${options.target}'; the columns are ${listNames(table.columnNames)}`, 'sequences need numeric readings (sensors) per step');
  for (const s of sensors) if ([options.id, options.time, options.target].includes(s)) throw new LeptonError('E_OPTION', `'${s}' cannot be a sensor: it is the id, time or target column`, 'leave it out of the sensors');
  // Ids are read as plain values at prediction (new ids are the point), so no category list is stored.
  const inputs = [options.id, options.time, ...sensors].map((c) => ({ ...table.schema.find((s) => s.name === c)!, categories: undefined }));
  let truncated = 0;
  const result = await trainNetwork({
    family: 'seqnet',
    labels: y,
    classes,
    params,
    options: { ...options, source: options.source ?? table.source, targetSchema: { name: options.target, type: 'categorical', categories: classes } },
    defaultThreads: 1,
    prepare: (split) => {
      const pick = (r: Int32Array) => Array.from(r, (k) => rows[k]!);
      const scaler = fitSequenceScaler(table, pick(split.train), sensors, seqLen);
      return {
        features: (r) => {
          const f = sequenceFeatures(table, pick(r), sensors, scaler, seqLen);
          if (r === split.train) truncated = f.truncated;
          return f.x;
        },
        numFeatures: seqLen * (sensors.length + 1),
        input: { kind: 'sequence', id: options.id, time: options.time, sensors, seqLen, scaler },
        pipeline: { version: 1, inputs: inputs.map(({ categories, ...s }) => s), steps: [], skipped: [] },
        fit: (train, val, ctx) => fitOrSearch(options.search, params, parse, { family: 'seqnet', shape: { seqLen, sensors: sensors.length } }, train, val, ctx),
        summary: () => ({ sequences: { ids: keep.length, id: options.id, time: options.time, seqLen, sensors, truncatedTrain: truncated, label: 'the target on each id\'s last labelled row' } }),
      };
    },
  });
  if (options.search) result.model.manifest.training = { ...result.model.manifest.training, automl: options.search.summary() };
  return { ...result, sensors, ids: keep.length, truncated };
}
