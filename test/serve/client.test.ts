import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LeptonApiError, LeptonClient } from '../../src/client/client.js';
import type { Home } from '../../src/registry/open.js';
import { startServer, type ServerHandle } from '../../src/serve/server.js';
import { creditRows, fixture } from './fixture.js';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readTable } from '../../src/data/readers/index.js';
import { CANCER, cli, tmp } from '../helpers.js';

let home: Home;
let server: ServerHandle;
let keys: Awaited<ReturnType<typeof fixture>>['keys'];
let creditArff: Buffer;

beforeAll(async () => {
  ({ home, keys, creditArff } = await fixture());
  server = await startServer({ home, port: 0 });
});
afterAll(async () => {
  await server.close();
  await home.close();
});

describe('client: the typed TypeScript client against a live server', () => {
  it('uploads data, trains through the API while watching progress, promotes, and predicts', async () => {
    const admin = new LeptonClient({ baseUrl: server.url, apiKey: keys.admin });
    expect(await admin.health()).toEqual({ status: 'ok' });
    const trainer = admin.withKey((await admin.createKey('acme', 'trainer', 'ci')).key);
    const up = await trainer.uploadDataset('acme', 'loans', creditArff, 'arff');
    expect(up).toMatchObject({ name: 'loans', version: 1, rows: 1000, reused: false });
    expect(await trainer.uploadDataset('acme', 'loans', creditArff, 'arff')).toMatchObject({ version: 1, reused: true });
    const quality = await trainer.inspectDataset('acme', 'loans', { target: 'class' });
    expect(quality).toMatchObject({ rows: 1000, duplicateRows: 0, leaks: [] });
    const cleaned = await trainer.cleanDataset('acme', 'loans', { outliers: 'clip' });
    expect(cleaned.dataset).toEqual({ name: 'loans', version: 2 });
    expect(cleaned.changes.join('\n')).toMatch(/clipped \d+ outliers in credit_amount/);
    expect(await trainer.maskDataset('acme', 'loans', {}, 1)).toMatchObject({ dataset: { version: 3 }, transforms: [] });
    await expect(trainer.withKey(keys.viewer).cleanDataset('acme', 'loans')).rejects.toMatchObject({ status: 403 });

    const run = await trainer.startRun('acme', { dataset: 'loans', datasetVersion: 1, target: 'class', model: 'logistic', register: { name: 'loans-model', alias: 'staging' } });
    const types: string[] = [];
    let finished: { status?: string; modelVersion?: number } = {};
    for await (const e of trainer.runEvents('acme', run.id)) {
      types.push(e.type);
      if (e.type === 'finished') finished = e;
    }
    expect(types[0]).toBe('status');
    expect(types).toContain('epoch');
    expect(finished).toMatchObject({ status: 'succeeded', modelVersion: 1 });
    const record = await trainer.run('acme', run.id);
    expect(record.status).toBe('succeeded');
    expect(record.series.length).toBeGreaterThan(1); // L-BFGS: a logistic fit converges in a few epochs
    expect(record.packages).toHaveProperty('libtorch');
    // Late subscribers get the outcome at once.
    const late: string[] = [];
    for await (const e of trainer.runEvents('acme', run.id)) late.push(e.type);
    expect(late).toEqual(['finished']);

    await admin.setAlias('acme', 'loans-model', 'production', 1);
    const predictor = admin.withKey(keys.predictor);
    const rows = await creditRows(2);
    const one = await predictor.predict('acme', 'loans-model', rows[0]!);
    expect(one.model).toEqual({ name: 'loans-model', version: 1 });
    const staged = await predictor.predict('acme', 'loans-model', rows, { alias: 'staging' });
    expect(staged.predictions).toHaveLength(2);
    expect((await admin.models('acme')).models.map((m) => m.name)).toEqual(['credit', 'loans-model']);
  });

  it('registers an uploaded model file as a version and lists what is deployed', async () => {
    const trainer = new LeptonClient({ baseUrl: server.url, apiKey: keys.trainer });
    const file = join(tmp(), 'bc.lepton');
    const made = await cli(['train', CANCER, '--target', 'diagnosis', '--model', 'logistic', '-q', '--out', file]);
    expect(made.code, made.stderr).toBe(0);
    const v = await trainer.registerModel('acme', 'cancer', await readFile(file));
    expect(v).toMatchObject({ name: 'cancer', version: 1, task: 'classification' });
    const bad = await trainer.registerModel('acme', 'cancer', Buffer.from('not a model')).catch((e: unknown) => e);
    expect(bad).toMatchObject({ status: 400, code: 'E_MODEL_FILE' });
    const admin = trainer.withKey(keys.admin);
    await admin.setAlias('acme', 'cancer', 'production', 1);
    const t = await readTable(CANCER);
    const row = Object.fromEntries(t.columnNames.filter((c) => c !== 'diagnosis').map((c) => [c, t.cell(c, 0) as number]));
    expect((await admin.withKey(keys.predictor).predict('acme', 'cancer', row)).predictions[0]).toMatchObject({ label: 'malignant' });
    const { deployments } = await admin.deployments('acme');
    expect(deployments).toEqual(expect.arrayContaining([expect.objectContaining({ model: 'cancer', alias: 'production', version: 1, config: expect.objectContaining({ maxBatchRows: 64 }) })]));
  });

  it('runs an AutoML search with class balancing as a job, and refuses a zero budget before any run exists', async () => {
    const trainer = new LeptonClient({ baseUrl: server.url, apiKey: keys.trainer });
    const run = await trainer.startRun('acme', { dataset: 'loans', target: 'class', model: 'logistic', balance: 'oversample', automl: { trials: 3, bag: false, earlyStop: false } });
    let finished: { status?: string; metrics?: Record<string, unknown> } = {};
    for await (const e of trainer.runEvents('acme', run.id)) if (e.type === 'finished') finished = e;
    expect(finished.status).toBe('succeeded');
    const record = await trainer.run('acme', run.id);
    expect(record.params).toMatchObject({ balance: 'oversample', automl: { trials: 3, bag: false, earlyStop: false } });
    const m = record.metrics as { leaderboard: { name: string; trials: { total: number } | null }[]; test: { rocAuc: number }; bagged: boolean };
    expect(m.bagged).toBe(false); // "bag": false refits, as --no-bag
    expect(m.leaderboard.find((e) => e.name === 'logistic')?.trials?.total).toBe(3);
    expect(m.test.rocAuc).toBeGreaterThan(0.7);
    const runs = (await trainer.runs('acme')).runs.length;
    const zero = await trainer.startRun('acme', { dataset: 'loans', target: 'class', automl: { trials: 0 } }).catch((e: unknown) => e);
    expect(zero).toMatchObject({ status: 400, code: 'E_OPTION', message: expect.stringMatching(/trial budget must be a whole number of trials above zero \(got 0\)/) });
    const unknown = await trainer.startRun('acme', { dataset: 'loans', target: 'class', balance: 'magic' as 'smote' }).catch((e: unknown) => e);
    expect(unknown).toMatchObject({ status: 400 });
    expect((await trainer.runs('acme')).runs.length).toBe(runs);
  });

  it('raises LeptonApiError with status, code, message and hint', async () => {
    const predictor = new LeptonClient({ baseUrl: server.url, apiKey: keys.predictor });
    const err = await predictor.startRun('acme', { dataset: 'loans', target: 'class' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LeptonApiError);
    expect(err).toMatchObject({ status: 403, code: 'E_FORBIDDEN' });
    const missing = await predictor.predict('acme', 'credit', { duration: 3 }).catch((e: unknown) => e);
    expect(missing).toMatchObject({ status: 400, code: 'E_COLUMN', hint: expect.stringMatching(/the model reads/) });
    const trainer = predictor.withKey(keys.trainer);
    const nodata = await trainer.startRun('acme', { dataset: 'ghost', target: 'class' }).catch((e: unknown) => e);
    expect(nodata).toMatchObject({ status: 404, message: expect.stringMatching(/dataset 'ghost' not found/) });
    const bad = await trainer.uploadDataset('acme', 'broken', 'a,b\n1,2\n3\n', 'csv').catch((e: unknown) => e);
    expect(bad).toMatchObject({ status: 400, message: 'broken.csv line 3 has a different number of fields than the header' });
    const latin = Buffer.from('name,email,city\nAnna,anna@example.com,K\xf6ln\nBo,bo@example.com,Malm\xf6\n', 'latin1');
    expect(await trainer.uploadDataset('acme', 'people', latin, 'csv').catch((e: unknown) => e)).toMatchObject({ status: 400, message: 'people.csv line 2 is not valid UTF-8' });
    const treated = await trainer.uploadDataset('acme', 'people', latin, 'csv', { encoding: 'latin1', pii: 'email=drop' });
    expect(treated).toMatchObject({ version: 1, columns: ['name', 'city'], transforms: expect.arrayContaining(['pii drop email (email)']) });
    const report = await trainer.inspectDataset('acme', 'people');
    expect(report.pii).toEqual([expect.objectContaining({ column: 'name', kind: 'person_name' })]);
  });

  it('cancels a running job through the API and records it as cancelled', async () => {
    const trainer = new LeptonClient({ baseUrl: server.url, apiKey: keys.trainer });
    const run = await trainer.startRun('acme', { dataset: 'loans', target: 'class', model: 'mlp', params: { mlp: { epochs: 100000, patience: 0 } } });
    let cancelled = false;
    let last: { type: string; status?: string } = { type: '' };
    for await (const e of trainer.runEvents('acme', run.id)) {
      if (e.type === 'epoch' && !cancelled) {
        cancelled = true;
        await trainer.cancelRun('acme', run.id);
      }
      last = e;
    }
    expect(last).toMatchObject({ type: 'finished', status: 'cancelled' });
    expect((await trainer.run('acme', run.id)).status).toBe('cancelled');
  });
});
