import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LeptonApiError, LeptonClient } from '../../src/client/client.js';
import { readTable } from '../../src/data/readers/index.js';
import { encodeModel, FORMAT_VERSION } from '../../src/models/artifact.js';
import { recommend, type RecommendResult } from '../../src/recommend/predict.js';
import { trainRecommender } from '../../src/recommend/recommend.js';
import { openHome, type Home } from '../../src/registry/open.js';
import { startServer, type ServerHandle } from '../../src/serve/server.js';
import { train } from '../../src/train/train.js';
import { CREDIT, ROOT, tmp } from '../helpers.js';
import { admin } from './fixture.js';

let home: Home;
let server: ServerHandle;
let key: string;
const history = ['tea', 'biscuits', 'coffee'];
const local: Record<string, RecommendResult> = {};

beforeAll(async () => {
  home = await openHome({ dir: tmp() });
  const full = await readTable(join(ROOT, 'data', 'supermarket.arff'));
  const baskets = full.take(Int32Array.from({ length: 500 }, (_, i) => i));
  for (const [name, family] of [['basket-gru', 'gru'], ['basket-co', 'cooccurrence']] as const) {
    const { model } = await trainRecommender(baskets, { model: family, seqLen: 10, params: { gru: { epochs: 1, dim: 16, hidden: 32 } } });
    local[name] = await recommend(model, history, 5);
    await home.registry.registerModelVersion('acme', { name, artifact: await home.artifacts.put(encodeModel(model)), formatVersion: FORMAT_VERSION, task: 'classification' }, admin);
    await home.registry.setAlias('acme', name, 'production', 1, admin);
    model.dispose();
  }
  const t = await train(CREDIT, { target: 'class', model: 'logistic' });
  await home.registry.registerModelVersion('acme', { name: 'credit', artifact: await home.artifacts.put(encodeModel(t.model)), formatVersion: FORMAT_VERSION, task: 'classification' }, admin);
  await home.registry.setAlias('acme', 'credit', 'production', 1, admin);
  t.model.dispose();
  key = (await home.registry.createKey('acme', 'predictor', 'p', admin)).key;
  server = await startServer({ home, port: 0 });
}, 40_000);
afterAll(async () => {
  await server.close();
  await home.close();
});

describe('serve: recommendation models', () => {
  it('answers {"history": [...], "k": 5} with the top-k items the library gives, history excluded', async () => {
    const client = new LeptonClient({ baseUrl: server.url, apiKey: key });
    for (const name of ['basket-gru', 'basket-co']) {
      const r = await client.recommend('acme', name, history, 5);
      expect(r.model).toEqual({ name, version: 1 });
      expect(r.predictions).toEqual([]);
      expect(r.coldStart).toBe(false);
      expect(r.recommendations!.map((x) => x.item)).toEqual(local[name]!.items.map((x) => x.item));
      r.recommendations!.forEach((x, i) => expect(x.score).toBeCloseTo(local[name]!.items[i]!.score, 5));
      for (const x of r.recommendations!) expect(history).not.toContain(x.item);
    }
    // Unknown items are ignored and listed; an empty history gets the most popular items; k defaults to 10.
    const unknown = await client.recommend('acme', 'basket-co', [...history, 'caviar'], 5);
    expect(unknown.unknown).toEqual(['caviar']);
    expect(unknown.recommendations).toEqual((await client.recommend('acme', 'basket-co', history, 5)).recommendations);
    const cold = await client.recommend('acme', 'basket-gru', []);
    expect(cold.coldStart).toBe(true);
    expect(cold.recommendations).toHaveLength(10);
  });

  it('explains histories sent to other models, rows sent to a recommender and a bad k', async () => {
    const client = new LeptonClient({ baseUrl: server.url, apiKey: key });
    const toTable = await client.recommend('acme', 'credit', ['tea']).catch((e: unknown) => e);
    expect(toTable).toBeInstanceOf(LeptonApiError);
    expect(toTable).toMatchObject({ status: 400, message: 'this model reads table rows, not item histories' });
    const rows = await client.predict('acme', 'basket-co', { tea: 't' }).catch((e: unknown) => e);
    expect(rows).toMatchObject({ status: 400, message: expect.stringMatching(/this is a recommendation model: send \{"history"/) });
    const badK = await client.recommend('acme', 'basket-co', ['tea'], 0).catch((e: unknown) => e);
    expect(badK).toMatchObject({ status: 400 });
    // The server keeps serving after the bad requests.
    expect((await client.recommend('acme', 'basket-co', ['tea'], 3)).recommendations).toHaveLength(3);
  });
});
