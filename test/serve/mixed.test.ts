import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LeptonClient } from '../../src/client/client.js';
import { encodeModel, FORMAT_VERSION } from '../../src/models/artifact.js';
import type { Prediction } from '../../src/models/model.js';
import { openHome, type Home } from '../../src/registry/open.js';
import { startServer, type ServerHandle } from '../../src/serve/server.js';
import { trainMixed } from '../../src/train/train-mixed.js';
import { tmp } from '../helpers.js';
import { grainRows, grainTable } from '../train/grain-mixed.js';
import { admin } from './fixture.js';

let home: Home;
let server: ServerHandle;
let key: string;
let rows: { story: string; amount: number }[];
let local: Prediction[];

beforeAll(async () => {
  home = await openHome({ dir: tmp() });
  const { model } = await trainMixed(await grainTable(), { target: 'y', seqLen: 32, params: { epochs: 3 } });
  rows = (await grainRows()).slice(0, 5).map(({ story, amount }) => ({ story, amount }));
  local = await model.predict(rows);
  await home.registry.registerModelVersion('acme', { name: 'claims', artifact: await home.artifacts.put(encodeModel(model)), formatVersion: FORMAT_VERSION, task: 'classification' }, admin);
  await home.registry.setAlias('acme', 'claims', 'production', 1, admin);
  model.dispose();
  key = (await home.registry.createKey('acme', 'predictor', 'p', admin)).key;
  server = await startServer({ home, port: 0 });
}, 40_000);
afterAll(async () => {
  await server.close();
  await home.close();
});

describe('serve: mixed models (a text column beside a number)', () => {
  it('predicts {"rows": [...]} and {"row": {...}} as the library does; a row without the text column is a 400 naming it', async () => {
    const client = new LeptonClient({ baseUrl: server.url, apiKey: key });
    const r = await client.predict('acme', 'claims', rows);
    expect(r.predictions).toHaveLength(5);
    r.predictions.forEach((p, i) => {
      const want = local[i] as { label: string; probabilities: Record<string, number> };
      expect('label' in p && p.label).toBe(want.label);
      expect('label' in p && p.probabilities['yes']).toBeCloseTo(want.probabilities['yes']!, 5);
    });
    expect((await client.predict('acme', 'claims', rows[0]!)).predictions).toHaveLength(1);
    await expect(client.predict('acme', 'claims', { amount: 3 })).rejects.toMatchObject({ status: 400, message: expect.stringMatching(/missing column 'story'/) });
  });
});
