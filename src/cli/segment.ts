import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { readTable } from '../data/readers/index.js';
import { Table } from '../data/table.js';
import { toCsv } from '../data/writers/csv.js';
import { LeptonError } from '../errors.js';
import { formatSegment, segmentSummary } from '../segment/format.js';
import { DEFAULT_K_RANGE, segment } from '../segment/kmeans.js';
import { action, parseIntOption, parseList, printJson } from './output.js';

interface SegmentFlags {
  k: string;
  kRange?: string;
  exclude?: string[];
  seed: number;
  nInit: number;
  threads: number;
  out?: string;
  json?: boolean;
}

export function registerSegment(program: Command): void {
  program
    .command('segment')
    .argument('<data>', 'data file (CSV, TSV, ARFF, JSON Lines, Parquet, XLSX)')
    .description('cluster rows with k-means (k-means++ seeding) and profile every cluster; k can be chosen by silhouette')
    .option('--k <k>', "number of clusters, or 'auto' to choose it by the best silhouette", 'auto')
    .option('--k-range <lo-hi>', `range of k tried with --k auto (default ${DEFAULT_K_RANGE[0]}-${DEFAULT_K_RANGE[1]})`)
    .option('--exclude <columns>', 'comma-separated columns to leave out (ids, targets)', parseList)
    .option('--seed <n>', 'random seed: the same seed gives the same clusters', parseIntOption('--seed'), 0)
    .option('--n-init <n>', 'k-means++ restarts per k; the lowest inertia wins', parseIntOption('--n-init'), 3)
    .option('--threads <n>', 'cores for k-means and silhouette (their distances are matrix products: OpenBLAS threads)', parseIntOption('--threads'), 1)
    .option('--out <file>', "write the data with a 'cluster' column as CSV")
    .option('--json', 'print the result as JSON (choose-k scores, sizes, profiles)')
    .addHelpText(
      'after',
      `
Every column but the excluded ones is featurised as for training (missing values imputed,
numbers standardised, categories one-hot encoded). Profiles compare each cluster with all rows:
numeric means (and z-scores) in the data's own units, and the top category of each column.

Examples:
  $ lepton segment customers.csv --exclude customer_id --out segments.csv     # customer segmentation, k chosen by silhouette
  $ lepton segment credit-g.arff --exclude class --k auto --k-range 2-8
  $ lepton segment credit-g.arff --exclude class --k 4 --seed 7 --json`,
    )
    .action(
      action(async (data: string, f: SegmentFlags) => {
        const k = parseK(f.k);
        if (k !== 'auto' && f.kRange !== undefined) {
          throw new LeptonError('E_OPTION', `--k-range applies with --k auto, not with --k ${k}`, 'drop --k-range, or give --k auto');
        }
        const table = await readTable(data);
        const result = await segment(table, {
          k,
          kRange: f.kRange === undefined ? undefined : parseRange(f.kRange),
          exclude: f.exclude,
          seed: f.seed,
          nInit: f.nInit,
          threads: f.threads,
        });
        let written: string | undefined;
        if (f.out) {
          const name = freeName(table, 'cluster');
          const withCluster = new Table(
            [...table.columns, { name, type: 'numeric', values: Float64Array.from(result.labels) }],
            table.numRows,
            { source: table.source, lines: table.sourceLines },
          );
          await writeFile(f.out, toCsv(withCluster));
          written = name;
        }
        if (f.json) {
          printJson({ ...segmentSummary(result), ...(f.out ? { out: f.out, clusterColumn: written } : {}) });
          return;
        }
        process.stdout.write(`${formatSegment(result)}\n`);
        if (f.out) process.stdout.write(`\nwrote ${table.numRows} rows with a '${written}' column to ${f.out}\n`);
      }),
    );
}

function parseK(v: string): number | 'auto' {
  if (v.trim().toLowerCase() === 'auto') return 'auto';
  const k = Number(v);
  if (!Number.isInteger(k) || k < 2) throw new LeptonError('E_OPTION', `--k must be 'auto' or an integer of at least 2 (got '${v}')`, 'e.g. --k 4 or --k auto');
  return k;
}

function parseRange(v: string): [number, number] {
  const m = /^\s*(\d+)\s*[-:]\s*(\d+)\s*$/.exec(v);
  if (!m) throw new LeptonError('E_OPTION', `--k-range must look like 2-8 (got '${v}')`, 'e.g. --k-range 2-8');
  return [Number(m[1]), Number(m[2])];
}

/** `base`, or base_2, base_3, … when the data already has such a column. */
function freeName(table: Table, base: string): string {
  if (!table.has(base)) return base;
  for (let i = 2; ; i++) if (!table.has(`${base}_${i}`)) return `${base}_${i}`;
}
