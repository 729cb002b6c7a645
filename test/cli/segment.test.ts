import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CREDIT, cli, tmp } from '../helpers.js';

describe('cli: segment', () => {
  it('chooses k, prints the table and profiles, and writes the data with a cluster column', async () => {
    const cwd = tmp();
    const out = join(cwd, 'clusters.csv');
    const r = await cli(['segment', CREDIT, '--exclude', 'class', '--k', 'auto', '--k-range', '2-4', '--seed', '1', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Choosing k \(silhouette: higher is better\)\nk\s+inertia\s+silhouette\n2\s+[\d.]+\s+[\d.]+/);
    expect(r.stdout).toMatch(/← chosen/);
    expect(r.stdout).toMatch(/^\d clusters over 1000 rows, on 20 columns \(\d+ features\); silhouette 0\.\d{4}/m);
    expect(r.stdout).toMatch(/Cluster 0: \d+ rows \(\d+\.\d%\)\n {2}most distinctive: \w+ [\d.]+ vs [\d.]+ \(z [+-]\d\.\d\d\)/);
    expect(r.stdout).toMatch(/column\s+top category\s+in cluster\s+overall/);
    expect(r.stdout).toMatch(/wrote 1000 rows with a 'cluster' column to .*clusters\.csv/);
    const lines = readFileSync(out, 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(1001);
    expect(lines[0]).toMatch(/^checking_status,.*,class,cluster$/);
    expect(lines.slice(1).every((l) => /,[0-3]$/.test(l))).toBe(true);
  });

  it('prints JSON with a fixed k, deterministic under the seed', async () => {
    const args = ['segment', CREDIT, '--exclude', 'class', '--k', '3', '--seed', '5', '--json'];
    const [a, b] = await Promise.all([cli(args), cli(args)]);
    expect(a.code, a.stderr).toBe(0);
    expect(a.stdout).toBe(b.stdout);
    const j = JSON.parse(a.stdout) as {
      k: number;
      chosenBy: string;
      scores: { k: number; inertia: number; silhouette: number }[];
      sizes: number[];
      profiles: { cluster: number; size: number; numeric: { column: string }[]; categorical: { column: string; top: string }[]; distinctive: unknown[] }[];
      labels?: unknown;
    };
    expect(j).toMatchObject({ k: 3, chosenBy: 'fixed', rows: 1000 });
    expect(j.scores).toHaveLength(1);
    expect(j.sizes.reduce((s, v) => s + v, 0)).toBe(1000);
    expect(j.profiles).toHaveLength(3);
    expect(j.profiles[0]!.numeric.map((n) => n.column)).toContain('credit_amount');
    expect(j.labels).toBeUndefined();
  });

  it('explains bad options and columns, and documents itself', async () => {
    const unknown = await cli(['segment', CREDIT, '--exclude', 'klass']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/error: cannot exclude column 'klass'/);
    const range = await cli(['segment', CREDIT, '--k-range', '1-5']);
    expect(range.code).toBe(1);
    expect(range.stderr).toMatch(/k range must start at 2 or more/);
    const k = await cli(['segment', CREDIT, '--k', 'many']);
    expect(k.stderr).toMatch(/--k must be 'auto' or an integer of at least 2 \(got 'many'\)/);
    const help = await cli(['segment', '--help']);
    expect(help.stdout).toMatch(/--k-range <lo-hi>/);
    expect(help.stdout).toMatch(/customer segmentation/);
  });
});
