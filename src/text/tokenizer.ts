/**
 * A trainable word-level vocabulary for the sequence networks (TorchNet `embedding` layers):
 * text is lowercased (locale-independent), split into Unicode words (letters and digits, with
 * inner apostrophes: "don't", "l'état"), and the words seen at least `minFreq` times, up to
 * `maxSize` entries in all, get ids after the reserved [PAD] = 0, [UNK] = 1 and [CLS] = 2.
 * `encode` turns texts into right-padded rows of ids (floats, as TorchNet reads rows); unknown
 * words become [UNK] and texts longer than the row are truncated, with a warning.
 * The vocabulary serialises to JSON (`toJSON` / `WordTokenizer.fromJSON`) for a model artifact.
 * @example
 *   const tok = WordTokenizer.fit(trainTexts, { minFreq: 2, maxSize: 20000 });
 *   const { ids, warnings } = tok.encode(texts, 128);
 *   const net = buildNet(DEFAULT_TEXT_GRU(tok.size, 128, 2));
 * @module
 */
import { LeptonError } from '../errors.js';

export const PAD = 0;
export const UNK = 1;
export const CLS = 2;
export const SPECIAL_TOKENS = ['[PAD]', '[UNK]', '[CLS]'] as const;

export interface TokenizerOptions {
  /** Lowercase before splitting (default true). */
  lowercase?: boolean;
  /** Words seen fewer times in the training texts are [UNK] (default 1). */
  minFreq?: number;
  /** Entries in all, the 3 special tokens included (default 30000); the most frequent words win, ties by first appearance. */
  maxSize?: number;
}

export interface EncodeOptions {
  /** Start every row with [CLS] (for `pool` mode 'cls'); it takes one of the seqLen slots. */
  cls?: boolean;
}

export interface Encoded {
  /** n × seqLen token ids, right-padded with [PAD] = 0. */
  ids: Float32Array;
  seqLen: number;
  /** Texts longer than the row, cut at seqLen. */
  truncated: number;
  /** Words mapped to [UNK], over all texts (after truncation). */
  unknown: number;
  /** Tokens kept, [CLS] excluded. */
  tokens: number;
  warnings: string[];
}

/**
 * What the text pipeline needs from a tokenizer (this word vocabulary, or a Hugging Face
 * tokenizer.json through src/text/hf-tokenizer.ts): the vocabulary size and fixed-length rows of ids.
 */
export interface TextEncoder {
  readonly size: number;
  encode(texts: readonly string[], seqLen: number): Encoded;
}

/** The serialised form: the tokens in id order (specials first). */
export interface TokenizerJson {
  kind: 'lepton-word-vocab';
  version: 1;
  lowercase: boolean;
  tokens: string[];
}

const WORD = /[\p{L}\p{N}]+(?:['’][\p{L}\p{N}]+)*/gu;

export class WordTokenizer implements TextEncoder {
  readonly lowercase: boolean;
  /** Tokens in id order: [PAD], [UNK], [CLS], then the words. */
  readonly tokens: readonly string[];
  private readonly index: Map<string, number>;

  private constructor(tokens: readonly string[], lowercase: boolean) {
    this.tokens = tokens;
    this.lowercase = lowercase;
    this.index = new Map(tokens.map((t, i) => [t, i]));
  }

  /** The vocabulary size: the `vocab` of the embedding layer. */
  get size(): number {
    return this.tokens.length;
  }

  /** The words of a text, as the vocabulary sees them. */
  words(text: string): string[] {
    const t = this.lowercase ? text.toLowerCase() : text;
    return t.normalize('NFC').match(WORD) ?? [];
  }

  /** Learns the vocabulary from `texts`. */
  static fit(texts: Iterable<string>, options: TokenizerOptions = {}): WordTokenizer {
    const lowercase = options.lowercase ?? true;
    const minFreq = options.minFreq ?? 1;
    const maxSize = options.maxSize ?? 30000;
    if (!Number.isInteger(minFreq) || minFreq < 1) throw new LeptonError('E_OPTION', `tokenizer minFreq must be a positive integer, got ${minFreq}`, 'e.g. minFreq: 2');
    if (!Number.isInteger(maxSize) || maxSize < SPECIAL_TOKENS.length + 1) {
      throw new LeptonError('E_OPTION', `tokenizer maxSize must be an integer of at least ${SPECIAL_TOKENS.length + 1}, got ${maxSize}`, 'e.g. maxSize: 20000');
    }
    const probe = new WordTokenizer([...SPECIAL_TOKENS], lowercase);
    const counts = new Map<string, number>();
    for (const text of texts) for (const w of probe.words(text)) counts.set(w, (counts.get(w) ?? 0) + 1);
    // Map order is first appearance: a stable sort keeps it among equal counts.
    const words = [...counts].filter(([w, c]) => c >= minFreq && !probe.index.has(w)).sort((a, b) => b[1] - a[1]);
    return new WordTokenizer([...SPECIAL_TOKENS, ...words.slice(0, maxSize - SPECIAL_TOKENS.length).map(([w]) => w)], lowercase);
  }

  /** The id of a word ([UNK] when it is not in the vocabulary). */
  id(word: string): number {
    return this.index.get(word) ?? UNK;
  }

  /** Rows of ids for `texts`, each seqLen long: right-padded, or truncated (counted and warned). */
  encode(texts: readonly string[], seqLen: number, options: EncodeOptions = {}): Encoded {
    if (!Number.isInteger(seqLen) || seqLen < 1) throw new LeptonError('E_OPTION', `seqLen must be a positive integer, got ${seqLen}`, 'e.g. 128');
    const start = options.cls ? 1 : 0;
    if (start >= seqLen) throw new LeptonError('E_OPTION', 'seqLen 1 leaves no room after [CLS]', 'use seqLen ≥ 2 with cls');
    const ids = new Float32Array(texts.length * seqLen);
    let truncated = 0;
    let unknown = 0;
    let tokens = 0;
    texts.forEach((text, i) => {
      const words = this.words(text);
      const room = seqLen - start;
      if (words.length > room) truncated++;
      const row = i * seqLen;
      if (options.cls) ids[row] = CLS;
      const n = Math.min(room, words.length);
      for (let t = 0; t < n; t++) {
        const id = this.id(words[t]!);
        if (id === UNK) unknown++;
        ids[row + start + t] = id;
      }
      tokens += n;
    });
    const warnings: string[] = [];
    if (truncated > 0) {
      warnings.push(`${truncated} of ${texts.length} texts are longer than ${seqLen - start} words and were truncated (raise seqLen to keep more of them)`);
    }
    return { ids, seqLen, truncated, unknown, tokens, warnings };
  }

  /** The ids of one encoded row back to words, padding dropped. */
  decode(row: ArrayLike<number>): string[] {
    const out: string[] = [];
    for (let i = 0; i < row.length; i++) if (row[i] !== PAD) out.push(this.tokens[row[i]!] ?? SPECIAL_TOKENS[UNK]);
    return out;
  }

  toJSON(): TokenizerJson {
    return { kind: 'lepton-word-vocab', version: 1, lowercase: this.lowercase, tokens: [...this.tokens] };
  }

  static fromJSON(json: unknown): WordTokenizer {
    const j = json as Partial<TokenizerJson> | null;
    if (!j || j.kind !== 'lepton-word-vocab' || j.version !== 1 || !Array.isArray(j.tokens) || typeof j.lowercase !== 'boolean') {
      throw new LeptonError('E_MODEL_FILE', 'not a Lepton word vocabulary (expected {kind: "lepton-word-vocab", version: 1, lowercase, tokens})', 'save it with tokenizer.toJSON()');
    }
    if (SPECIAL_TOKENS.some((t, i) => j.tokens![i] !== t)) throw new LeptonError('E_MODEL_FILE', `a word vocabulary starts with ${SPECIAL_TOKENS.join(', ')}`, 'save it with tokenizer.toJSON()');
    if (new Set(j.tokens).size !== j.tokens.length || j.tokens.some((t) => typeof t !== 'string')) throw new LeptonError('E_MODEL_FILE', 'a word vocabulary holds distinct strings', 'save it with tokenizer.toJSON()');
    return new WordTokenizer(j.tokens, j.lowercase);
  }
}
