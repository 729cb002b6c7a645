import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LeptonApiError, LeptonClient } from '../../src/client/client.js';
import { readImageFolder } from '../../src/data/images.js';
import { encodeModel } from '../../src/models/artifact.js';
import { FORMAT_VERSION } from '../../src/models/artifact.js';
import { openHome, type Home } from '../../src/registry/open.js';
import { startServer, type ServerHandle } from '../../src/serve/server.js';
import { trainImages } from '../../src/train/train-images.js';
import { fashion, writeFolder } from '../data/fixtures.js';
import { tmp } from '../helpers.js';
import { admin } from './fixture.js';

let home: Home;
let server: ServerHandle;
let key: string;
let scans: string;

beforeAll(async () => {
  home = await openHome({ dir: tmp() });
  scans = join(tmp(), 'scans');
  await writeFolder(scans, await fashion());
  const { model } = await trainImages(await readImageFolder(scans), { params: { epochs: 2 }, torchThreads: 1 });
  const artifact = await home.artifacts.put(encodeModel(model));
  model.dispose();
  await home.registry.registerModelVersion('acme', { name: 'garments', artifact, formatVersion: FORMAT_VERSION, task: 'classification' }, admin);
  await home.registry.setAlias('acme', 'garments', 'production', 1, admin);
  key = (await home.registry.createKey('acme', 'predictor', 'p', admin)).key;
  server = await startServer({ home, port: 0 });
});
afterAll(async () => {
  await server.close();
  await home.close();
});

describe('serve: image models', () => {
  it('predicts base64 image files, and explains rows sent to an image model and broken images', async () => {
    const client = new LeptonClient({ baseUrl: server.url, apiKey: key });
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
