import { describe, expect, it } from 'vitest';
import { CLS, PAD, UNK, WordTokenizer } from '../../src/text/tokenizer.js';
import { LeptonError } from '../../src/errors.js';

describe('text: WordTokenizer', () => {
  const texts = ['The wheat crop; the WHEAT price.', "Corn and wheat don't mix", 'Café déjà vu: Ärger über 3,5 Mio — 東京 grain'];

  it('lowercases and splits Unicode words (letters, digits, inner apostrophes)', () => {
    const tok = WordTokenizer.fit(texts);
    expect(tok.words("Don't STOP, Ärger—über 東京 3,5")).toEqual(["don't", 'stop', 'ärger', 'über', '東京', '3', '5']);
    expect(WordTokenizer.fit(texts, { lowercase: false }).words('The Wheat')).toEqual(['The', 'Wheat']);
  });

  it('reserves [PAD]=0, [UNK]=1, [CLS]=2; orders words by frequency, then first appearance; honours minFreq and maxSize', () => {
    const tok = WordTokenizer.fit(texts);
    expect([PAD, UNK, CLS]).toEqual([0, 1, 2]);
    expect(tok.tokens.slice(0, 6)).toEqual(['[PAD]', '[UNK]', '[CLS]', 'wheat', 'the', 'crop']);
    expect(WordTokenizer.fit(texts, { minFreq: 2 }).tokens).toEqual(['[PAD]', '[UNK]', '[CLS]', 'wheat', 'the']);
    expect(WordTokenizer.fit(texts, { maxSize: 4 }).tokens).toEqual(['[PAD]', '[UNK]', '[CLS]', 'wheat']);
    // A text holding a special token's spelling does not duplicate it.
    expect(WordTokenizer.fit(['[PAD] pad']).tokens).toEqual(['[PAD]', '[UNK]', '[CLS]', 'pad']);
    expect(() => WordTokenizer.fit(texts, { minFreq: 0 })).toThrow(LeptonError);
    expect(() => WordTokenizer.fit(texts, { maxSize: 3 })).toThrow(/maxSize must be an integer of at least 4/);
  });

  it('encodes right-padded rows; unknown words are [UNK]; long texts are truncated with a warning', () => {
    const tok = WordTokenizer.fit(texts, { minFreq: 2 });
    const e = tok.encode(['wheat the barley', 'the the the the the the', ''], 4);
    expect(Array.from(e.ids)).toEqual([3, 4, UNK, 0, 4, 4, 4, 4, 0, 0, 0, 0]);
    expect(e.truncated).toBe(1);
    expect(e.unknown).toBe(1);
    expect(e.tokens).toBe(7);
    expect(e.warnings).toEqual(['1 of 3 texts are longer than 4 words and were truncated (raise seqLen to keep more of them)']);
    const c = tok.encode(['wheat wheat wheat'], 3, { cls: true });
    expect(Array.from(c.ids)).toEqual([CLS, 3, 3]);
    expect(c.truncated).toBe(1);
    expect(tok.encode(['wheat'], 3).warnings).toEqual([]);
    expect(tok.decode(e.ids.subarray(0, 4))).toEqual(['wheat', 'the', '[UNK]']);
    expect(() => tok.encode(['x'], 0)).toThrow(/seqLen must be a positive integer/);
  });

  it('round-trips through JSON and rejects what is not a vocabulary', () => {
    const tok = WordTokenizer.fit(texts);
    const back = WordTokenizer.fromJSON(JSON.parse(JSON.stringify(tok)));
    expect(back.tokens).toEqual(tok.tokens);
    expect(Array.from(back.encode(texts, 8).ids)).toEqual(Array.from(tok.encode(texts, 8).ids));
    expect(() => WordTokenizer.fromJSON({ kind: 'other' })).toThrow(/not a Lepton word vocabulary/);
    expect(() => WordTokenizer.fromJSON({ kind: 'lepton-word-vocab', version: 1, lowercase: true, tokens: ['a', 'b', 'c'] })).toThrow(/starts with \[PAD\], \[UNK\], \[CLS\]/);
    expect(() => WordTokenizer.fromJSON({ kind: 'lepton-word-vocab', version: 1, lowercase: true, tokens: ['[PAD]', '[UNK]', '[CLS]', 'a', 'a'] })).toThrow(/distinct/);
  });
});
