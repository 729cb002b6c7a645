import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, expectCleanError, tmp } from '../helpers.js';
import { writeFashionTable } from '../train/fashion-mixed.js';

describe('cli: tables with an image column (Fashion-MNIST trouser/bag XOR amount)', () => {
  it('auto picks mixed for image paths beside a number; predict reads rows with image paths relative to their file', async () => {
    const cwd = tmp();
    const { rows } = await writeFashionTable(cwd);
    const t = await cli(['train', 'table.csv', '--target', 'y', '--epochs', '12', '--seed', '3', '--out', 'mixed.lepton', '--json'], { cwd });
    expect(t.code, t.stderr).toBe(0);
    expect(t.stderr).toMatch(/^table\.csv: mixed \(image column 'image_path' beside 1 other column\)$/m);
    const r = JSON.parse(t.stdout) as { leaderboard: { name: string }[]; test: { accuracy: number } };
    expect(r.leaderboard[0]!.name).toBe('mixed');
    expect(r.test.accuracy).toBeGreaterThan(0.75);
    // New rows in a sub-folder: their paths resolve against that folder.
    await writeFile(join(cwd, 'imgs', 'new.csv'), `image_path,amount\n${rows.slice(0, 10).map((row) => `${row.image_path.slice('imgs/'.length)},${row.amount}`).join('\n')}\n`);
    const p = await cli(['predict', 'mixed.lepton', join('imgs', 'new.csv'), '--json'], { cwd });
    expect(p.code, p.stderr).toBe(0);
    const preds = JSON.parse(p.stdout) as { label: string; probabilities: Record<string, number> }[];
    expect(preds).toHaveLength(10);
    expect(Object.keys(preds[0]!.probabilities).sort()).toEqual(['no', 'yes']);
    expect(preds.filter((q, i) => q.label === rows[i]!.y).length).toBeGreaterThanOrEqual(7);
    await writeFile(join(cwd, 'missing.csv'), 'image_path,amount\nimgs/000.png,3\nimgs/gone.png,4\n');
    expectCleanError(await cli(['predict', 'mixed.lepton', 'missing.csv'], { cwd }), /cannot decode image imgs\/gone\.png \(.*missing\.csv line 3, column 'image_path'\)/);
    await writeFile(join(cwd, 'numbers.csv'), `amount,y\n${rows.map((row) => `${row.amount},${row.y}`).join('\n')}\n`);
    expectCleanError(await cli(['train', 'numbers.csv', '--target', 'y', '--size', '28x28'], { cwd }), /--size and --channels are for images, and numbers\.csv is trained without an image column \(no free-text column\)/);
  }, 60_000);
});
