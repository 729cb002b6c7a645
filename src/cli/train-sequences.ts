/**
 * `lepton train TABLE --target T --sequence-id ID --sequence-time TIME [--seq-len 50]`: a long
 * table of numeric readings (one row per id and time step) trains the sequence family
 * (`--model auto`, `seqnet` or `gru`: a GRU; `lstm`: an LSTM), one example per id. With `--time`
 * or `--trials` it is AutoML: a search over the network's learning rate, weight decay, batch size
 * and (unless `--model gru|lstm` fixes it) cell, the best trial kept (src/automl/networks.ts).
 * @module
 */
import { existsSync } from 'node:fs';
import { LeptonError } from '../errors.js';
import { saveModel } from '../models/artifact.js';
import { trainSequences, type SequenceTrainResult } from '../train/train-sequences.js';
import { progressPrinter } from './progress.js';
import type { SearchFor, TrainFlags } from './train.js';

export interface SequenceFlags extends TrainFlags {
  sequenceId?: string;
  sequenceTime?: string;
  seqLen?: number;
  time?: string;
  trials?: string;
}

const CELLS: Record<string, 'gru' | 'lstm'> = { auto: 'gru', seqnet: 'gru', gru: 'gru', lstm: 'lstm' };

/** True when the flags ask for sequence training. */
export function wantsSequences(f: object): boolean {
  const s = f as SequenceFlags;
  return s.sequenceId !== undefined || s.sequenceTime !== undefined;
}

/**
 * Trains and saves to `out`; the outcome in the shape the train command prints (never
 * registered). With AutoML (`--time/--trials`), `searchFor` makes the search from the fixed parameters.
 */
export async function trainSequenceTable(
  data: string,
  out: string,
  f: SequenceFlags,
  searchFor?: SearchFor,
): Promise<Pick<SequenceTrainResult, 'leaderboard' | 'test' | 'split'> & { registered?: string; runId?: number }> {
  if (!f.sequenceId || !f.sequenceTime) throw new LeptonError('E_OPTION', 'sequences need both --sequence-id and --sequence-time', 'e.g. --sequence-id unit --sequence-time cycle');
  if (!f.target) throw new LeptonError('E_OPTION', 'give the label column with --target', "each id's label is the target on its last row, e.g. --target fail_soon");
  const cell = CELLS[f.model];
  if (!cell) throw new LeptonError('E_OPTION', `--model ${f.model} is for single rows; sequences train a gru or an lstm`, 'leave --model out (a GRU), or give --model lstm');
  const other = f as SequenceFlags & Record<string, unknown>;
  for (const flag of ['register', 'balance', 'hidden', 'rounds', 'size', 'channels', 'augment']) {
    if (other[flag] !== undefined) throw new LeptonError('E_OPTION', `--${flag} is not supported for sequences`, `leave --${flag} out`);
  }
  if (f.task === 'regression') throw new LeptonError('E_OPTION', 'sequence models classify so far', 'give a categorical or 0/1 target, or leave --task out');
  if (!existsSync(data)) throw new LeptonError('E_FILE', `file not found: '${data}'`, 'check the path');
  const automl = searchFor !== undefined;
  // AutoML searches the cell unless --model names one.
  const params: Record<string, unknown> = automl && (f.model === 'auto' || f.model === 'seqnet') ? {} : { cell };
  if (f.epochs !== undefined) params.epochs = f.epochs;
  if (f.lr !== undefined) params.lr = f.lr;
  if (f.batchSize !== undefined) params.batchSize = f.batchSize;
  if (f.classWeights) params.classWeights = f.classWeights;
  const quiet = Boolean(f.quiet || f.json);
  const search = searchFor?.('seqnet', params);
  const result = await trainSequences(data, { target: f.target, id: f.sequenceId, time: f.sequenceTime, seqLen: f.seqLen, drop: f.drop, params, seed: f.seed, torchThreads: f.threads, onProgress: progressPrinter(quiet || automl), source: data, search });
  try {
    if (!quiet) {
      const seqLen = result.model.sequenceInput!.seqLen;
      process.stderr.write(`${data}: ${result.ids} sequences of '${f.sequenceId}' by '${f.sequenceTime}', ${result.sensors.length} sensors (${result.sensors.join(', ')}), the last ${seqLen} steps each\n`);
      if (result.truncated > 0) process.stderr.write(`${result.truncated} of ${result.split.train} training sequences are longer than ${seqLen} steps; their earlier steps were not read (raise --seq-len to read more)\n`);
    }
    await saveModel(result.model, out);
  } finally {
    result.model.dispose();
  }
  return { leaderboard: result.leaderboard, test: result.test, split: result.split };
}
