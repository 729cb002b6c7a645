import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresDb } from '../../src/registry/postgres-db.js';
import { Registry, type Actor } from '../../src/registry/registry.js';
import { SqliteDb } from '../../src/registry/sqlite-db.js';
import { tmp } from '../helpers.js';
import { startPostgres, type PgServer } from './pg-server.js';

const cli: Actor = { keyId: null, name: 'cli:test' };
let pg: PgServer;
beforeAll(() => {
  pg = startPostgres();
});
afterAll(() => pg?.stop());

const backends: [string, () => Promise<Registry>][] = [
  ['sqlite', () => Registry.open(new SqliteDb(join(tmp(), 'registry.db')))],
  ['postgres', () => Registry.open(new PostgresDb(pg.url))],
];

describe.each(backends)('registry on %s', (_name, open) => {
  let reg: Registry;
  beforeAll(async () => {
    reg = await open();
  });
  afterAll(() => reg.close());

  it('migrates idempotently and creates projects once', async () => {
    await Registry.open(reg.db); // second migrate is a no-op
    const a = await reg.ensureProject('acme');
    const b = await reg.ensureProject('acme');
    expect(b).toEqual(a);
    expect(a.org).toBe('default');
    await expect(reg.ensureProject('bad name!')).rejects.toThrow(/invalid project name 'bad name!'/);
  });

  it('stores API keys hashed, authenticates, and revokes', async () => {
    const { id, key } = await reg.createKey('acme', 'predictor', 'web', cli);
    expect(key).toMatch(/^lep_/);
    const rows = await reg.db.all<{ hash: string }>('SELECT hash FROM api_keys WHERE id = ?', [id]);
    expect(rows[0]!.hash).not.toContain(key);
    expect(await reg.authenticate(key)).toMatchObject({ keyId: id, project: 'acme', role: 'predictor' });
    expect(await reg.authenticate(`${key}x`)).toBeUndefined();
    await reg.revokeKey('acme', id, cli);
    expect(await reg.authenticate(key)).toBeUndefined();
    await expect(reg.createKey('acme', 'root' as 'admin', 'x', cli)).rejects.toThrow(/unknown role 'root'/);
  });

  it('numbers model versions, moves aliases atomically with history, rolls back, and audits', async () => {
    const v1 = await reg.registerModelVersion('acme', { name: 'credit', artifact: 'a'.repeat(64), formatVersion: 1, task: 'classification', metrics: { rocAuc: 0.8 } }, cli);
    const v2 = await reg.registerModelVersion('acme', { name: 'credit', artifact: 'b'.repeat(64), formatVersion: 1, task: 'classification' }, { keyId: 7, name: 'key:7' });
    expect([v1.version, v2.version]).toEqual([1, 2]);
    expect(await reg.setAlias('acme', 'credit', 'production', 1, cli)).toBeNull();
    expect(await reg.setAlias('acme', 'credit', 'production', 2, cli)).toBe(1);
    expect((await reg.modelVersion('acme', 'credit', 'production')).version).toBe(2);
    expect((await reg.modelVersion('acme', 'credit', 2)).aliases).toEqual(['production']);
    expect(await reg.rollbackAlias('acme', 'credit', 'production', cli)).toEqual({ from: 2, to: 1 });
    expect((await reg.modelVersion('acme', 'credit', 'production')).version).toBe(1);
    expect(await reg.listModels('acme')).toEqual([{ name: 'credit', latest: 2, versions: 2, aliases: { production: 1 } }]);
    await expect(reg.modelVersion('acme', 'credit', 'staging')).rejects.toThrow(/model 'credit' has no alias 'staging' \(it has 'production'\)/);
    await expect(reg.modelVersion('acme', 'credit', 9)).rejects.toThrow(/has no version 9/);
    await expect(reg.modelVersion('acme', 'nope', 1)).rejects.toThrow(/model 'nope' not found in project 'acme'/);
    await expect(reg.setAlias('acme', 'credit', 'production', 5, cli)).rejects.toThrow(/has no version 5/);
    const audit = await reg.listAudit('acme');
    expect(audit.map((a) => a.action)).toEqual(expect.arrayContaining(['model.register', 'alias.set', 'key.create', 'key.revoke']));
    expect(audit.find((a) => a.target === 'credit@2')).toMatchObject({ keyId: 7, actor: 'key:7' });
  });

  it('gives concurrent registrations distinct version numbers', async () => {
    const vs = await Promise.all(Array.from({ length: 8 }, (_, i) => reg.registerModelVersion('acme', { name: 'race', artifact: String(i).repeat(64).slice(0, 64), formatVersion: 1, task: 'regression' }, cli).catch((e: Error) => e)));
    const ok = vs.filter((v): v is Exclude<typeof v, Error> => !(v instanceof Error)).map((v) => v.version);
    // PostgreSQL's serializable isolation may refuse some racers; none may share a number.
    expect(new Set(ok).size).toBe(ok.length);
    expect(ok.length).toBeGreaterThan(0);
  });

  it('versions datasets by content hash and reuses identical content', async () => {
    const a = await reg.addDataset('acme', { name: 'loans', hash: 'h1', format: 'csv', rows: 10, columns: ['a', 'b'] }, cli);
    const again = await reg.addDataset('acme', { name: 'loans', hash: 'h1', format: 'csv', rows: 10, columns: ['a', 'b'] }, cli);
    const b = await reg.addDataset('acme', { name: 'loans', hash: 'h2', format: 'csv', rows: 11, columns: ['a', 'b'] }, cli);
    expect([a.record.version, again.record.version, again.reused, b.record.version]).toEqual([1, 1, true, 2]);
    expect((await reg.dataset('acme', 'loans')).version).toBe(2);
  });

  it('records runs with metric series and marks orphaned runs failed', async () => {
    const id = await reg.createRun('acme', { params: { target: 'class' }, seed: 1, packages: { lepton: '0.1.0' }, host: 'h', pid: 999999 }, cli);
    await reg.logRunMetric(id, 'mlp', 1, { trainLoss: 0.6, valLoss: 0.5 });
    await reg.logRunMetric(id, 'mlp', 2, { trainLoss: 0.5, valLoss: 0.45 });
    expect((await reg.runMetrics(id)).map((m) => m.step)).toEqual([1, 2]);
    expect(await reg.failOrphanedRuns('h', () => false)).toContain(id);
    const run = await reg.run('acme', id);
    expect(run.status).toBe('failed');
    expect(run.error).toMatch(/interrupted: the process running it \(pid 999999\) stopped/);
    await reg.finishRun(id, 'succeeded', {});
    expect((await reg.run('acme', id)).status).toBe('failed'); // a finished run is never reopened
  });
});
