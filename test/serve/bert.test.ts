import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeModel, encodeModel } from '../../src/models/artifact.js';
import { trainPretrainedTexts } from '../../src/train/train-pretrained.js';
import { tmp } from '../helpers.js';
import { BAD, GOOD, writeTinyBert } from '../models/fixtures/tiny-bert.js';
import { publish, serveModels, type Served } from './fixture.js';

let served: Served;
let local: Float32Array;
const sample = ['the food was great', 'a terrible and ugly room', 'good '.repeat(40)];

beforeAll(async () => {
  served = await serveModels(async (home) => {
    const dir = tmp();
    await writeTinyBert(dir);
    const texts = Array.from({ length: 40 }, (_, i) => `the ${(i % 2 ? GOOD : BAD)[i % 10]} day was ${(i % 2 ? GOOD : BAD)[(i * 3) % 10]}`);
    const labels = texts.map((_, i) => i % 2);
    const { model } = await trainPretrainedTexts(texts, labels, ['bad', 'good'], { checkpoint: dir, lora: { r: 2 }, seqLen: 12, params: { epochs: 2, batchSize: 8 } });
    local = (await model.predictTexts(sample)).probabilities;
    // A saved model tokenises and predicts exactly as the trained one.
    const reloaded = decodeModel(encodeModel(model), 'reviews.lepton');
    model.dispose();
    expect((await reloaded.predictTexts(sample)).probabilities).toEqual(local);
    await publish(home, 'reviews', reloaded);
  });
}, 40_000);
afterAll(() => served?.close());

describe('serve: a fine-tuned BERT checkpoint', () => {
  it('predicts {"texts": [...]} with the stored tokenizer.json as the library does, counting truncated texts', async () => {
    const { client } = served;
    const r = await client.predictTexts('acme', 'reviews', sample, { version: 1 });
    expect(r.predictions).toHaveLength(3);
    expect(r.truncated).toBe(1);
    r.predictions.forEach((p, i) => expect('label' in p && p.probabilities.good).toBeCloseTo(local[i * 2 + 1]!, 5));
  });
});
