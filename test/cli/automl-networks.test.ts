import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { NetworkSearchSummary } from '../../src/automl/networks.js';
import { readTextArff } from '../../src/text/classify.js';
import { fashion, writeFolder } from '../data/fixtures.js';
import { cli, expectCleanError, tmp } from '../helpers.js';

type Out = { model: string; search: NetworkSearchSummary; test: { task: string; accuracy: number } };
const board = (r: Out) => r.search.leaderboard.map((t) => [t.number, t.state, t.value, t.params]);

describe('cli: AutoML on image and text folders', () => {
  it('tunes the CNN of an image folder: a leaderboard, the same one again with the same seed, a model that predicts', async () => {
    const cwd = tmp();
    const scans = join(cwd, 'scans');
    await writeFolder(scans, await fashion());
    const args = ['train', scans, '--trials', '5', '--epochs', '3', '--seed', '11', '--json'];
    const a = await cli([...args, '--out', join(cwd, 'a.lepton')], { cwd });
    expect(a.code, a.stderr).toBe(0);
    const r = JSON.parse(a.stdout) as Out;
    expect(r.search.family).toBe('cnn');
    expect(r.search.counts.total).toBe(5);
    expect(r.search.leaderboard.find((t) => t.number === 0)!.params).toEqual({});
    expect(r.search.best).not.toBeNull();
    const b = await cli([...args, '--out', join(cwd, 'b.lepton')], { cwd });
    expect(board(JSON.parse(b.stdout) as Out)).toEqual(board(r));
    const p = await cli(['predict', join(cwd, 'a.lepton'), join(scans, 'trouser'), '--json'], { cwd });
    expect(p.code, p.stderr).toBe(0);
    expect((JSON.parse(p.stdout) as { label: string }[]).length).toBe(12);
    const shown = await cli(['train', scans, '--trials', '2', '--epochs', '2', '--out', join(cwd, 'c.lepton')], { cwd });
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(/AutoML leaderboard \(cnn, validation split \d+ rows\)\ntrial\s+state\s+val roc auc/);
    expect(shown.stdout).toMatch(/← kept/);
    expect(shown.stderr).toMatch(/cnn trial 1: (complete|pruned|failed)/);
    expect(shown.stdout).toMatch(/model saved to .*c\.lepton/);
    expectCleanError(await cli(['train', scans, '--trials', '0'], { cwd }), /the trial budget must be a whole number of trials above zero/);
    expectCleanError(await cli(['train', scans, '--time', '1m', '--register', 'scans'], { cwd }), /--register works for tables so far/);
  }, 50_000);

  it('tunes the text network of a text folder (transformer or GRU) and the kept network predicts strings', async () => {
    const cwd = tmp();
    const d = await readTextArff('data/ReutersGrain-train.arff');
    const seen = [0, 0];
    for (const [i, t] of d.texts.entries()) {
      const c = d.labels[i]!;
      if (seen[c]! >= 40) continue;
      seen[c]!++;
      const dir = join(cwd, 'news', d.classes[c] === '1' ? 'grain' : 'other');
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, `${i}.txt`), t);
    }
    const t = await cli(['train', join(cwd, 'news'), '--trials', '6', '--epochs', '3', '--seq-len', '32', '--seed', '3', '--out', join(cwd, 'news.lepton'), '--json'], { cwd });
    expect(t.code, t.stderr).toBe(0);
    const r = JSON.parse(t.stdout) as Out;
    expect(r.search.family).toBe('textnet');
    expect(r.search.counts.total).toBe(6);
    for (const trial of r.search.leaderboard.filter((x) => x.number > 0)) expect(['transformer', 'gru']).toContain(trial.params.encoder);
    const p = await cli(['predict', join(cwd, 'news.lepton'), 'Wheat and corn exports rose as the USDA raised its grain estimates', '--json'], { cwd });
    expect(p.code, p.stderr).toBe(0);
    expect(Object.keys((JSON.parse(p.stdout) as { probabilities: Record<string, number> }[])[0]!.probabilities).sort()).toEqual(['grain', 'other']);
  }, 40_000);
});
