import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readTable } from '../src/data/readers/index.js';
import { CANCER, ROOT, cli, tmp } from './helpers.js';
import { execFileSync } from 'node:child_process';

describe('package: the library as users import it', () => {
  it("import { train, evaluate, loadModel, saveModel } from 'lepton' works from the built package", () => {
    const dir = tmp();
    const script = join(ROOT, 'test', `.lib-e2e-${process.pid}.mjs`);
    writeFileSync(
      script,
      `import { train, evaluate, loadModel, saveModel } from 'lepton';
const { model } = await train(${JSON.stringify(CANCER)}, { target: 'diagnosis', model: 'logistic' });
await saveModel(model, ${JSON.stringify(join(dir, 'm.lepton'))});
model.dispose();
const loaded = await loadModel(${JSON.stringify(join(dir, 'm.lepton'))});
const report = await evaluate(loaded, ${JSON.stringify(CANCER)});
loaded.dispose();
console.log(JSON.stringify({ auc: report.rocAuc }));
`,
    );
    try {
      // Run inside the package folder so the name resolves through package.json "exports".
      const out = execFileSync(process.execPath, [script], { cwd: ROOT, encoding: 'utf8' });
      expect((JSON.parse(out) as { auc: number }).auc).toBeGreaterThan(0.98);
    } finally {
      execFileSync('rm', ['-f', script]);
    }
  });

  it('trains from TSV and JSONL files like from CSV', async () => {
    const t = await readTable(CANCER);
    const dir = tmp();
    const names = t.columnNames;
    const tsv = join(dir, 'bc.tsv');
    const jsonl = join(dir, 'bc.jsonl');
    const rows = Array.from({ length: t.numRows }, (_, r) => names.map((c) => t.cell(c, r)));
    writeFileSync(tsv, [names.join('\t'), ...rows.map((r) => r.join('\t'))].join('\n'));
    writeFileSync(jsonl, rows.map((r) => JSON.stringify(Object.fromEntries(names.map((c, i) => [c, r[i]])))).join('\n'));
    for (const file of [tsv, jsonl]) {
      const r = await cli(['train', file, '--target', 'diagnosis', '--model', 'logistic', '--json', '--out', join(dir, 'm.lepton')]);
      expect(r.code, r.stderr).toBe(0);
      expect((JSON.parse(r.stdout) as { test: { rocAuc: number } }).test.rocAuc).toBeGreaterThan(0.97);
    }
  });
});
