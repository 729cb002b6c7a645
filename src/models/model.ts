/**
 * A trained Lepton model: the fitted pipeline, the target encoder and one or more fitted
 * members (an ensemble averages their outputs). It predicts from tables or JSON rows and
 * saves to / loads from a single self-contained artifact file.
 * @example
 *   const model = await loadModel('credit.lepton');
 *   const [p] = await model.predict({ duration: 12, purpose: 'radio/tv', ... });
 *   model.dispose();
 * @module
 */
import { imageFeatures, type ImageSet } from '../data/images.js';
import { groupSequences, sequenceFeatures } from '../data/sequences.js';
import { tableFromRows } from '../data/readers/index.js';
import type { ColumnSchema, Table } from '../data/table.js';
import { LeptonError } from '../errors.js';
import { Pipeline } from '../prep/pipeline.js';
import type { TargetEncoder } from '../prep/target.js';
import { HfTokenizer } from '../text/hf-tokenizer.js';
import { WordTokenizer, type TextEncoder } from '../text/tokenizer.js';
import { blend } from './blend.js';
import type { Member } from './member.js';
import { predictStack } from './stacking.js';
import type { Manifest } from './artifact.js';

export type Prediction =
  | { label: string; probabilities: Record<string, number> }
  | { value: number };

/** Text-model output: class probabilities (n × k) and how many texts were cut at seqLen. */
export interface TextPredictions {
  probabilities: Float32Array;
  /** Texts longer than the model's seqLen words, truncated before prediction. */
  truncated: number;
  warnings: string[];
}

export class LeptonModel {
  readonly pipeline: Pipeline;
  private disposed = false;
  private tokenizer: TextEncoder | undefined;

  constructor(
    readonly manifest: Manifest,
    readonly members: readonly Member[],
  ) {
    this.pipeline = new Pipeline(manifest.pipeline);
  }

  get task(): 'classification' | 'regression' {
    return this.manifest.target.task;
  }

  get target(): TargetEncoder {
    return this.manifest.target;
  }

  get classes(): string[] {
    return this.manifest.target.task === 'classification' ? this.manifest.target.classes : [];
  }

  /** Columns a prediction input must have, with their training types. */
  get inputSchema(): ColumnSchema[] {
    return this.manifest.pipeline.inputs;
  }

  /** The pixel shape an image model reads; undefined for table models. */
  get imageInput(): { channels: number; height: number; width: number } | undefined {
    const i = this.manifest.input;
    return i?.kind === 'image' ? i : undefined;
  }

  /**
   * The row length and tokenizer (word vocabulary, or a checkpoint's tokenizer.json) a text model
   * reads, and what seqLen counts; undefined for other models.
   */
  get textInput(): { seqLen: number; vocab: TextEncoder; unit: 'words' | 'tokens' } | undefined {
    const i = this.manifest.input;
    if (i?.kind !== 'text') return undefined;
    this.tokenizer ??= i.tokenizer ? HfTokenizer.fromJSON(i.tokenizer) : WordTokenizer.fromJSON(i.vocab);
    return { seqLen: i.seqLen, vocab: this.tokenizer, unit: i.tokenizer ? 'tokens' : 'words' };
  }

  /** What a recommendation model reads (item histories, the classes being the items); undefined for other models. */
  get historyInput(): { seqLen: number; items: string[]; popular: [item: number, share: number][] } | undefined {
    const i = this.manifest.input;
    return i?.kind === 'history' ? { seqLen: i.seqLen, items: this.classes, popular: i.popular } : undefined;
  }

  /** The long table a sequence model reads (id, time and sensor columns, seqLen, training scaler); undefined for other models. */
  get sequenceInput(): Extract<NonNullable<Manifest['input']>, { kind: 'sequence' }> | undefined {
    const i = this.manifest.input;
    return i?.kind === 'sequence' ? i : undefined;
  }

  /** A sequence model's input from a long table (rows of any ids, in any order): one row per id, ids in first-seen order. */
  sequenceFeatures(table: Table): { ids: string[]; x: Float32Array; truncated: number } {
    const s = this.sequenceInput;
    if (!s) throw new LeptonError('E_OPTION', 'this model reads one row per prediction, not sequences', 'give rows without grouping');
    const groups = groupSequences(table, s.id, s.time);
    return { ids: groups.ids, ...sequenceFeatures(table, groups.rows, s.sensors, s.scaler, s.seqLen) };
  }

  /** Network input for a table: the pipeline's features per row, or for a sequence model one row per id. */
  async tableFeatures(table: Table): Promise<Float32Array> {
    return this.sequenceInput ? this.sequenceFeatures(table).x : this.rowFeatures(table);
  }

  /**
   * The pipeline's features for `rows` of `table` (default: all), where rows enter the model:
   * image columns are decoded first (asynchronously; `paths: false` refuses file paths, for rows
   * sent over HTTP), then the pipeline transforms.
   * @example
   *   const x = await model.rowFeatures(table, testRows);
   */
  async rowFeatures(table: Table, rows?: ArrayLike<number>, opts: { paths?: boolean } = {}): Promise<Float32Array> {
    await this.pipeline.decodeImages(table, rows, opts);
    return this.pipeline.transform(table, rows);
  }

  /** Token ids (n × seqLen) for texts, with the stored vocabulary; throws for non-text models and bad input. */
  encodeTexts(texts: readonly string[]): { ids: Float32Array; truncated: number; warnings: string[] } {
    const want = this.textInput;
    if (!want) throw new LeptonError('E_OPTION', `this model reads ${this.imageInput ? 'images' : 'table rows'}, not texts`, this.imageInput ? 'give image files' : 'give rows (a data file or JSON)');
    texts.forEach((t, i) => {
      if (typeof t !== 'string') throw new LeptonError('E_VALUE', `texts[${i}] is not a string`, 'give each text as a string');
    });
    const enc = want.vocab.encode(texts, want.seqLen);
    return { ids: enc.ids, truncated: enc.truncated, warnings: enc.warnings };
  }

  /** Class probabilities (n × k) for texts; texts longer than seqLen words are truncated and counted. */
  async predictTexts(texts: readonly string[]): Promise<TextPredictions> {
    const { ids, truncated, warnings } = this.encodeTexts(texts);
    if (texts.length === 0) return { probabilities: new Float32Array(0), truncated, warnings };
    return { probabilities: await this.predictFeatures(ids), truncated, warnings };
  }

  /**
   * Class probabilities (n × k) for images, which must already have the model's size and
   * channels (readImageFolder / decodeImages with the model's `imageInput`).
   */
  async predictImages(set: ImageSet): Promise<Float32Array> {
    const want = this.imageInput;
    if (!want) throw new LeptonError('E_OPTION', `this model reads ${this.textInput ? 'texts' : 'table rows'}, not images`, this.textInput ? 'give texts' : 'give rows (a data file or JSON)');
    if (set.height !== want.height || set.width !== want.width || set.channels !== want.channels) {
      throw new LeptonError('E_VALUE', `images are ${set.height}×${set.width}×${set.channels}, the model reads ${want.height}×${want.width}×${want.channels}`, 'decode them at the model\'s size (lepton predict does this)');
    }
    if (set.n === 0) return new Float32Array(0);
    return this.predictFeatures(imageFeatures(set));
  }

  /** Outputs per row: number of classes, or 1 for regression. */
  get outputDim(): number {
    return this.task === 'classification' ? this.classes.length : 1;
  }

  /** Member outputs over already-transformed features, combined: their weighted average, or the stored stacker. */
  async predictFeatures(x: Float32Array): Promise<Float32Array> {
    this.checkUsable();
    return this.combine(await Promise.all(this.members.map((m) => m.predict(x))));
  }

  /** The same on the calling thread: for a few rows only (it blocks the event loop meanwhile). */
  predictFeaturesSync(x: Float32Array): Float32Array {
    this.checkUsable();
    return this.combine(this.members.map((m) => m.predictSync(x)));
  }

  private checkUsable(): void {
    if (this.disposed) throw new LeptonError('E_ENGINE', 'model was disposed', 'load the model again');
  }

  private combine(outs: Float32Array[]): Float32Array {
    if (this.manifest.stack) return predictStack(this.manifest.stack, outs, this.outputDim, this.task);
    if (outs.length === 1) return outs[0]!;
    return blend(outs, this.manifest.members.map((m) => m.weight));
  }

  /** Class probabilities (n × k) or regression values in the target's units (n): per row, or per id for a sequence model. */
  async predictTable(table: Table): Promise<Float32Array> {
    if (this.imageInput) throw new LeptonError('E_OPTION', 'this is an image model; it predicts from images, not table rows', 'give image files (lepton predict MODEL a.png b.jpg) or base64 images');
    const textColumn = this.textInput && this.inputSchema.find((s) => s.type === 'text')?.name;
    if (textColumn) {
      // A text model trained on a table's text column reads that column of table rows.
      if (!table.has(textColumn)) throw new LeptonError('E_COLUMN', `input is missing column '${textColumn}' that the model needs`, `the model reads the texts of '${textColumn}'`);
      return (await this.predictTexts(Array.from({ length: table.numRows }, (_, r) => String(table.cell(textColumn, r) ?? '')))).probabilities;
    }
    if (this.textInput) throw new LeptonError('E_OPTION', 'this is a text model; it predicts from texts, not table rows', 'give strings or .txt files (lepton predict MODEL "some text") or {"texts": [...]}');
    if (this.historyInput) throw new LeptonError('E_OPTION', 'this is a recommendation model; it ranks items for a history, not table rows', 'use lepton recommend predict MODEL --history "a,b,c" or {"history": [...], "k": 10}');
    if (table.numRows === 0) return new Float32Array(0);
    return this.fromFeatures(await this.predictFeatures(await this.tableFeatures(table)));
  }

  /** Maps raw member output to the target's units (regression values are de-standardised). */
  fromFeatures(out: Float32Array): Float32Array {
    const t = this.manifest.target;
    if (t.task === 'regression') return out.map((v) => v * t.std + t.mean);
    return out;
  }

  /**
   * Predicts for a table, one JSON row or an array of rows. Unknown categories fall into the
   * unknown bucket; a missing column or a NaN/Infinity value is an error naming it.
   */
  async predict(input: Table | Record<string, unknown> | readonly Record<string, unknown>[]): Promise<Prediction[]> {
    const table = isTable(input) ? input : tableFromRows(Array.isArray(input) ? input : [input], this.inputSchema);
    return this.toPredictions(await this.predictTable(table));
  }

  /** Labels and probabilities (or values) from `predictTable` output. */
  toPredictions(out: Float32Array): Prediction[] {
    if (this.task === 'regression') return Array.from(out, (value) => ({ value }));
    const k = this.classes.length;
    return Array.from({ length: out.length / k }, (_, i) => {
      const probabilities: Record<string, number> = {};
      let best = 0;
      for (let c = 0; c < k; c++) {
        probabilities[this.classes[c]!] = out[i * k + c]!;
        if (out[i * k + c]! > out[i * k + best]!) best = c;
      }
      return { label: this.classes[best]!, probabilities };
    });
  }

  /** Frees native memory now rather than at garbage collection. Idempotent. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const m of this.members) m.dispose();
  }
}

function isTable(x: unknown): x is Table {
  return typeof x === 'object' && x !== null && 'columns' in x && 'numRows' in x && typeof (x as Table).column === 'function';
}
