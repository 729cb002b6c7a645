import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fashion, writeFolder } from '../data/fixtures.js';
import { cli, tmp } from '../helpers.js';

describe('cli: image models', () => {
  it('trains a CNN on an image folder, predicts image files and evaluates a folder', async () => {
    const cwd = tmp();
    const scans = join(cwd, 'scans');
    await writeFolder(scans, await fashion());
    const model = join(cwd, 'scans.lepton');
    const t = await cli(['train', scans, '--epochs', '3', '--augment', 'hflip=0.5,crop=2', '--out', model, '--json'], { cwd });
    expect(t.code, t.stderr).toBe(0);
    const r = JSON.parse(t.stdout) as { leaderboard: { name: string }[]; test: { task: string; accuracy: number } };
    expect(r.leaderboard[0]!.name).toBe('cnn');
    expect(r.test.task).toBe('classification');
    const p = await cli(['predict', model, join(scans, 'trouser', '01.png'), join(scans, 't-shirt'), '--json'], { cwd });
    expect(p.code, p.stderr).toBe(0);
    const preds = JSON.parse(p.stdout) as { file: string; label: string; probabilities: Record<string, number> }[];
    expect(preds).toHaveLength(13);
    expect(preds[0]!.file).toMatch(/trouser\/01.png$/);
    expect(Object.keys(preds[0]!.probabilities).sort()).toEqual(['pullover', 't-shirt', 'trouser']);
    const text = await cli(['predict', model, join(scans, 'trouser', '01.png')], { cwd });
    expect(text.stdout).toMatch(/image\s+label\s+P\(pullover\)/);
    const e = await cli(['eval', model, scans, '--json'], { cwd });
    expect(e.code, e.stderr).toBe(0);
    const report = JSON.parse(e.stdout) as { n: number; classes: string[]; confusion: number[][] };
    expect(report.n).toBe(36);
    expect(report.classes).toEqual(['pullover', 't-shirt', 'trouser']);
    expect(report.confusion.map((row) => row.reduce((a, b) => a + b, 0))).toEqual([12, 12, 12]);
    expect((await cli(['predict', model, join(cwd, 'nope.png')], { cwd })).stderr).toMatch(/image not found: '.*nope.png'/);
    expect((await cli(['train', scans, '--model', 'xgboost'], { cwd })).stderr).toMatch(/--model xgboost is for tables; images train a cnn/);
    expect((await cli(['train', scans, '--augment', 'spin=3'], { cwd })).stderr).toMatch(/invalid --augment item 'spin=3'/);
    expect((await cli(['train', scans, '--augment', 'rotate=500'], { cwd })).stderr).toMatch(/cnn parameter augment.rotateDegrees: /);
    expect((await cli(['train', join(cwd, 'nothing.csv')], { cwd })).stderr).toMatch(/give the column to predict with --target/);
  });
});
