import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Home } from '../../src/registry/open.js';
import { buildApp } from '../../src/serve/app.js';
import { creditRows, fixture } from './fixture.js';

let app: FastifyInstance;
let home: Home;
let keys: Awaited<ReturnType<typeof fixture>>['keys'];
let rows: Record<string, string | number>[];
const auth = (k: string) => ({ authorization: `Bearer ${k}` });
const predictUrl = '/v1/projects/acme/models/credit/predict';

beforeAll(async () => {
  ({ home, keys } = await fixture());
  app = await buildApp(home, { maxRequestRows: 50, bodyLimit: 64 * 1024 });
  rows = await creditRows(3);
});
afterAll(async () => {
  await app.close();
  await home.close();
});

describe('serve: predictions', () => {
  it('predicts one row and a batch with the production version, or a version by number', async () => {
    const one = await app.inject({ method: 'POST', url: predictUrl, headers: auth(keys.predictor), payload: { row: rows[0] } });
    expect(one.statusCode, one.body).toBe(200);
    const body = one.json() as { model: { version: number }; predictions: { label: string; probabilities: Record<string, number> }[] };
    expect(body.model).toEqual({ name: 'credit', version: 1 });
    expect(body.predictions[0]!.probabilities.good! + body.predictions[0]!.probabilities.bad!).toBeCloseTo(1, 5);
    const batch = await app.inject({ method: 'POST', url: `${predictUrl}?version=2`, headers: auth(keys.predictor), payload: { rows } });
    expect(batch.json()).toMatchObject({ model: { version: 2 } });
    expect((batch.json() as { predictions: unknown[] }).predictions).toHaveLength(3);
    expect(one.headers['x-request-id']).toBeTruthy();
  });

  it('answers every malformed request with a 4xx that says what is wrong, then keeps serving', async () => {
    const send = (payload: string | object, url = predictUrl, key = keys.predictor) =>
      app.inject({ method: 'POST', url, headers: { ...auth(key), 'content-type': 'application/json' }, payload: typeof payload === 'string' ? payload : JSON.stringify(payload) });
    const cases: [string | object, number, RegExp, string?][] = [
      ['{"row": {"duration": 12', 400, /not valid JSON/],
      ['{"row": {"duration": NaN}}', 400, /field 'duration' is NaN/],
      ['{"row": {"duration": -Infinity}}', 400, /field 'duration' is -Infinity/],
      [{ row: { ...rows[0], duration: 'Infinity' } }, 400, /column 'duration': 'Infinity' is not a finite number/],
      [{ row: { ...rows[0], duration: 'twelve' } }, 400, /column 'duration': 'twelve' is not a number/],
      [{ row: { ...rows[0], duration: { months: 12 } } }, 400, /body\.row\.duration/],
      [{ row: rows[0], extra: 1 }, 400, /body has unknown field 'extra'/],
      [{}, 400, /exactly one of "row"/],
      [{ row: { duration: 12 } }, 400, /input is missing columns 'checking_status', 'credit_history'/],
      [{ rows: Array.from({ length: 51 }, () => rows[0]) }, 413, /batch of 51 rows exceeds the limit of 50/],
      [{ rows: Array.from({ length: 40 }, () => ({ ...rows[0], pad: 'x'.repeat(2000) })) }, 413, /larger than the limit of 65536 bytes/],
      [{ row: rows[0] }, 404, /model 'nope' not found in project 'acme'/, '/v1/projects/acme/models/nope/predict'],
      [{ row: rows[0] }, 404, /model 'credit' has no alias 'canary' \(it has 'production'\)/, `${predictUrl}?alias=canary`],
      [{ row: rows[0] }, 404, /model 'credit' has no version 9/, `${predictUrl}?version=9`],
      [{ row: rows[0] }, 400, /querystring\.version/, `${predictUrl}?version=abc`],
    ];
    for (const [payload, status, message, url] of cases) {
      const r = await send(payload, url);
      expect(r.statusCode, `${JSON.stringify(payload).slice(0, 80)} → ${r.body}`).toBe(status);
      expect((r.json() as { error: string }).error).toMatch(message);
    }
    const ok = await send({ row: rows[0] });
    expect(ok.statusCode).toBe(200);
  });

  it('reloads a model version the pool disposed, and names a version whose artifact is gone', async () => {
    app.lepton.pool.sweep(Date.now() + 3_600_000); // dispose every idle version now
    const again = await app.inject({ method: 'POST', url: predictUrl, headers: auth(keys.predictor), payload: { row: rows[0] } });
    expect(again.statusCode, again.body).toBe(200);
    // A version whose artifact file was lost: a clear error, and the server keeps serving.
    const v = await home.registry.registerModelVersion('acme', { name: 'lost', artifact: 'f'.repeat(64), formatVersion: 1, task: 'classification' }, { keyId: null, name: 'test' });
    const lost = await app.inject({ method: 'POST', url: `/v1/projects/acme/models/lost/predict?version=${v.version}`, headers: auth(keys.predictor), payload: { row: rows[0] } });
    expect(lost.statusCode).toBe(500);
    expect(lost.json()).toMatchObject({ code: 'E_REGISTRY', error: expect.stringMatching(/artifact ffffffffffff… is missing/) });
    expect((await app.inject({ method: 'POST', url: predictUrl, headers: auth(keys.predictor), payload: { row: rows[0] } })).statusCode).toBe(200);
  });
});

describe('serve: tenancy and auth', () => {
  it('401 without a valid key, 403 across projects and below the needed role', async () => {
    expect((await app.inject({ method: 'POST', url: predictUrl, payload: { row: rows[0] } })).statusCode).toBe(401);
    expect((await app.inject({ method: 'POST', url: predictUrl, headers: auth('lep_wrong'), payload: { row: rows[0] } })).statusCode).toBe(401);
    const other = await app.inject({ method: 'POST', url: predictUrl, headers: auth(keys.other), payload: { row: rows[0] } });
    expect(other.statusCode).toBe(403);
    expect(other.json()).toMatchObject({ error: "this API key belongs to project 'globex', not 'acme'" });
    const viewer = await app.inject({ method: 'POST', url: predictUrl, headers: auth(keys.viewer), payload: { row: rows[0] } });
    expect(viewer.statusCode).toBe(403);
    const train = await app.inject({ method: 'POST', url: '/v1/projects/acme/runs', headers: auth(keys.predictor), payload: { dataset: 'credit', target: 'class' } });
    expect(train.statusCode).toBe(403);
    expect(train.json()).toMatchObject({ error: 'a predictor key cannot upload data and train; that needs the trainer role' });
    const promote = await app.inject({ method: 'PUT', url: '/v1/projects/acme/models/credit/aliases/production', headers: auth(keys.trainer), payload: { version: 2 } });
    expect(promote.statusCode).toBe(403);
    expect((await app.inject({ method: 'GET', url: '/v1/projects/acme/models', headers: auth(keys.viewer) })).statusCode).toBe(200);
  });

  it('admins create and revoke keys; every change is in the audit log with key id and time', async () => {
    const created = await app.inject({ method: 'POST', url: '/v1/projects/acme/keys', headers: auth(keys.admin), payload: { role: 'predictor', name: 'mobile app' } });
    expect(created.statusCode).toBe(201);
    const { id, key } = created.json() as { id: number; key: string };
    expect((await app.inject({ method: 'POST', url: predictUrl, headers: auth(key), payload: { row: rows[0] } })).statusCode).toBe(200);
    expect((await app.inject({ method: 'DELETE', url: `/v1/projects/acme/keys/${id}`, headers: auth(keys.admin) })).statusCode).toBe(200);
    expect((await app.inject({ method: 'POST', url: predictUrl, headers: auth(key), payload: { row: rows[0] } })).statusCode).toBe(401);
    const list = (await app.inject({ method: 'GET', url: '/v1/projects/acme/keys', headers: auth(keys.admin) })).body;
    expect(list).not.toContain(key);
    const audit = (await app.inject({ method: 'GET', url: '/v1/projects/acme/audit', headers: auth(keys.admin) })).json() as { entries: { action: string; keyId: number | null; target: string; at: string }[] };
    const adminId = (await home.registry.authenticate(keys.admin))!.keyId;
    expect(audit.entries.find((e) => e.action === 'key.create' && e.target === `key:${id}`)).toMatchObject({ keyId: adminId });
    expect(audit.entries.find((e) => e.action === 'key.revoke')).toMatchObject({ keyId: adminId });
    expect(audit.entries.every((e) => !Number.isNaN(Date.parse(e.at)))).toBe(true);
  });

  it('moves traffic when an alias moves, and rolls back', async () => {
    const version = async () => ((await app.inject({ method: 'POST', url: predictUrl, headers: auth(keys.predictor), payload: { row: rows[0] } })).json() as { model: { version: number } }).model.version;
    expect(await version()).toBe(1);
    const put = await app.inject({ method: 'PUT', url: '/v1/projects/acme/models/credit/aliases/production', headers: auth(keys.admin), payload: { version: 2 } });
    expect(put.json()).toEqual({ alias: 'production', version: 2, previous: 1 });
    expect(await version()).toBe(2);
    const back = await app.inject({ method: 'POST', url: '/v1/projects/acme/models/credit/aliases/production/rollback', headers: auth(keys.admin) });
    expect(back.json()).toEqual({ alias: 'production', version: 1, previous: 2 });
    expect(await version()).toBe(1);
  });

  it('rate-limits per key with 429 and a message', async () => {
    const limited = await buildApp(home, { rateLimit: 3 });
    const codes: number[] = [];
    for (let i = 0; i < 4; i++) codes.push((await limited.inject({ method: 'GET', url: '/v1/projects/acme/models', headers: auth(keys.viewer) })).statusCode);
    expect(codes).toEqual([200, 200, 200, 429]);
    const r = await limited.inject({ method: 'GET', url: '/v1/projects/acme/models', headers: auth(keys.viewer) });
    expect(r.json()).toMatchObject({ code: 'E_RATE_LIMIT', error: expect.stringMatching(/rate limit of 3 requests per minute exceeded/) });
    expect((await limited.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    await limited.close();
  });
});

describe('serve: operations', () => {
  it('has health, readiness, Prometheus metrics, an OpenAPI document and /docs', async () => {
    expect((await app.inject('/healthz')).json()).toEqual({ status: 'ok' });
    expect((await app.inject('/readyz')).json()).toEqual({ status: 'ready' });
    const metrics = (await app.inject('/metrics')).body;
    expect(metrics).toMatch(/lepton_http_request_duration_seconds_bucket\{le="0.005",method="POST",route="\/v1\/projects\/:project\/models\/:name\/predict"\}/);
    expect(metrics).toMatch(/lepton_batch_rows_bucket\{le="\d+",model="acme\/credit@1"\}/);
    expect(metrics).toMatch(/lepton_predict_queue_rows/);
    const doc = (await app.inject('/openapi.json')).json() as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v1/projects/{project}/models/{name}/predict', '/v1/projects/{project}/runs', '/v1/projects/{project}/runs/{id}/events', '/v1/projects/{project}/datasets/{name}']));
    const ui = await app.inject('/docs/');
    expect(ui.statusCode).toBe(200);
    expect(ui.body).toMatch(/swagger/i);
    expect((await app.inject('/nowhere')).json()).toMatchObject({ code: 'E_NOT_FOUND' });
  });
});
