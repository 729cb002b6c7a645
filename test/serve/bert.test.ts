import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LeptonClient } from '../../src/client/client.js';
import { decodeModel, encodeModel, FORMAT_VERSION } from '../../src/models/artifact.js';
import { openHome, type Home } from '../../src/registry/open.js';
import { startServer, type ServerHandle } from '../../src/serve/server.js';
import { trainPretrainedTexts } from '../../src/train/train-pretrained.js';
import { tmp } from '../helpers.js';
import { BAD, GOOD, writeTinyBert } from '../models/fixtures/tiny-bert.js';
import { admin } from './fixture.js';

let home: Home;
let server: ServerHandle;
let key: string;
let local: Float32Array;
const sample = ['the food was great', 'a terrible and ugly room', 'good '.repeat(40)];

beforeAll(async () => {
  home = await openHome({ dir: tmp() });
  const dir = tmp();
  await writeTinyBert(dir);
  const texts = Array.from({ length: 40 }, (_, i) => `the ${(i % 2 ? GOOD : BAD)[i % 10]} day was ${(i % 2 ? GOOD : BAD)[(i * 3) % 10]}`);
  const labels = texts.map((_, i) => i % 2);
  const { model } = await trainPretrainedTexts(texts, labels, ['bad', 'good'], { checkpoint: dir, lora: { r: 2 }, seqLen: 12, params: { epochs: 2, batchSize: 8 } });
  local = (await model.predictTexts(sample)).probabilities;
  const bytes = encodeModel(model);
  model.dispose();
  // A saved model tokenises and predicts exactly as the trained one.
  const reloaded = decodeModel(bytes, 'reviews.lepton');
  expect((await reloaded.predictTexts(sample)).probabilities).toEqual(local);
  reloaded.dispose();
  await home.registry.registerModelVersion('acme', { name: 'reviews', artifact: await home.artifacts.put(bytes), formatVersion: FORMAT_VERSION, task: 'classification' }, admin);
  key = (await home.registry.createKey('acme', 'predictor', 'p', admin)).key;
  server = await startServer({ home, port: 0 });
}, 40_000);
afterAll(async () => {
  await server?.close();
  await home?.close();
});

describe('serve: a fine-tuned BERT checkpoint', () => {
  it('predicts {"texts": [...]} with the stored tokenizer.json as the library does, counting truncated texts', async () => {
    const client = new LeptonClient({ baseUrl: server.url, apiKey: key });
    const r = await client.predictTexts('acme', 'reviews', sample, { version: 1 });
    expect(r.predictions).toHaveLength(3);
    expect(r.truncated).toBe(1);
    r.predictions.forEach((p, i) => expect('label' in p && p.probabilities.good).toBeCloseTo(local[i * 2 + 1]!, 5));
  });
});
