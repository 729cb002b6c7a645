import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readTextArff, type TextDataset } from '../../src/text/classify.js';
import { cli, tmp } from '../helpers.js';

/** A class folder from a (text, class) ARFF: DIR/<grain|other>/NNNN.txt. */
async function writeTextFolder(dir: string, d: TextDataset): Promise<void> {
  const name = (k: number) => (d.classes[k] === '1' ? 'grain' : 'other');
  for (const c of [0, 1]) await mkdir(join(dir, name(c)), { recursive: true });
  await Promise.all(d.texts.map((t, i) => writeFile(join(dir, name(d.labels[i]!), `${String(i).padStart(4, '0')}.txt`), t)));
}

describe('cli: text models (ReutersGrain as class folders)', () => {
  it('trains on a text folder, predicts strings and .txt files, and evaluates a held-out folder', async () => {
    const cwd = tmp();
    const news = join(cwd, 'news');
    const holdout = join(cwd, 'news-holdout');
    await writeTextFolder(news, await readTextArff('data/ReutersGrain-train.arff'));
    await writeTextFolder(holdout, await readTextArff('data/ReutersGrain-test.arff'));
    const model = join(cwd, 'news.lepton');
    const t = await cli(['train', news, '--seq-len', '64', '--epochs', '4', '--lr', '0.002', '--out', model, '--json'], { cwd });
    expect(t.code, t.stderr).toBe(0);
    const r = JSON.parse(t.stdout) as { leaderboard: { name: string }[]; test: { task: string; rocAuc: number }; split: { train: number; val: number; test: number } };
    expect(r.leaderboard[0]!.name).toBe('textnet');
    expect(r.split.train + r.split.val + r.split.test).toBe(1554);
    expect(r.test.rocAuc).toBeGreaterThan(0.85);
    const p = await cli(['predict', model, 'Wheat and corn exports rose as the USDA raised its grain estimates', join(holdout, 'grain'), '--json'], { cwd });
    expect(p.code, p.stderr).toBe(0);
    const preds = JSON.parse(p.stdout) as { input: string; label: string; probabilities: Record<string, number> }[];
    expect(preds).toHaveLength(58);
    expect(preds[0]!.input).toMatch(/^Wheat and corn/);
    expect(preds[1]!.input).toMatch(/grain\/\d{4}\.txt$/);
    expect(Object.keys(preds[0]!.probabilities).sort()).toEqual(['grain', 'other']);
    expect(p.stderr).toMatch(/texts are longer than 64 words and were truncated/);
    const table = await cli(['predict', model, 'my card was charged twice'], { cwd });
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/text\s+label\s+P\(grain\)\s+P\(other\)/);
    const e = await cli(['eval', model, holdout, '--json'], { cwd });
    expect(e.code, e.stderr).toBe(0);
    const report = JSON.parse(e.stdout) as { n: number; classes: string[]; perClass: { label: string; f1: number; precision: number; recall: number }[] };
    expect(report.n).toBe(604);
    expect(report.classes).toEqual(['grain', 'other']);
    const grain = report.perClass.find((c) => c.label === 'grain')!;
    console.log(`ReutersGrain test (CLI): grain F1 ${grain.f1.toFixed(3)} (precision ${grain.precision.toFixed(3)}, recall ${grain.recall.toFixed(3)})`);
    expect(grain.f1).toBeGreaterThan(0.5);
    expect((await cli(['train', news, '--model', 'xgboost'], { cwd })).stderr).toMatch(/--model xgboost is for tables; text folders train a textnet/);
    expect((await cli(['train', news, '--size', '28x28'], { cwd })).stderr).toMatch(/--size is for image folders/);
  }, 40_000);
});
