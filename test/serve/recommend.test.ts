import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LeptonApiError } from '../../src/client/client.js';
import { readTable } from '../../src/data/readers/index.js';
import { recommend, type RecommendResult } from '../../src/recommend/predict.js';
import { trainRecommender } from '../../src/recommend/recommend.js';
import { train } from '../../src/train/train.js';
import { CREDIT, ROOT } from '../helpers.js';
import { publish, serveModels, type Served } from './fixture.js';

let served: Served;
const history = ['tea', 'biscuits', 'coffee'];
const local: Record<string, RecommendResult> = {};

beforeAll(async () => {
  served = await serveModels(async (home) => {
    const full = await readTable(join(ROOT, 'data', 'supermarket.arff'));
    const baskets = full.take(Int32Array.from({ length: 500 }, (_, i) => i));
    for (const [name, family] of [['basket-gru', 'gru'], ['basket-co', 'cooccurrence']] as const) {
      const { model } = await trainRecommender(baskets, { model: family, seqLen: 10, params: { gru: { epochs: 1, dim: 16, hidden: 32 } } });
      local[name] = await recommend(model, history, 5);
      await publish(home, name, model);
    }
    await publish(home, 'credit', (await train(CREDIT, { target: 'class', model: 'logistic' })).model);
  });
}, 40_000);
afterAll(() => served.close());

describe('serve: recommendation models', () => {
  it('answers {"history": [...], "k": 5} with the top-k items the library gives, history excluded', async () => {
    const { client } = served;
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
    const { client } = served;
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
