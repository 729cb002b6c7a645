import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LeptonClient } from '../../src/client/client.js';
import { encodeModel, FORMAT_VERSION } from '../../src/models/artifact.js';
import type { Prediction } from '../../src/models/model.js';
import { openHome, type Home } from '../../src/registry/open.js';
import { startServer, type ServerHandle } from '../../src/serve/server.js';
import { trainMixed } from '../../src/train/train-mixed.js';
import { tmp } from '../helpers.js';
import { writeFashionTable } from '../train/fashion-mixed.js';
import { admin } from './fixture.js';

let home: Home;
let server: ServerHandle;
let key: string;
let rows: { image_path: string; amount: number }[];
let local: Prediction[];

beforeAll(async () => {
  home = await openHome({ dir: tmp() });
  const dir = tmp();
  const { csv, rows: all, png } = await writeFashionTable(dir, 80);
  const { model } = await trainMixed(csv, { target: 'y', seed: 2, params: { epochs: 3 } });
  // Over HTTP a row carries its image as base64.
  rows = all.slice(0, 5).map(({ image_path, amount }) => ({ image_path: png.get(image_path)!.toString('base64'), amount }));
  local = await model.predict(all.slice(0, 5).map(({ image_path, amount }) => ({ image_path: `${dir}/${image_path}`, amount })));
  await home.registry.registerModelVersion('acme', { name: 'listings', artifact: await home.artifacts.put(encodeModel(model)), formatVersion: FORMAT_VERSION, task: 'classification' }, admin);
  await home.registry.setAlias('acme', 'listings', 'production', 1, admin);
  model.dispose();
  key = (await home.registry.createKey('acme', 'predictor', 'p', admin)).key;
  server = await startServer({ home, port: 0 });
}, 40_000);
afterAll(async () => {
  await server.close();
  await home.close();
});

describe('serve: mixed models (an image column beside a number)', () => {
  it('predicts rows whose image is base64 as the library does from the files; file paths and broken images are 400s naming the row', async () => {
    const client = new LeptonClient({ baseUrl: server.url, apiKey: key });
    const r = await client.predict('acme', 'listings', rows);
    expect(r.predictions).toHaveLength(5);
    r.predictions.forEach((p, i) => {
      const want = local[i] as { label: string; probabilities: Record<string, number> };
      expect('label' in p && p.label).toBe(want.label);
      expect('label' in p && p.probabilities['yes']).toBeCloseTo(want.probabilities['yes']!, 5);
    });
    expect((await client.predict('acme', 'listings', { image_path: `data:image/png;base64,${rows[0]!.image_path}`, amount: 3 })).predictions).toHaveLength(1);
    await expect(client.predict('acme', 'listings', [rows[0]!, { image_path: '/etc/passwd.png', amount: 3 }])).rejects.toMatchObject({ status: 400, message: expect.stringMatching(/row 2, column 'image_path': '\/etc\/passwd\.png' is a file path; rows sent over HTTP carry their images as base64/) });
    await expect(client.predict('acme', 'listings', { image_path: rows[0]!.image_path.slice(0, 80), amount: 3 })).rejects.toMatchObject({ status: 400, message: expect.stringMatching(/cannot decode image .*row 1, column 'image_path'/) });
  });
});
