import { describe, expect, it } from 'vitest';
import { LeptonClient } from '../../src/client/client.js';
import { buildApp } from '../../src/serve/app.js';
import { creditRows, fixture } from './fixture.js';

describe('serve: graceful shutdown', () => {
  it('finishes in-flight requests, records running jobs as cancelled, then refuses new requests', async () => {
    const { home, keys, creditArff } = await fixture();
    const app = await buildApp(home);
    // Make every prediction take a while, so that all are surely in flight when close() starts.
    let arrived = 0;
    app.addHook('preHandler', async (req) => {
      if (!req.url.endsWith('/predict')) return;
      arrived++;
      await new Promise((r) => setTimeout(r, 300));
    });
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    const trainer = new LeptonClient({ baseUrl: url, apiKey: keys.trainer });
    await trainer.uploadDataset('acme', 'loans', creditArff, 'arff');
    const run = await trainer.startRun('acme', { dataset: 'loans', target: 'class', model: 'mlp', params: { mlp: { epochs: 100000, patience: 0 } } });
    const predictor = trainer.withKey(keys.predictor);
    const rows = await creditRows(20);
    const inflight = Array.from({ length: 40 }, (_, i) => predictor.predict('acme', 'credit', rows.slice(0, 1 + (i % 20))));
    while (arrived < 40) await new Promise((r) => setTimeout(r, 5));
    await app.close();
    const results = await Promise.allSettled(inflight);
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value.predictions.length : 0))).toEqual(Array.from({ length: 40 }, (_, i) => 1 + (i % 20)));
    expect((await home.registry.run('acme', run.id)).status).toBe('cancelled');
    await expect(predictor.health()).rejects.toThrow();
    await home.close();
  });
});
