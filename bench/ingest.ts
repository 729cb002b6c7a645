/**
 * Large-CSV ingest: Lepton's reader (DuckDB's scanner, typed columns) beside pandas.read_csv on
 * the same 1,000,000-row × 20-column file, alternating three times; medians of the time each
 * side measures around its own read (interpreter start-up excluded on both sides) and peak RSS.
 */
import { execFileSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { textTable } from '../src/eval/format.js';
import { packageRoot } from '../src/package-root.js';

const ROWS = 1_000_000;

/** 17 numeric columns, two categories, a yes/no label; seeded. */
async function writeCsv(path: string): Promise<void> {
  const out = createWriteStream(path);
  out.write(`${Array.from({ length: 17 }, (_, i) => `f${i}`).join(',')},city,segment,label\n`);
  let seed = 7;
  const rand = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
  for (let i = 0; i < ROWS; ) {
    let block = '';
    for (let j = 0; j < 10_000; j++, i++) {
      const cells: string[] = [];
      for (let c = 0; c < 17; c++) cells.push((rand() * 8 - 4).toFixed(4));
      block += `${cells.join(',')},city${Math.floor(rand() * 50)},${'ABCDE'[Math.floor(rand() * 5)]},${rand() < 0.3 ? 1 : 0}\n`;
    }
    if (!out.write(block)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((r) => out.end(() => r()));
}

interface Side {
  seconds: number;
  rows: number;
  maxRssMb: number;
}

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;

export async function ingestBench(python: string): Promise<Record<string, unknown>> {
  const root = packageRoot();
  const dir = mkdtempSync(join(tmpdir(), 'lepton-ingest-'));
  const path = join(dir, 'big.csv');
  try {
    await writeCsv(path);
    const bytes = statSync(path).size;
    const reader = join(root, 'dist', 'src', 'data', 'readers', 'index.js');
    const script = `import { readTable } from ${JSON.stringify(reader)};
      const t0 = performance.now(); const t = await readTable(${JSON.stringify(path)});
      console.log(JSON.stringify({ seconds: (performance.now() - t0) / 1000, rows: t.numRows, maxRssMb: process.resourceUsage().maxRSS / 1024 }));`;
    const lepton: Side[] = [];
    const pandas: (Side & { pandas: string })[] = [];
    for (let i = 0; i < 3; i++) {
      lepton.push(JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' })) as Side);
      pandas.push(JSON.parse(execFileSync(python, [join(root, 'bench', 'peers', 'ingest_pandas.py'), path], { encoding: 'utf8' })) as Side & { pandas: string });
    }
    if (lepton.some((s) => s.rows !== ROWS) || pandas.some((s) => s.rows !== ROWS)) throw new Error('a reader lost rows');
    const l = { seconds: median(lepton.map((s) => s.seconds)), maxRssMb: median(lepton.map((s) => s.maxRssMb)) };
    const p = { seconds: median(pandas.map((s) => s.seconds)), maxRssMb: median(pandas.map((s) => s.maxRssMb)) };
    const mb = bytes / 1e6;
    console.log(`\nCSV ingest, ${ROWS.toLocaleString('en')} rows × 20 columns (${mb.toFixed(0)} MB), median of 3`);
    console.log(
      textTable([
        ['reader', 'seconds', 'MB/s', 'peak RSS MB', 'speed ratio'],
        ['Lepton (DuckDB scanner → typed columns)', l.seconds.toFixed(2), (mb / l.seconds).toFixed(0), l.maxRssMb.toFixed(0), (p.seconds / l.seconds).toFixed(2)],
        [`pandas ${pandas[0]!.pandas} read_csv`, p.seconds.toFixed(2), (mb / p.seconds).toFixed(0), p.maxRssMb.toFixed(0), '1.00'],
      ]),
    );
    return { rows: ROWS, columns: 20, bytes, lepton: { ...l, runs: lepton }, pandas: { ...p, runs: pandas, version: pandas[0]!.pandas }, ratio: p.seconds / l.seconds };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
