/**
 * `trainMixed`: one network over table rows whose columns mix tabular values with free text
 * and images (the 'mixed' family), Ludwig-style: the pipeline, fitted on the training split only,
 * turns a row into [scaled / one-hot tabular features | seqLen word ids per text column | pixels
 * per image column] (each text column's vocabulary comes from its training rows; image files are
 * decoded first, to the most common size, src/data/image-columns.ts); DEFAULT_MIXED_NET encodes each part in its
 * own branch and a dense head combines them. The same split, early stopping and test report as
 * the other networks (train-network.ts). The model reads table rows, so `predict`, `eval` and
 * serving `{"rows": [...]}` work as for any table model.
 *
 * `chooseTableFamily` is what `lepton train --model auto` does with a table: no free-text column
 * or image column (src/data/infer.ts's isFreeText, isImageColumn) → the tabular candidates; the
 * only feature is text → textnet; text or images beside other columns (or images alone) → mixed.
 * @example
 *   const { model, test } = await trainMixed('tickets.csv', { target: 'priority', seqLen: 64 });
 *   const [p] = await model.predict({ subject: 'card charged twice', amount: 120 });
 * @module
 */
import { fitOrSearch, type NetworkSearch } from '../automl/networks.js';
import { decodeImageColumns } from '../data/image-columns.js';
import { isImageColumn } from '../data/infer.js';
import { isDict, type Table } from '../data/table.js';
import { LeptonError, listNames } from '../errors.js';
import { MixedNetParams } from '../models/spec.js';
import { Pipeline } from '../prep/pipeline.js';
import { fitTarget, type Task } from '../prep/target.js';
import { WordTokenizer, type TokenizerOptions } from '../text/tokenizer.js';
import { parseNetParams, trainNetwork, type NetworkTrainOptions, type NetworkTrainResult } from './train-network.js';
import { loadInput, MIN_ROWS } from './train.js';

export interface MixedTrainOptions extends NetworkTrainOptions {
  /** Column to predict (classification). */
  target: string;
  task?: Task;
  /** Columns to leave out (identifiers, leaks). */
  drop?: string[];
  /** Network hyper-parameters (textEncoder, epochs, lr, …); see MixedNetParams. Threads default to 1. */
  params?: Partial<MixedNetParams>;
  /** Words per text the network reads, per text column (default 64); longer texts are truncated. */
  seqLen?: number;
  /** Vocabulary options (default minFreq 2, maxSize 20000). */
  tokenizer?: TokenizerOptions;
  /** Image columns: decode to this [height, width] (default: the most common size); other sizes are resized. */
  imageSize?: [number, number];
  /** Image columns: 1 (grey) or 3 (RGB); default grey when every image is. */
  channels?: 1 | 3;
  /** AutoML: search the network's hyper-parameters on the validation split instead of one default fit. */
  search?: NetworkSearch;
}

export interface MixedTrainResult extends NetworkTrainResult {
  /** Per text column, the training texts longer than seqLen words (cut before the network saw them). */
  truncated: { column: string; seqLen: number; count: number }[];
}

export interface FamilyChoice {
  family: 'tabular' | 'textnet' | 'mixed';
  /** The free-text feature columns. */
  textColumns: string[];
  /** The image feature columns. */
  imageColumns: string[];
  /** One line for the user: why this family. */
  reason: string;
}

/** The free-text columns among `columns` (image columns are not text). */
export function textColumns(table: Table, columns: readonly string[]): string[] {
  return columns.filter((c) => table.column(c).type === 'text' && !isImageColumn(table.column(c)));
}

/** The image columns among `columns` (file paths, data URIs or base64 images). */
export function imageColumns(table: Table, columns: readonly string[]): string[] {
  return columns.filter((c) => isImageColumn(table.column(c)));
}

/** `--model auto` for a table: which family reads its feature columns (see the module comment). */
export function chooseTableFamily(table: Table, target: string, task?: Task): FamilyChoice {
  const features = table.columnNames.filter((c) => c !== target);
  const texts = textColumns(table, features);
  const images = imageColumns(table, features);
  const named = [texts.length ? `free-text column${texts.length > 1 ? 's' : ''} ${listNames(texts)}` : '', images.length ? `image column${images.length > 1 ? 's' : ''} ${listNames(images)}` : ''].filter(Boolean).join(' and ');
  const found = { textColumns: texts, imageColumns: images };
  if (texts.length + images.length === 0) return { family: 'tabular', ...found, reason: 'no free-text column' };
  if (fitTarget(table, target, task).encoder.task !== 'classification') {
    return { family: 'tabular', ...found, reason: `${named} left out: ${images.length ? 'mixed' : 'text'} models classify, and '${target}' is a regression target` };
  }
  if (features.length === 1 && texts.length === 1) return { family: 'textnet', ...found, reason: `the only feature, '${texts[0]}', is free text` };
  const others = features.length - texts.length - images.length;
  return { family: 'mixed', ...found, reason: others === 0 ? named : `${named} beside ${others} other column${others === 1 ? '' : 's'}` };
}

/** Trains a mixed classifier on a table (or file) with at least one free-text column. */
export async function trainMixed(data: Table | string, options: MixedTrainOptions): Promise<MixedTrainResult> {
  const table = await loadInput(data, options.drop);
  const { encoder, y, rows } = fitTarget(table, options.target, options.task);
  if (encoder.task !== 'classification') {
    throw new LeptonError('E_TARGET', `mixed models classify; '${options.target}' is a regression target`, 'leave --model out (the text columns are then left out), or pass --task classification');
  }
  if (rows.length < MIN_ROWS) throw new LeptonError('E_TARGET', `only ${rows.length} rows have a value in '${options.target}'; at least ${MIN_ROWS} are needed`, 'add labelled rows');
  const features = table.columnNames.filter((c) => c !== options.target);
  const images = imageColumns(table, features);
  if (textColumns(table, features).length + images.length === 0) {
    throw new LeptonError('E_COLUMN', `no free-text or image column among ${listNames(features, 20)}`, 'mixed models read text or images beside other columns; leave --model out to train the tabular families');
  }
  // Decoded once for every row (sharp is asynchronous, the pipeline is not): the split's rows read them.
  const imageShapes = await decodeImageColumns(table, images, { size: options.imageSize, channels: options.channels });
  const parse = (p?: Record<string, unknown>) => parseNetParams(MixedNetParams, { ...options.params, ...p }, 'mixed network', 'see `lepton train --help` for the mixed options');
  const params = parse();
  const seqLen = options.seqLen ?? 64;
  let truncated: MixedTrainResult['truncated'] = [];
  const result = await trainNetwork({
    family: 'mixed',
    labels: y as Int32Array,
    classes: encoder.classes,
    params,
    options: { ...options, targetSchema: table.schema.find((s) => s.name === options.target), source: options.source ?? table.source },
    defaultThreads: 1,
    prepare: (split) => {
      const at = (positions: Int32Array) => Int32Array.from(positions, (p) => rows[p]!);
      // Scaling statistics and vocabularies see the training split only.
      const trainRows = at(split.train);
      const pipeline = Pipeline.fit(table, features, trainRows, { seqLen, tokenizer: options.tokenizer, images: imageShapes });
      const l = pipeline.layout;
      truncated = truncatedTexts(table, pipeline, trainRows);
      return {
        features: (positions) => pipeline.transform(table, at(positions)),
        numFeatures: pipeline.outputDim,
        input: { kind: 'mixed' },
        pipeline: pipeline.state,
        fit: (train, val, ctx) => fitOrSearch(options.search, params, parse, { family: 'mixed', layout: l }, train, val, ctx),
        summary: () => ({
          mixed: {
            tabularFeatures: l.tabular,
            texts: l.texts.map((t, i) => ({ column: t.column, seqLen: t.seqLen, vocabSize: t.vocab, truncatedTrain: truncated[i]!.count })),
            ...(l.images.length ? { images: l.images.map(({ column, channels, height, width }) => ({ column, channels, height, width })) } : {}),
          },
        }),
      };
    },
  });
  return { ...result, truncated };
}

/** Training texts longer than their column's seqLen words, per text column (each distinct text measured once). */
function truncatedTexts(table: Table, pipeline: Pipeline, rows: Int32Array): MixedTrainResult['truncated'] {
  return pipeline.state.steps.flatMap((st) => {
    const col = table.column(st.column);
    if (st.kind !== 'tokens' || !isDict(col)) return [];
    const tok = WordTokenizer.fromJSON(st.vocab);
    const long = col.dictionary.map((t) => tok.words(t).length > st.seqLen);
    let count = 0;
    for (const r of rows) if (long[col.codes[r]!]) count++;
    return [{ column: st.column, seqLen: st.seqLen, count }];
  });
}
