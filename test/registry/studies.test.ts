import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LeptonError } from '../../src/errors.js';
import { PostgresDb } from '../../src/registry/postgres-db.js';
import { Registry, type Actor, type StudySpec, type TrialRecord } from '../../src/registry/registry.js';
import { SqliteDb } from '../../src/registry/sqlite-db.js';
import { TpeSampler } from '../../src/tune/samplers.js';
import { validateSpace, type Params } from '../../src/tune/space.js';
import { tmp } from '../helpers.js';
import { startPostgres, type PgServer } from './pg-server.js';

const cli: Actor = { keyId: null, name: 'cli:test' };
const me = { host: 'h1', pid: 111 };
let pg: PgServer;
beforeAll(() => {
  pg = startPostgres();
});
afterAll(() => pg?.stop());

const backends: [string, () => Promise<Registry>][] = [
  ['sqlite', () => Registry.open(new SqliteDb(join(tmp(), 'registry.db')))],
  ['postgres', () => Registry.open(new PostgresDb(pg.url))],
];

const space = validateSpace({
  lr: { type: 'loguniform', low: 1e-4, high: 1e-1 },
  optimizer: { type: 'categorical', choices: ['adam', 'sgd'] },
  momentum: { type: 'uniform', low: 0, high: 0.99, when: { optimizer: 'sgd' } },
});
const objective = (p: Params) => (Math.log10(p.lr as number) + 2) ** 2 + (p.optimizer === 'sgd' ? ((p.momentum as number) - 0.9) ** 2 : 0.1);

async function errorOf(p: Promise<unknown>): Promise<LeptonError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(LeptonError);
    return e as LeptonError;
  }
  throw new Error('expected an error');
}

describe.each(backends)('studies on %s', (_name, open) => {
  let reg: Registry;
  let spec: StudySpec;
  beforeAll(async () => {
    reg = await open();
    const ds = await reg.addDataset('tune', { name: 'loans', hash: 'a'.repeat(64), format: 'csv', rows: 100, columns: ['x', 'y'] }, cli);
    spec = { name: 'loans-auc', datasetId: ds.record.id, dataHash: ds.record.hash, target: 'y', direction: 'maximize', metric: 'rocAuc', space };
  });
  afterAll(() => reg.close());

  it('creates a study once and resumes it by name', async () => {
    const a = await reg.createOrResumeStudy('tune', spec, cli);
    expect(a.resumed).toBe(false);
    expect(a.study).toMatchObject({ name: 'loans-auc', project: 'tune', target: 'y', direction: 'maximize', metric: 'rocAuc', sampler: 'tpe', seed: 0, space });
    expect(Object.keys(a.study.space)).toEqual(['lr', 'optimizer', 'momentum']); // stored in declaration order
    // The same space written in another key order is the same space.
    const reordered = { momentum: space.momentum, optimizer: space.optimizer, lr: space.lr };
    const b = await reg.createOrResumeStudy('tune', { ...spec, space: reordered, sampler: 'tpe' }, cli);
    expect(b).toEqual({ study: a.study, resumed: true });
    expect(await reg.study('tune', 'loans-auc')).toEqual(a.study);
    expect((await reg.listStudies('tune')).map((s) => s.name)).toEqual(['loans-auc']);
    expect((await reg.listAudit('tune')).map((e) => e.action)).toContain('study.create');
    await expect(reg.study('tune', 'nope')).rejects.toThrow(/study 'nope' not found in project 'tune'/);
  });

  it('refuses to resume a study with another dataset, target, metric, space, sampler or seed', async () => {
    const cases: [Partial<StudySpec>, RegExp][] = [
      [{ dataHash: 'b'.repeat(64) }, /study 'loans-auc' belongs to another dataset \('loans@1', content aaaaaaaaaaaa…, not bbbbbbbbbbbb…\)/],
      [{ target: 'x' }, /study 'loans-auc' tunes target 'y', not 'x'/],
      [{ metric: 'accuracy' }, /optimises rocAuc \(maximize\), not accuracy \(maximize\)/],
      [{ direction: 'minimize' }, /optimises rocAuc \(maximize\), not rocAuc \(minimize\)/],
      [{ space: { ...space, lr: { type: 'loguniform', low: 1e-5, high: 1e-1 }, layers: { type: 'int', low: 1, high: 3 } } }, /was created with a different search space \('layers' added, 'lr' changed\)/],
      [{ space: { lr: space.lr! } }, /different search space \('momentum' removed, 'optimizer' removed\)/],
      [{ sampler: 'random' }, /uses the tpe sampler, not random/],
      [{ seed: 5 }, /has seed 0, not 5/],
    ];
    for (const [change, message] of cases) {
      const e = await errorOf(reg.createOrResumeStudy('tune', { ...spec, ...change }, cli));
      expect(e.code).toBe('E_CONFLICT');
      expect(e.message).toMatch(message);
      expect(e.hint).toMatch(/choose another --study name/);
    }
    await expect(reg.createOrResumeStudy('tune', { ...spec, name: 'bad name' }, cli)).rejects.toThrow(/invalid study name 'bad name'/);
    expect(await reg.listTrials((await reg.study('tune', 'loans-auc')).id)).toEqual([]); // nothing started
  });

  it('numbers concurrent trials 1..20 without gaps or duplicates', async () => {
    const { study } = await reg.createOrResumeStudy('tune', { ...spec, name: 'race' }, cli);
    const sampler = new TpeSampler(space, { seed: 1, direction: 'maximize' });
    const started = await Promise.all(Array.from({ length: 20 }, (_, i) => reg.startTrial(study.id, (h) => sampler.suggest(h), { host: 'h1', pid: 1000 + i })));
    expect(started.map((t) => t!.number).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    const trials = await reg.listTrials(study.id);
    expect(trials.map((t) => t.number)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(trials.every((t) => t.state === 'running' && t.attempt === 1)).toBe(true);
    // maxTrials caps numbering atomically
    expect(await reg.startTrial(study.id, () => ({ lr: 0.01, optimizer: 'adam' }), me, { maxTrials: 20 })).toBeNull();
  });

  it('records intermediate values and ends trials as complete, pruned or failed', async () => {
    const { study } = await reg.createOrResumeStudy('tune', { ...spec, name: 'states' }, cli);
    const a = (await reg.startTrial(study.id, () => ({ lr: 0.01, optimizer: 'adam' }), me))!;
    expect(a).toMatchObject({ number: 1, state: 'running', params: { lr: 0.01, optimizer: 'adam' }, attempt: 1, owner: me, value: null, intermediate: [] });
    await reg.reportIntermediate(a, 1, 0.7);
    await reg.reportIntermediate(a, 3, 0.75);
    await reg.reportIntermediate(a, 2, 0.72);
    await reg.reportIntermediate(a, 3, 0.76); // a repeated step replaces
    await reg.finishTrial(a, { value: 0.8 });
    const b = (await reg.startTrial(study.id, () => ({ lr: 0.1, optimizer: 'adam' }), me))!;
    await reg.reportIntermediate(b, 1, 0.5);
    await reg.finishTrial(b, { value: 0.5, pruned: true });
    const c = (await reg.startTrial(study.id, () => ({ lr: 0.001, optimizer: 'sgd', momentum: 0.9 }), me))!;
    await reg.reportIntermediate(c, 1, Number.NaN);
    await reg.failTrial(c, 'out of memory');
    const [ta, tb, tc] = await reg.listTrials(study.id);
    expect(ta).toMatchObject({ state: 'complete', value: 0.8, intermediate: [{ step: 1, value: 0.7 }, { step: 2, value: 0.72 }, { step: 3, value: 0.76 }] });
    expect(ta!.finishedAt).not.toBeNull();
    expect(tb).toMatchObject({ state: 'pruned', value: 0.5 });
    expect(tc).toMatchObject({ state: 'failed', value: null, error: 'out of memory', intermediate: [{ step: 1, value: null }] });
    // A finished trial takes no more reports; bad values are refused.
    expect((await errorOf(reg.reportIntermediate(a, 4, 0.9))).message).toMatch(/trial 1 is no longer running this attempt \(it is complete, attempt 1, not 1\)/);
    expect((await errorOf(reg.finishTrial(b, { value: 0.9 }))).code).toBe('E_CONFLICT');
    const d = (await reg.startTrial(study.id, () => ({ lr: 0.02, optimizer: 'adam' }), me))!;
    expect((await errorOf(reg.finishTrial(d, { value: Number.POSITIVE_INFINITY }))).message).toMatch(/trial value must be a finite number/);
    expect((await errorOf(reg.reportIntermediate(d, -1, 0.5))).message).toMatch(/trial step must be a whole number/);
  });

  it('re-queues interrupted trials exactly once, with their number and parameters, and never lets a stale attempt finish', async () => {
    const { study } = await reg.createOrResumeStudy('tune', { ...spec, name: 'killed' }, cli);
    const dead = { host: 'h1', pid: 111 };
    const alive = { host: 'h2', pid: 222 };
    let proposals = 0;
    const propose = (h: TrialRecord[]) => (proposals++, { lr: 10 ** -(1 + h.length), optimizer: 'adam' });
    const t1 = (await reg.startTrial(study.id, propose, dead))!;
    const t2 = (await reg.startTrial(study.id, propose, dead))!;
    const t3 = (await reg.startTrial(study.id, propose, alive))!;
    const t4 = (await reg.startTrial(study.id, propose, dead))!;
    await reg.reportIntermediate(t2, 1, 0.6);
    await reg.finishTrial(t1, { value: 0.7 });
    // The process on h1 is killed with trials 2 and 4 running; trial 3 runs elsewhere.
    const isDead = (o: TrialRecord['owner']) => o.host === 'h1' && o.pid === 111;
    expect(await reg.requeueInterruptedTrials(study.id, isDead)).toEqual({ requeued: [2, 4], failed: [] });
    expect(await reg.requeueInterruptedTrials(study.id, isDead)).toEqual({ requeued: [], failed: [] }); // exactly once
    const queued = (await reg.listTrials(study.id)).filter((t) => t.state === 'queued');
    expect(queued.map((t) => [t.number, t.params, t.intermediate, t.owner])).toEqual([
      [2, t2.params, [], { host: null, pid: null }],
      [4, t4.params, [], { host: null, pid: null }],
    ]);
    expect(queued[0]!.error).toMatch(/^interrupted: the process running it \(pid 111 on h1\) stopped before it finished; queued to run again$/);
    // The resumed process claims the queued trials first, lowest number first, without proposing.
    const before = proposals;
    const r2 = (await reg.startTrial(study.id, propose, { host: 'h1', pid: 333 }))!;
    const r4 = (await reg.startTrial(study.id, propose, { host: 'h1', pid: 333 }))!;
    expect([r2.number, r2.attempt, r2.params, r4.number, r4.attempt, r4.params]).toEqual([2, 2, t2.params, 4, 2, t4.params]);
    expect(proposals).toBe(before);
    const t5 = (await reg.startTrial(study.id, propose, { host: 'h1', pid: 333 }))!;
    expect(t5.number).toBe(5);
    expect(proposals).toBe(before + 1);
    // The killed attempt (if it were somehow still alive) can no longer report or finish.
    expect((await errorOf(reg.finishTrial(t2, { value: 0.9 }))).message).toMatch(/trial 2 is no longer running this attempt \(it is running, attempt 2, not 1\)/);
    await reg.finishTrial(r2, { value: 0.65 });
    // Trial 4 is interrupted again on its second attempt: failed, not re-queued a second time.
    const secondKill = (o: TrialRecord['owner']) => o.pid === 333;
    expect(await reg.requeueInterruptedTrials(study.id, secondKill)).toEqual({ requeued: [5], failed: [4] });
    const all = await reg.listTrials(study.id);
    expect(all.map((t) => [t.number, t.state, t.attempt])).toEqual([
      [1, 'complete', 1],
      [2, 'complete', 2],
      [3, 'running', 1],
      [4, 'failed', 2],
      [5, 'queued', 1],
    ]);
    expect(all[3]!.error).toMatch(/interrupted: .* on attempt 2; not retried again/);
    expect(all[1]!.error).toMatch(/^interrupted/); // the retried trial keeps why its first attempt stopped
  });

  it('a study killed and resumed ends exactly as one that ran uninterrupted', async () => {
    const runStudy = async (name: string, killAfter: number | null) => {
      const { study } = await reg.createOrResumeStudy('tune', { ...spec, name, seed: 42, sampler: 'tpe' }, cli);
      const sampler = () => new TpeSampler(study.space as typeof space, { seed: study.seed, direction: study.direction, nStartup: 4 });
      let s = sampler();
      let owner = { host: 'h1', pid: 1 };
      for (;;) {
        const t = await reg.startTrial(study.id, (h) => s.suggest(h), owner, { maxTrials: 14 });
        if (!t) break;
        await reg.reportIntermediate(t, 1, -objective(t.params as Params) - 0.1);
        if (t.number === killAfter && t.attempt === 1) {
          // kill -9: the trial stays running; a new process resumes the study by name.
          const again = await reg.createOrResumeStudy('tune', { ...spec, name, space: study.space }, cli);
          expect(again.resumed).toBe(true);
          expect(await reg.requeueInterruptedTrials(study.id, (o) => o.pid === 1)).toEqual({ requeued: [killAfter], failed: [] });
          s = sampler();
          owner = { host: 'h1', pid: 2 };
          continue;
        }
        await reg.finishTrial(t, { value: -objective(t.params as Params) });
      }
      return reg.listTrials(study.id);
    };
    const straight = await runStudy('straight', null);
    const resumed = await runStudy('resumed', 7);
    expect(resumed.map((t) => t.number)).toEqual(Array.from({ length: 14 }, (_, i) => i + 1));
    expect(resumed.every((t) => t.state === 'complete')).toBe(true);
    expect(resumed.map((t) => [t.params, t.value])).toEqual(straight.map((t) => [t.params, t.value]));
    expect(resumed[6]!.attempt).toBe(2);
  });
});
