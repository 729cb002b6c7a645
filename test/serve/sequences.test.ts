import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tableFromRows } from '../../src/data/readers/index.js';
import { trainSequences } from '../../src/train/train-sequences.js';
import { runToFailure } from '../data/run-to-failure.js';
import { publish, serveModels, type Served } from './fixture.js';

let served: Served;
let local: Float32Array;
// Two units' readings, interleaved and out of order.
const rows = runToFailure(2, 21).sort((a, b) => (a.cycle! % 3) - (b.cycle! % 3) || b.unit! - a.unit!);

beforeAll(async () => {
  served = await serveModels(async (home) => {
    const { model } = await trainSequences(tableFromRows(runToFailure(120, 20)), { target: 'fail_soon', id: 'unit', time: 'cycle', seqLen: 30, params: { epochs: 3 } });
    local = await model.predictTable(tableFromRows(rows));
    await publish(home, 'engines', model);
  });
}, 40_000);
afterAll(() => served.close());

describe('serve: sequence models', () => {
  it('groups {"rows": [...]} by id: one prediction per id, named in "ids", as the library predicts', async () => {
    const { client } = served;
    const r = await client.predict('acme', 'engines', rows);
    expect(r.ids).toEqual([String(rows[0]!.unit), String(3 - rows[0]!.unit!)]);
    expect(r.predictions).toHaveLength(2);
    r.predictions.forEach((p, i) => expect('label' in p && p.probabilities['1']).toBeCloseTo(local[i * 2 + 1]!, 5));
  });
});
