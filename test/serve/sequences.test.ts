import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LeptonClient } from '../../src/client/client.js';
import { tableFromRows } from '../../src/data/readers/index.js';
import { encodeModel, FORMAT_VERSION } from '../../src/models/artifact.js';
import { openHome, type Home } from '../../src/registry/open.js';
import { startServer, type ServerHandle } from '../../src/serve/server.js';
import { trainSequences } from '../../src/train/train-sequences.js';
import { runToFailure } from '../data/run-to-failure.js';
import { tmp } from '../helpers.js';
import { admin } from './fixture.js';

let home: Home;
let server: ServerHandle;
let key: string;
let local: Float32Array;
// Two units' readings, interleaved and out of order.
const rows = runToFailure(2, 21).sort((a, b) => (a.cycle! % 3) - (b.cycle! % 3) || b.unit! - a.unit!);

beforeAll(async () => {
  home = await openHome({ dir: tmp() });
  const { model } = await trainSequences(tableFromRows(runToFailure(120, 20)), { target: 'fail_soon', id: 'unit', time: 'cycle', seqLen: 30, params: { epochs: 3 } });
  local = await model.predictTable(tableFromRows(rows));
  await home.registry.registerModelVersion('acme', { name: 'engines', artifact: await home.artifacts.put(encodeModel(model)), formatVersion: FORMAT_VERSION, task: 'classification' }, admin);
  await home.registry.setAlias('acme', 'engines', 'production', 1, admin);
  model.dispose();
  key = (await home.registry.createKey('acme', 'predictor', 'p', admin)).key;
  server = await startServer({ home, port: 0 });
}, 40_000);
afterAll(async () => {
  await server.close();
  await home.close();
});

describe('serve: sequence models', () => {
  it('groups {"rows": [...]} by id: one prediction per id, named in "ids", as the library predicts', async () => {
    const client = new LeptonClient({ baseUrl: server.url, apiKey: key });
    const r = await client.predict('acme', 'engines', rows);
    expect(r.ids).toEqual([String(rows[0]!.unit), String(3 - rows[0]!.unit!)]);
    expect(r.predictions).toHaveLength(2);
    r.predictions.forEach((p, i) => expect('label' in p && p.probabilities['1']).toBeCloseTo(local[i * 2 + 1]!, 5));
  });
});
