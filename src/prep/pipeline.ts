/**
 * The fitted preprocessing pipeline: median imputation + standardisation for numeric-like
 * columns, most-frequent imputation + one-hot with an unknown bucket for categories, and, for
 * networks that read text (mixed models, src/train/train-mixed.ts), free-text columns as seqLen
 * token ids of a word vocabulary (the `tokens` step; after every tabular step, so a row is
 * [tabular features | ids of text column 1 | …]) and image columns as channels × height × width
 * pixels in [0, 1] (the `image` step, last; decoded beforehand by src/data/image-columns.ts). Fitted on the training split only, serialised
 * into the model artifact, applied identically at prediction time.
 * @module
 */
import { LeptonError, listNames } from '../errors.js';
import { decodeImageColumns, imagePixels, type ImageShape } from '../data/image-columns.js';
import { isImageColumn } from '../data/infer.js';
import { isAllMissing, isDict, type Column, type ColumnSchema, type Table } from '../data/table.js';
import { WordTokenizer, type TokenizerJson, type TokenizerOptions } from '../text/tokenizer.js';

/** One-hot keeps the most frequent categories; rarer ones share the unknown bucket. */
export const MAX_ONE_HOT = 100;
export const UNKNOWN = '__unknown__';

export type FeatureStep =
  | { kind: 'scale'; column: string; median: number; mean: number; std: number }
  | { kind: 'onehot'; column: string; categories: string[]; fill: string }
  /** A free-text column as `seqLen` word ids (right-padded with 0; a missing text is all padding). */
  | { kind: 'tokens'; column: string; seqLen: number; vocab: TokenizerJson }
  /** An image column as channels × height × width floats in [0, 1] (a missing image is all zeros). */
  | ({ kind: 'image'; column: string } & ImageShape);

/** How free-text columns become token ids; without it (tabular families) they are skipped. */
export interface TextFeatureOptions {
  seqLen: number;
  /** Vocabulary options (default minFreq 2, maxSize 20000, as trainTexts). */
  tokenizer?: TokenizerOptions;
  /** The shape of each image column, as decodeImageColumns chose it; image columns are skipped without it. */
  images?: Readonly<Record<string, ImageShape>>;
}

export interface PipelineState {
  version: 1;
  /** Schema of the input columns the pipeline reads (used to coerce prediction inputs). */
  inputs: ColumnSchema[];
  steps: FeatureStep[];
  /** Columns left out, with the reason (reported to the user). */
  skipped: { column: string; reason: string }[];
}

/** Where each part of a transformed row sits (Pipeline.layout). */
export interface PipelineLayout {
  tabular: number;
  texts: { column: string; from: number; seqLen: number; vocab: number }[];
  images: ({ column: string; from: number } & ImageShape)[];
}

export class Pipeline {
  private readonly tokenizers = new Map<FeatureStep, WordTokenizer>();

  constructor(readonly state: PipelineState) {}

  /** Fits on `rows` of `table` using `columns` as features; free text becomes token ids when `text` is given. */
  static fit(table: Table, columns: readonly string[], rows: ArrayLike<number>, text?: TextFeatureOptions): Pipeline {
    const steps: FeatureStep[] = [];
    const tokenSteps: FeatureStep[] = [];
    const imageSteps: FeatureStep[] = [];
    const skipped: PipelineState['skipped'] = [];
    const inputs: ColumnSchema[] = [];
    for (const name of columns) {
      const col = table.column(name);
      if (isAllMissing(col)) {
        throw new LeptonError('E_COLUMN', `column '${name}' is empty in every row${table.source ? ` of ${table.source}` : ''}`, `remove it from the file or pass --drop ${name}`);
      }
      if (isImageColumn(col)) {
        const shape = text?.images?.[name];
        if (!shape) {
          skipped.push({ column: name, reason: 'images are read by mixed models only (--model mixed)' });
          continue;
        }
        inputs.push({ name, type: col.type });
        imageSteps.push({ kind: 'image', column: name, channels: shape.channels, height: shape.height, width: shape.width });
        continue;
      }
      if (col.type === 'text') {
        if (!text) {
          skipped.push({ column: name, reason: 'free text is read by mixed models only (--model mixed)' });
          continue;
        }
        inputs.push({ name, type: 'text' });
        tokenSteps.push(fitTokens(col, rows, text));
        continue;
      }
      inputs.push(col.type === 'categorical' ? { name, type: col.type, categories: col.dictionary } : { name, type: col.type });
      steps.push(col.type === 'categorical' ? fitOneHot(col, rows) : fitScale(col, rows));
    }
    steps.push(...tokenSteps, ...imageSteps);
    if (steps.length === 0) {
      throw new LeptonError('E_COLUMN', 'no usable feature columns', 'give at least one numeric, boolean, date or categorical column besides the target');
    }
    return new Pipeline({ version: 1, inputs, steps, skipped });
  }

  get outputDim(): number {
    return this.state.steps.reduce((s, st) => s + stepWidth(st), 0);
  }

  get featureNames(): string[] {
    return this.state.steps.flatMap((st) =>
      st.kind === 'scale'
        ? [st.column]
        : st.kind === 'tokens' || st.kind === 'image'
          ? Array.from({ length: stepWidth(st) }, (_, i) => `${st.column}[${i}]`)
          : [...st.categories, UNKNOWN].map((c) => `${st.column}=${c}`),
    );
  }

  /**
   * Where each step's features sit in a transformed row: the tabular steps first ([0, tabular)),
   * then one span per text column, then one per image column. Networks over mixed inputs are built from this.
   */
  get layout(): PipelineLayout {
    let offset = 0;
    let tabular = 0;
    const texts: PipelineLayout['texts'] = [];
    const images: PipelineLayout['images'] = [];
    for (const st of this.state.steps) {
      if (st.kind === 'image') images.push({ column: st.column, from: offset, channels: st.channels, height: st.height, width: st.width });
      else if (images.length > 0) throw new LeptonError('E_MODEL_FILE', `pipeline step '${st.column}' comes after an image column`, 'train the model again');
      else if (st.kind === 'tokens') texts.push({ column: st.column, from: offset, seqLen: st.seqLen, vocab: st.vocab.tokens.length });
      else if (texts.length > 0) throw new LeptonError('E_MODEL_FILE', `pipeline step '${st.column}' comes after a text column`, 'train the model again');
      else tabular += stepWidth(st);
      offset += stepWidth(st);
    }
    return { tabular, texts, images };
  }

  /** The image columns' shapes (none for pipelines without `image` steps). */
  get imageShapes(): Record<string, ImageShape> {
    return Object.fromEntries(this.state.steps.flatMap((st) => (st.kind === 'image' ? [[st.column, { channels: st.channels, height: st.height, width: st.width }]] : [])));
  }

  /**
   * Decodes the image files of `table`'s image columns (at `rows`, default all) at the model's shapes, so `transform` can
   * read them (sharp is asynchronous, transform is not); a no-op without `image` steps.
   * `paths: false` refuses file paths (rows sent over HTTP).
   */
  async decodeImages(table: Table, rows?: ArrayLike<number>, opts: { paths?: boolean } = {}): Promise<void> {
    const shapes = this.imageShapes;
    const columns = Object.keys(shapes).filter((c) => table.has(c));
    if (columns.length > 0) await decodeImageColumns(rows ? table.take(rows) : table, columns, { shapes, paths: opts.paths });
  }

  /** Row-major float32 features for `rows` (default: all rows). */
  transform(table: Table, rows?: ArrayLike<number>): Float32Array {
    const missing = this.state.inputs.map((s) => s.name).filter((n) => !table.has(n));
    if (missing.length > 0) {
      throw new LeptonError(
        'E_COLUMN',
        `input is missing column${missing.length > 1 ? 's' : ''} ${listNames(missing)} that the model needs`,
        `the model reads ${listNames(this.state.inputs.map((s) => s.name), 30)}`,
      );
    }
    const n = rows ? rows.length : table.numRows;
    const d = this.outputDim;
    const out = new Float32Array(n * d);
    let offset = 0;
    for (const st of this.state.steps) {
      const col = table.column(st.column);
      if (st.kind === 'scale') {
        if (isDict(col)) throw typeMismatch(st.column, 'numeric', col.type);
        for (let i = 0; i < n; i++) {
          const v = col.values[rows ? rows[i]! : i]!;
          out[i * d + offset] = ((Number.isNaN(v) ? st.median : v) - st.mean) / st.std;
        }
        offset += 1;
      } else if (st.kind === 'tokens') {
        if (!isDict(col)) throw typeMismatch(st.column, 'text', col.type);
        // Each distinct text is tokenised once; rows copy its ids.
        const ids = this.tokenizer(st).encode(col.dictionary, st.seqLen).ids;
        for (let i = 0; i < n; i++) {
          const code = col.codes[rows ? rows[i]! : i]!;
          if (code >= 0) out.set(ids.subarray(code * st.seqLen, (code + 1) * st.seqLen), i * d + offset);
        }
        offset += st.seqLen;
      } else if (st.kind === 'image') {
        if (!isDict(col)) throw typeMismatch(st.column, 'image', col.type);
        const codes = Int32Array.from({ length: n }, (_, i) => col.codes[rows ? rows[i]! : i]!);
        const pixels = imagePixels(col, st, codes);
        const plane = st.height * st.width;
        const c = st.channels;
        // Stored height × width × channels bytes; the network reads channels × height × width in [0, 1].
        codes.forEach((code, i) => {
          if (code < 0) return;
          const src = code * plane * c;
          const dst = i * d + offset;
          for (let p = 0; p < plane; p++) for (let k = 0; k < c; k++) out[dst + k * plane + p] = pixels[src + p * c + k]! / 255;
        });
        offset += c * plane;
      } else {
        if (!isDict(col)) throw typeMismatch(st.column, 'categorical', col.type);
        // Map this table's dictionary codes to the fitted category positions once.
        const pos = new Map(st.categories.map((c, i) => [c, i]));
        const fill = pos.get(st.fill)!;
        const codeToPos = col.dictionary.map((c) => pos.get(c) ?? st.categories.length);
        for (let i = 0; i < n; i++) {
          const code = col.codes[rows ? rows[i]! : i]!;
          out[i * d + offset + (code < 0 ? fill : codeToPos[code]!)] = 1;
        }
        offset += st.categories.length + 1;
      }
    }
    return out;
  }

  private tokenizer(st: FeatureStep & { kind: 'tokens' }): WordTokenizer {
    let tok = this.tokenizers.get(st);
    if (!tok) this.tokenizers.set(st, (tok = WordTokenizer.fromJSON(st.vocab)));
    return tok;
  }
}

function stepWidth(st: FeatureStep): number {
  return st.kind === 'scale' ? 1 : st.kind === 'tokens' ? st.seqLen : st.kind === 'image' ? st.channels * st.height * st.width : st.categories.length + 1;
}

/** The word vocabulary of a text column's training rows, as trainTexts fits it. */
function fitTokens(col: Column, rows: ArrayLike<number>, text: TextFeatureOptions): FeatureStep {
  if (!isDict(col)) throw new Error('unreachable');
  if (!Number.isInteger(text.seqLen) || text.seqLen < 1) throw new LeptonError('E_OPTION', `seqLen must be a positive integer, got ${text.seqLen}`, 'e.g. 64');
  const texts: string[] = [];
  for (let i = 0; i < rows.length; i++) {
    const c = col.codes[rows[i]!]!;
    if (c >= 0) texts.push(col.dictionary[c]!);
  }
  const tok = WordTokenizer.fit(texts, { minFreq: 2, maxSize: 20000, ...text.tokenizer });
  return { kind: 'tokens', column: col.name, seqLen: text.seqLen, vocab: tok.toJSON() };
}

function typeMismatch(column: string, want: string, got: string): LeptonError {
  return new LeptonError('E_VALUE', `column '${column}' holds ${got} values, the model was trained on ${want} values`, 'give the column in the same form as in the training data');
}

function fitScale(col: Column, rows: ArrayLike<number>): FeatureStep {
  if (isDict(col)) throw new Error('unreachable');
  // A typed array's own numeric sort: a comparator sort of boxed numbers took ~2.5 s over the
  // 784 pixel columns of 7,000 images. The sums run over the sorted values, as before.
  const all = new Float64Array(rows.length);
  let n = 0;
  for (let i = 0; i < rows.length; i++) {
    const v = col.values[rows[i]!]!;
    if (!Number.isNaN(v)) all[n++] = v;
  }
  if (n === 0) {
    throw new LeptonError('E_COLUMN', `column '${col.name}' has no values in the training split`, `fill it or pass --drop ${col.name}`);
  }
  const vals = all.subarray(0, n).sort();
  const mid = n >> 1;
  const median = n % 2 ? vals[mid]! : (vals[mid - 1]! + vals[mid]!) / 2;
  let sum = 0;
  for (const v of vals) sum += v;
  const mean = sum / n;
  let squares = 0;
  for (const v of vals) squares += (v - mean) ** 2;
  const std = Math.sqrt(squares / n);
  return { kind: 'scale', column: col.name, median, mean, std: std > 1e-12 ? std : 1 };
}

function fitOneHot(col: Column, rows: ArrayLike<number>): FeatureStep {
  if (col.type !== 'categorical') throw new Error('unreachable');
  const counts = new Int32Array(col.dictionary.length);
  for (let i = 0; i < rows.length; i++) {
    const c = col.codes[rows[i]!]!;
    if (c >= 0) counts[c]!++;
  }
  const order = [...counts.keys()].filter((c) => counts[c]! > 0).sort((a, b) => counts[b]! - counts[a]! || a - b);
  if (order.length === 0) {
    throw new LeptonError('E_COLUMN', `column '${col.name}' has no values in the training split`, `fill it or pass --drop ${col.name}`);
  }
  const kept = order.slice(0, MAX_ONE_HOT).sort((a, b) => a - b);
  return { kind: 'onehot', column: col.name, categories: kept.map((c) => col.dictionary[c]!), fill: col.dictionary[order[0]!]! };
}
