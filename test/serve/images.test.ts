import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LeptonApiError } from '../../src/client/client.js';
import { readImageFolder } from '../../src/data/images.js';
import { trainImages } from '../../src/train/train-images.js';
import { fashion, writeFolder } from '../data/fixtures.js';
import { tmp } from '../helpers.js';
import { publish, serveModels, type Served } from './fixture.js';

let served: Served;
let scans: string;

beforeAll(async () => {
  served = await serveModels(async (home) => {
    scans = join(tmp(), 'scans');
    await writeFolder(scans, await fashion());
    const { model } = await trainImages(await readImageFolder(scans), { params: { epochs: 2 }, torchThreads: 1 });
    await publish(home, 'garments', model);
  });
});
afterAll(() => served.close());

describe('serve: image models', () => {
  it('predicts base64 image files, and explains rows sent to an image model and broken images', async () => {
    const { client } = served;
    const files = [join(scans, 'trouser', '01.png'), join(scans, 'pullover', '00.png')].map((f) => readFileSync(f));
    const r = await client.predictImages('acme', 'garments', files);
    expect(r.model).toEqual({ name: 'garments', version: 1 });
    expect(r.predictions).toHaveLength(2);
    for (const p of r.predictions) {
      expect('label' in p && Object.keys(p.probabilities).sort()).toEqual(['pullover', 't-shirt', 'trouser']);
      const total = 'label' in p ? Object.values(p.probabilities).reduce((a: number, b) => a + (b ?? 0), 0) : 0;
      expect(total).toBeCloseTo(1, 5);
    }
    const rows = await client.predict('acme', 'garments', { p0: 1 }).catch((e: unknown) => e);
    expect(rows).toBeInstanceOf(LeptonApiError);
    expect(rows).toMatchObject({ status: 400, message: expect.stringMatching(/this is an image model: send \{"images"/) });
    const broken = await client.predictImages('acme', 'garments', [Buffer.from('not an image at all')]).catch((e: unknown) => e);
    expect(broken).toMatchObject({ status: 400, message: expect.stringMatching(/cannot decode image images\[0\]/) });
    const notB64 = await client.predictImages('acme', 'garments', ['%%%']).catch((e: unknown) => e);
    expect(notB64).toMatchObject({ status: 400, message: 'images[0] is not base64' });
    // The server keeps serving after the bad requests.
    expect((await client.predictImages('acme', 'garments', [files[0]!])).predictions).toHaveLength(1);
  });
});
