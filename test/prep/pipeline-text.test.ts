import { describe, expect, it } from 'vitest';
import { tableFromRows } from '../../src/data/readers/index.js';
import { inferType, isFreeText } from '../../src/data/infer.js';
import { Pipeline } from '../../src/prep/pipeline.js';
import { WordTokenizer } from '../../src/text/tokenizer.js';

const words = ['wheat', 'corn', 'ship', 'bank', 'rate', 'oil', 'crop', 'port'];
const rows = Array.from({ length: 40 }, (_, i) => ({
  title: `${words[i % 8]} ${words[(i * 3) % 8]} report ${i}`,
  body: `the ${words[(i * 5) % 8]} market moved ${i} points on ${words[i % 8]} news`,
  region: ['north', 'south'][i % 2],
  amount: i * 1.5,
}));

describe('prep: free-text columns as token ids', () => {
  it('one rule decides free text: many distinct values of several words; ids and categories stay categorical', () => {
    expect(inferType(rows.map((r) => r.title))).toBe('text');
    expect(inferType(rows.map((r) => r.region))).toBe('categorical');
    expect(inferType(rows.map((_, i) => `id-${i}`))).toBe('categorical'); // one word each
    expect(inferType(rows.map((_, i) => `a b c ${i % 5}`))).toBe('categorical'); // repeats
    expect(isFreeText(2000, 5000, 5000 * 6)).toBe(true); // inferType stops counting at 1,001 distinct values
    expect(isFreeText(21, 40, 40 * 2.5)).toBe(false);
  });

  it('lays a row out as [tabular features | ids of each text column], vocabularies from the training rows only', () => {
    const table = tableFromRows(rows);
    const train = Array.from({ length: 30 }, (_, i) => i);
    const p = Pipeline.fit(table, ['title', 'region', 'body', 'amount'], train, { seqLen: 6, tokenizer: { minFreq: 1 } });
    expect(p.state.steps.map((s) => `${s.kind}:${s.column}`)).toEqual(['onehot:region', 'scale:amount', 'tokens:title', 'tokens:body']);
    expect(p.state.inputs.map((s) => `${s.name}:${s.type}`)).toEqual(['title:text', 'region:categorical', 'body:text', 'amount:numeric']);
    expect(p.layout).toEqual({ tabular: 4, texts: [{ column: 'title', from: 4, seqLen: 6, vocab: expect.any(Number) }, { column: 'body', from: 10, seqLen: 6, vocab: expect.any(Number) }], images: [] });
    expect(p.outputDim).toBe(16);
    expect(p.featureNames.slice(4, 6)).toEqual(['title[0]', 'title[1]']);
    const step = p.state.steps[2]!;
    const tok = WordTokenizer.fromJSON(step.kind === 'tokens' ? step.vocab : null);
    expect(tok.tokens).not.toContain('35'); // row 35 is not a training row
    const x = p.transform(table, [35, 1]);
    expect(Array.from(x.subarray(4, 10))).toEqual(Array.from(tok.encode([rows[35]!.title], 6).ids));
    expect(Array.from(x.subarray(16 + 4, 16 + 10))).toEqual(Array.from(tok.encode([rows[1]!.title], 6).ids));
    // Row 35's own number is [UNK] (1); a missing text is all padding.
    expect(x[4 + 3]).toBe(1);
    const missing = p.transform(tableFromRows([{ ...rows[0], title: null }], p.state.inputs));
    expect(Array.from(missing.subarray(4, 10))).toEqual([0, 0, 0, 0, 0, 0]);
    // A number where the model read text is named.
    expect(() => p.transform(tableFromRows([{ ...rows[0], title: 5 }]))).toThrow(/column 'title' holds numeric values, the model was trained on text values/);
  });
});
