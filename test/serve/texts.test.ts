import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LeptonApiError } from '../../src/client/client.js';
import { readTextArff } from '../../src/text/classify.js';
import { trainTexts } from '../../src/train/train-texts.js';
import { train } from '../../src/train/train.js';
import { CREDIT } from '../helpers.js';
import { publish, serveModels, type Served } from './fixture.js';

let served: Served;
let local: Float32Array;
const sample = ['Wheat and corn exports rose as the USDA raised its grain estimates for the Soviet Union', 'The company reported higher quarterly profit on computer sales'];

beforeAll(async () => {
  served = await serveModels(async (home) => {
    const data = await readTextArff('data/ReutersGrain-train.arff');
    const { model } = await trainTexts(data.texts, data.labels, data.classes, {
      seqLen: 48,
      params: { layers: [{ type: 'embedding', dim: 32 }, { type: 'gru', hidden: 32 }, { type: 'pool', mode: 'mean' }, { type: 'linear', out: 2 }], epochs: 3, lr: 3e-3 },
    });
    local = (await model.predictTexts(sample)).probabilities;
    await publish(home, 'grain', model);
    await publish(home, 'credit', (await train(CREDIT, { target: 'class', model: 'logistic' })).model);
  });
}, 40_000);
afterAll(() => served.close());

describe('serve: text models', () => {
  it('predicts {"texts": [...]} as the library does, and explains texts / rows sent to the wrong model and empty lists', async () => {
    const { client } = served;
    const r = await client.predictTexts('acme', 'grain', [...sample, 'grain '.repeat(60)]);
    expect(r.model).toEqual({ name: 'grain', version: 1 });
    expect(r.predictions).toHaveLength(3);
    expect(r.truncated).toBe(1);
    for (const [i, p] of r.predictions.slice(0, 2).entries()) {
      expect('label' in p && Object.keys(p.probabilities).sort()).toEqual(['0', '1']);
      expect('label' in p && p.probabilities['1']).toBeCloseTo(local[i * 2 + 1]!, 5);
    }
    const rows = await client.predict('acme', 'grain', { text: 'wheat' }).catch((e: unknown) => e);
    expect(rows).toBeInstanceOf(LeptonApiError);
    expect(rows).toMatchObject({ status: 400, message: expect.stringMatching(/this is a text model: send \{"texts"/) });
    const toTable = await client.predictTexts('acme', 'credit', ['hello']).catch((e: unknown) => e);
    expect(toTable).toMatchObject({ status: 400, message: 'this model reads table rows, not texts' });
    const empty = await client.predictTexts('acme', 'grain', []).catch((e: unknown) => e);
    expect(empty).toMatchObject({ status: 400, message: '"texts" is empty' });
    // The server keeps serving after the bad requests.
    expect((await client.predictTexts('acme', 'grain', ['wheat'])).predictions).toHaveLength(1);
  });
});
