import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Prediction } from '../../src/models/model.js';
import { trainMixed } from '../../src/train/train-mixed.js';
import { tmp } from '../helpers.js';
import { writeFashionTable } from '../train/fashion-mixed.js';
import { publish, serveModels, type Served } from './fixture.js';

let served: Served;
let rows: { image_path: string; amount: number }[];
let local: Prediction[];

beforeAll(async () => {
  const dir = tmp();
  const { csv, rows: all, png } = await writeFashionTable(dir, 80);
  const { model } = await trainMixed(csv, { target: 'y', seed: 2, params: { epochs: 3 } });
  // Over HTTP a row carries its image as base64; the library reads the same images from their files.
  rows = all.slice(0, 5).map(({ image_path, amount }) => ({ image_path: png.get(image_path)!.toString('base64'), amount }));
  local = await model.predict(all.slice(0, 5).map(({ image_path, amount }) => ({ image_path: `${dir}/${image_path}`, amount })));
  served = await serveModels((home) => publish(home, 'listings', model));
}, 40_000);
afterAll(() => served.close());

describe('serve: mixed models (an image column beside a number)', () => {
  it('predicts rows whose image is base64 as the library does from the files; file paths and broken images are 400s naming the row', async () => {
    const { client } = served;
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
