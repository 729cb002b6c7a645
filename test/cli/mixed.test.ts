import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tableFromRows } from '../../src/data/readers/index.js';
import { toCsv } from '../../src/data/writers/csv.js';
import { cli, expectCleanError, tmp } from '../helpers.js';
import { grainRows } from '../train/grain-mixed.js';

describe('cli: tables with a free-text column (ReutersGrain XOR amount)', () => {
  it('auto picks mixed for text beside a number, and predict / eval read plain rows', async () => {
    const cwd = tmp();
    const rows = await grainRows();
    await writeFile(join(cwd, 'mixed.csv'), toCsv(tableFromRows(rows)));
    await writeFile(join(cwd, 'new.csv'), toCsv(tableFromRows(rows.slice(0, 10).map(({ story, amount }) => ({ story, amount })))));
    const t = await cli(['train', 'mixed.csv', '--target', 'y', '--seq-len', '48', '--seed', '3', '--out', 'mixed.lepton', '--json'], { cwd });
    expect(t.code, t.stderr).toBe(0);
    expect(t.stderr).toMatch(/^mixed\.csv: mixed \(free-text column 'story' beside 1 other column\)$/m);
    expect(t.stderr).toMatch(/^\d+ of 224 training texts in 'story' are longer than 48 words and were truncated/m);
    const r = JSON.parse(t.stdout) as { leaderboard: { name: string }[]; test: { accuracy: number } };
    expect(r.leaderboard[0]!.name).toBe('mixed');
    expect(r.test.accuracy).toBeGreaterThan(0.75);
    const p = await cli(['predict', 'mixed.lepton', 'new.csv', '--json'], { cwd });
    expect(p.code, p.stderr).toBe(0);
    const preds = JSON.parse(p.stdout) as { label: string; probabilities: Record<string, number> }[];
    expect(preds).toHaveLength(10);
    expect(Object.keys(preds[0]!.probabilities).sort()).toEqual(['no', 'yes']);
    const e = await cli(['eval', 'mixed.lepton', 'mixed.csv', '--json'], { cwd });
    expect(e.code, e.stderr).toBe(0);
    expect((JSON.parse(e.stdout) as { accuracy: number }).accuracy).toBeGreaterThan(0.75);
    // Forcing a family that cannot read the table is a clean error.
    expectCleanError(await cli(['train', 'mixed.csv', '--target', 'y', '--model', 'textnet'], { cwd }), /textnet reads one free-text column; the features are 'story', 'amount'/);
  }, 60_000);

  it('AutoML (--trials) on a table with text searches the mixed network: encoder, learning rate, weight decay, batch size', async () => {
    const cwd = tmp();
    await writeFile(join(cwd, 'mixed.csv'), toCsv(tableFromRows(await grainRows())));
    const t = await cli(['train', 'mixed.csv', '--target', 'y', '--seq-len', '48', '--seed', '3', '--trials', '3', '--out', 'auto.lepton', '--json'], { cwd });
    expect(t.code, t.stderr).toBe(0);
    expect(t.stderr).toMatch(/^mixed\.csv: mixed \(free-text column 'story' beside 1 other column\)$/m);
    const r = JSON.parse(t.stdout) as { search: { family: string; counts: { total: number }; best: { number: number; value: number }; leaderboard: { number: number; params: Record<string, unknown> }[] }; test: { accuracy: number } };
    expect(r.search).toMatchObject({ family: 'mixed', counts: { total: 3 } });
    for (const x of r.search.leaderboard.filter((x) => x.number > 0)) expect(Object.keys(x.params).sort()).toEqual(['batchSize', 'lr', 'textEncoder', 'weightDecay']);
    // The kept network is the best trial on validation; on the held-out rows it reads both columns.
    expect(r.search.best.value).toBe(Math.max(...r.search.leaderboard.map((x) => (x as { value: number | null }).value ?? -Infinity)));
    expect(r.test.accuracy).toBeGreaterThan(0.7);
    const p = await cli(['predict', 'auto.lepton', JSON.stringify([{ story: 'Wheat exports rose', amount: 5 }]), '--json'], { cwd });
    expect(p.code, p.stderr).toBe(0);
    expectCleanError(await cli(['train', 'mixed.csv', '--target', 'y', '--time', '0s'], { cwd }), /time budget must be above zero/);
  }, 120_000);

  it('auto picks textnet when the only feature is text, and the tabular candidates when there is none', async () => {
    const cwd = tmp();
    const rows = await grainRows();
    // The label is the story's class here: grain (XOR nothing).
    const texts = rows.slice(0, 200).map(({ story, amount, y }) => ({ story, grain: (y === 'yes') !== amount > 0 ? 'yes' : 'no' }));
    await writeFile(join(cwd, 'texts.csv'), toCsv(tableFromRows(texts)));
    const t = await cli(['train', 'texts.csv', '--target', 'grain', '--seq-len', '32', '--epochs', '2', '--out', 'texts.lepton'], { cwd });
    expect(t.code, t.stderr).toBe(0);
    expect(t.stderr).toMatch(/^texts\.csv: textnet \(the only feature, 'story', is free text\)$/m);
    expect(t.stdout).toMatch(/textnet/);
    const p = await cli(['predict', 'texts.lepton', 'Wheat and corn exports rose as the USDA raised its grain estimates', '--json'], { cwd });
    expect(p.code, p.stderr).toBe(0);
    expect(Object.keys((JSON.parse(p.stdout) as { probabilities: object }[])[0]!.probabilities).sort()).toEqual(['no', 'yes']);
    // Trained on a table's column, it also reads that column of table rows: predict and eval on the file.
    const rows2 = await cli(['predict', 'texts.lepton', 'texts.csv', '--json'], { cwd });
    expect(rows2.code, rows2.stderr).toBe(0);
    expect(JSON.parse(rows2.stdout)).toHaveLength(200);
    const e = await cli(['eval', 'texts.lepton', 'texts.csv', '--json'], { cwd });
    expect(e.code, e.stderr).toBe(0);
    expect((JSON.parse(e.stdout) as { confusion: unknown }).confusion).toBeDefined();
    await writeFile(join(cwd, 'numbers.csv'), toCsv(tableFromRows(rows.map(({ amount, y }) => ({ amount, y })))));
    const n = await cli(['train', 'numbers.csv', '--target', 'y', '--model', 'auto', '--epochs', '5', '--rounds', '20', '--out', 'numbers.lepton'], { cwd });
    expect(n.code, n.stderr).toBe(0);
    expect(n.stderr).toMatch(/^numbers\.csv: tabular candidates \(no free-text column\)$/m);
    const help = await cli(['train', '--help']);
    expect(help.stdout).toMatch(/lepton train claims\.csv --target fraud\s+# a free-text column beside others → a mixed network/);
  }, 60_000);
});
