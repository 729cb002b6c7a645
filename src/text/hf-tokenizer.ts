/**
 * A Hugging Face `tokenizer.json` (WordPiece, BPE, …; normaliser, pre-tokeniser and
 * post-processor as the file says) as a TextEncoder for the text pipeline, through the pure-JS
 * `@huggingface/tokenizers`. Rows are fixed-length: the post-processor's special tokens (BERT:
 * [CLS] … [SEP]) around the text's tokens, right-padded with the tokenizer's pad id. A text whose
 * encoding is longer than the row keeps its first tokens and its special tokens (as HF's
 * `truncation=True` does) and is counted, so callers can warn. Words outside the vocabulary
 * come out as the model's unknown token ([UNK]).
 * @example
 *   const tok = HfTokenizer.fromJSON(await readFile('bert/tokenizer.json', 'utf8'));
 *   const { ids, truncated } = tok.encode(['a short text'], 128);
 * @module
 */
import { Tokenizer } from '@huggingface/tokenizers';
import { LeptonError } from '../errors.js';
import type { Encoded, TextEncoder } from './tokenizer.js';

/** The serialised form kept in a model artifact: tokenizer.json's text and tokenizer_config.json. */
export interface HfTokenizerJson {
  kind: 'hf';
  /** tokenizer.json, verbatim. */
  json: string;
  /** tokenizer_config.json (special tokens, lowercasing), when the checkpoint has one. */
  config?: Record<string, unknown>;
}

export class HfTokenizer implements TextEncoder {
  readonly size: number;
  /** The id that right-pads rows (the model's padIndex). */
  readonly padId: number;
  readonly unkId: number | undefined;

  private constructor(
    private readonly tokenizer: Tokenizer,
    private readonly saved: HfTokenizerJson,
  ) {
    let top = -1;
    for (const id of tokenizer.get_vocab(true).values()) top = Math.max(top, id);
    this.size = top + 1;
    const parsed = JSON.parse(saved.json) as { padding?: { pad_id?: number } | null; model?: { unk_token?: string } };
    const config = saved.config ?? {};
    const named = (key: string) => (typeof config[key] === 'string' ? tokenizer.token_to_id(config[key] as string) : undefined);
    this.padId = parsed.padding?.pad_id ?? named('pad_token') ?? tokenizer.token_to_id('[PAD]') ?? 0;
    this.unkId = parsed.model?.unk_token !== undefined ? tokenizer.token_to_id(parsed.model.unk_token) : named('unk_token');
  }

  /** From tokenizer.json's text (and tokenizer_config.json's object); `source` names the file in errors. */
  static fromJSON(json: string | HfTokenizerJson, config?: Record<string, unknown>, source = 'tokenizer.json'): HfTokenizer {
    const saved: HfTokenizerJson = typeof json === 'string' ? { kind: 'hf', json, ...(config ? { config } : {}) } : json;
    let tokenizer: Tokenizer;
    try {
      tokenizer = new Tokenizer(JSON.parse(saved.json) as object, saved.config ?? {});
    } catch (e) {
      throw new LeptonError('E_PARSE', `${source} is not a Hugging Face tokenizer (${(e as Error).message})`, 'give the tokenizer.json saved with the checkpoint (tokenizer.save_pretrained)', { cause: e });
    }
    return new HfTokenizer(tokenizer, saved);
  }

  encode(texts: readonly string[], seqLen: number): Encoded {
    if (!Number.isInteger(seqLen) || seqLen < 1) throw new LeptonError('E_OPTION', `seqLen must be a positive integer, got ${seqLen}`, 'e.g. 128');
    const ids = new Float32Array(texts.length * seqLen).fill(this.padId);
    let truncated = 0;
    let unknown = 0;
    let tokens = 0;
    texts.forEach((text, i) => {
      let row = this.tokenizer.encode(text).ids;
      if (row.length > seqLen) {
        truncated++;
        row = this.truncate(text, row, seqLen);
      }
      ids.set(row, i * seqLen);
      tokens += row.length;
      if (this.unkId !== undefined) for (const id of row) if (id === this.unkId) unknown++;
    });
    const warnings = truncated > 0 ? [`${truncated} of ${texts.length} texts are longer than ${seqLen} tokens and were truncated to ${seqLen} tokens (raise seqLen, up to the model's maximum, to keep more)`] : [];
    return { ids, seqLen, truncated, unknown, tokens, warnings };
  }

  /**
   * The first tokens of `text` that fit with the post-processor's special tokens: `full` is
   * prefix + content + suffix, so the content is cut and the prefix and suffix kept.
   */
  private truncate(text: string, full: number[], seqLen: number): number[] {
    const content: number[] = this.tokenizer.encode(text, { add_special_tokens: false }).ids;
    const added = full.length - content.length;
    if (added >= seqLen) throw new LeptonError('E_OPTION', `seqLen ${seqLen} leaves no room for text after the ${added} special tokens`, `use seqLen > ${added}`);
    let start = 0;
    while (start < added && !content.every((id: number, j: number) => full[start + j] === id)) start++;
    return [...full.slice(0, start), ...content.slice(0, seqLen - added), ...full.slice(start + content.length)];
  }

  toJSON(): HfTokenizerJson {
    return this.saved;
  }
}
