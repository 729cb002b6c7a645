import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readTable } from '../../src/data/readers/index.js';
import { cli, CREDIT, expectCleanError, ROOT, tmp } from '../helpers.js';

const SUPERMARKET = join(ROOT, 'data', 'supermarket.arff');

describe('cli: lepton recommend', () => {
  it('teaches with examples in --help', async () => {
    const r = await cli(['recommend', 'train', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Examples:\n {2}\$ lepton recommend train data\/supermarket.arff/);
    expect(r.stdout).toMatch(/leave-last-out/);
    expect((await cli(['recommend', 'predict', '--help'])).stdout).toMatch(/--history "tea,biscuits,coffee"/);
  });

  it('trains co-occurrence on supermarket baskets, recommends for a history and evaluates', async () => {
    const dir = tmp();
    const out = join(dir, 'basket.lepton');
    const t = await cli(['recommend', 'train', SUPERMARKET, '--model', 'cooccurrence', '--order', 'column', '--out', out]);
    expect(t.code).toBe(0);
    expect(t.stdout).toMatch(/data: 4627 baskets, 216 items, 85762 interactions \(order: column\)/);
    expect(t.stdout).toMatch(/skipped columns: total/);
    expect(t.stdout).toMatch(/\* cooccurrence +0\.\d{4}/);
    expect(t.stderr).toMatch(/cooccurrence +done in/);
    const p = await cli(['recommend', 'predict', out, '--history', 'tea,biscuits,caviar', '-k', '5', '--json']);
    expect(p.code).toBe(0);
    expect(p.stderr).toMatch(/warning: ignored 1 item the model does not know: 'caviar'/);
    const r = JSON.parse(p.stdout) as { items: { item: string; score: number }[]; unknown: string[]; coldStart: boolean };
    expect(r.items).toHaveLength(5);
    expect(r.unknown).toEqual(['caviar']);
    expect(r.items.map((x) => x.item)).not.toContain('tea');
    const e = await cli(['recommend', 'eval', out, SUPERMARKET, '--json']);
    expect(e.code).toBe(0);
    expect(JSON.parse(e.stdout)).toMatchObject({ k: 10, cases: 4591, skippedUsers: 36, unknownItems: 0 });
  });

  it('trains a GRU on a long user,item,time CSV with --json', async () => {
    const dir = tmp();
    const baskets = await readTable(SUPERMARKET);
    const lines = ['user,item,t'];
    const cols = baskets.columns.filter((c) => c.name !== 'total');
    for (let r = 0; r < 400; r++) cols.forEach((c, j) => 'codes' in c && c.codes[r]! >= 0 && lines.push(`u${r},"${c.name}",${j}`));
    writeFileSync(join(dir, 'events.csv'), `${lines.join('\n')}\n`);
    const out = join(dir, 'events.lepton');
    const t = await cli(['recommend', 'train', join(dir, 'events.csv'), '--user', 'user', '--item', 'item', '--time', 't', '--model', 'gru', '--epochs', '1', '--seq-len', '10', '--out', out, '--json']);
    expect(t.code).toBe(0);
    const report = JSON.parse(t.stdout) as { selected: string; data: { kind: string; order: string; users: number }; leaderboard: { test: { hr: number } }[]; out: string };
    expect(report).toMatchObject({ selected: 'gru', data: { kind: 'events', order: 'time', users: 400 }, out });
    expect(report.leaderboard[0]!.test.hr).toBeGreaterThan(0);
    const p = await cli(['recommend', 'predict', out, '--history', 'tea']);
    expect(p.code).toBe(0);
    expect(p.stdout.trim().split('\n')).toHaveLength(10);
    // eval reads the columns the model was trained with.
    const e = await cli(['recommend', 'eval', out, join(dir, 'events.csv'), '--json']);
    expect(e.code).toBe(0);
    const ev = JSON.parse(e.stdout) as { k: number; cases: number; skippedUsers: number; unknownItems: number };
    expect(ev).toMatchObject({ k: 10, unknownItems: 0 });
    expect(ev.cases + ev.skippedUsers).toBe(400);
    expect(ev.cases).toBeGreaterThan(390);
  });

  it('explains bad input', async () => {
    expectCleanError(await cli(['recommend', 'train', CREDIT]), /is not a basket table.*\n {2}fix: .*--user COL --item COL/);
    expectCleanError(await cli(['recommend', 'train', SUPERMARKET, '--model', 'bpr']), /unknown --model 'bpr'/);
    expectCleanError(await cli(['recommend', 'train', SUPERMARKET, '--order', 'aisle']), /--order must be 'random' or 'column'/);
    expectCleanError(await cli(['recommend', 'train', CREDIT, '--user', 'purpose']), /a long table needs both --user and --item/);
    expectCleanError(await cli(['recommend', 'predict', join(ROOT, 'nope.lepton'), '--history', 'tea']), /model file not found/);
  });
});
