import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Command } from 'commander';
import { readFolder } from '../data/folders.js';
import { imageTable } from '../data/images.js';
import { toTable } from '../data/infer.js';
import { inspectTable } from '../data/inspect.js';
import { formatQuality, qualityHtml } from '../data/inspect-format.js';
import { detectPii, parseIngestPii, parsePiiRules, PII_KINDS } from '../data/pii.js';
import { parseEncoding, type TextEncoding } from '../data/readers/encoding.js';
import { fileSize, formatOf, readRaw, readTable, streamable, type DataFormat } from '../data/readers/index.js';
import { toCsv } from '../data/writers/csv.js';
import { readSql, redactUrl } from '../data/readers/sql.js';
import { parse as parseYaml } from 'yaml';
import { LeptonError } from '../errors.js';
import { textTable } from '../eval/format.js';
import { writeAtomic } from '../registry/artifact-store.js';
import { addDataset, cleanDataset, inspectDataset, maskDataset } from '../registry/dataset-ops.js';
import { storeImages, type DatasetSource } from '../registry/datasets.js';
import type { Home } from '../registry/open.js';
import { action, printJson } from './output.js';
import { localActor, parseRef, withHome } from './registry.js';

/** Inspects a data file, or a registered dataset (NAME or NAME@VERSION) when no such file exists. */
async function inspect(home: Home, project: string, ref: string, target?: string, encoding?: TextEncoding) {
  if (existsSync(ref) && statSync(ref).isDirectory()) {
    const folder = await readFolder(ref, { encoding });
    return folder.kind === 'images' ? inspectTable(imageTable(folder.set, ref), { target: target ?? 'label' }) : inspectTable(toTable(folder.raw), { raw: folder.raw, target: target ?? 'label' });
  }
  if (existsSync(ref) && (ref.includes('/') || ref.includes('.'))) {
    if (await streamable(ref, formatOf(ref), encoding)) return inspectTable(await readTable(ref, undefined, { encoding }), { target });
    const raw = await readRaw(ref, { encoding });
    return inspectTable(toTable(raw), { raw, target });
  }
  const r = parseRef(ref);
  return inspectDataset(home, project, r.name, r.version, target);
}

interface AddFlags {
  project: string;
  json?: boolean;
  sql?: string;
  url?: string;
  encoding?: string;
  pii?: string;
  size?: string;
  channels?: string;
  split: string;
}

/** `--size 64x64` → [height, width]. */
export function parseSize(text: string): [number, number] {
  const m = /^(\d+)x(\d+)$/i.exec(text.trim());
  if (!m) throw new LeptonError('E_OPTION', `invalid --size '${text}'`, 'write HEIGHTxWIDTH, e.g. --size 64x64');
  return [Number(m[1]), Number(m[2])];
}

/** `--channels 1|3`. */
export function parseChannels(text: string): 1 | 3 {
  if (text !== '1' && text !== '3') throw new LeptonError('E_OPTION', `invalid --channels '${text}'`, 'give 1 (grey) or 3 (RGB)');
  return Number(text) as 1 | 3;
}

/** `data add NAME FOLDER`: images become one tensor file, text documents a JSONL table. */
async function addFolder(home: Home, name: string, dir: string, f: AddFlags, encoding?: TextEncoding): Promise<void> {
  const actor = localActor();
  const tty = Boolean(process.stderr.isTTY) && !f.json;
  const folder = await readFolder(dir, {
    size: f.size ? parseSize(f.size) : undefined,
    channels: f.channels ? parseChannels(f.channels) : undefined,
    split: f.split,
    encoding,
    onProgress: tty ? (done, total) => done % 100 === 0 || done === total ? process.stderr.write(`\r  decoding images ${done}/${total}`) : undefined : undefined,
  });
  if (tty) process.stderr.write('\n');
  const lineage = { source: `folder ${basename(dir)} (${folder.describe}) added by ${actor.name}`, transforms: [] };
  const s =
    folder.kind === 'images'
      ? await storeImages(home, f.project, { name, set: folder.set, lineage }, actor)
      : await addDataset(home, f.project, { name, bytes: Buffer.from(folder.raw.cells[0]!.map((text, i) => `${JSON.stringify({ text, label: folder.raw.cells[1]![i] })}\n`).join('')), format: 'jsonl', lineage }, f.pii ? parseIngestPii(f.pii) : undefined, actor);
  if (f.json) return printJson({ ...s.record, reused: s.reused, kind: folder.kind });
  process.stdout.write(`${s.reused ? 'unchanged: same content as' : 'added'} ${name}@${s.record.version} (${folder.describe})\n`);
}

export function registerData(program: Command): void {
  const data = program.command('data').description('datasets: add versions, list, show lineage, inspect quality, treat personal data');
  data
    .command('add')
    .argument('<name>', 'dataset name')
    .argument('[source]', 'data file (.csv .tsv .arff .jsonl .json .parquet) or folder (class sub-folders of images or .txt files; IDX files)')
    .option('--sql <query>', 'instead of a file: the rows of a SQL query')
    .option('--url <url>', 'database for --sql: a SQLite file (or sqlite:PATH) or postgres://user:pass@host/db')
    .option('--encoding <name>', 'text encoding of the file: utf-8 (default), latin1, windows-1252, utf-16le; stored as UTF-8')
    .option('--size <HxW>', 'image folders: decode every image to this size (default: the most common size)')
    .option('--channels <n>', 'image folders: 1 (grey) or 3 (RGB) (default: 1 if every image is grey)')
    .option('--split <name>', 'IDX folders: which split to add (train or t10k)', 'train')
    .option('--pii <policy>', 'treat personal data before storing: one action for every detected column (mask|hash|drop|keep) or col=action,… (others: mask)')
    .option('--project <name>', 'project', 'default')
    .option('--json', 'as JSON')
    .description('add a file or a SQL query result as a dataset version; identical content reuses its version; personal data is flagged')
    .addHelpText(
      'after',
      `
CSV/TSV files over 32 MiB are streamed (DuckDB) instead of held in memory as text.
Without --pii, personal data is stored as given and flagged; with it, only the treated table is stored.
Examples:
  $ lepton data add loans credit-g.arff && lepton data inspect loans --target class
  $ lepton data add customers crm-export.csv --encoding windows-1252 --pii email=hash,phone=drop
  $ lepton data add xrays scans/ --size 128x128 --channels 1      # scans/normal/*.png, scans/pneumonia/*.png
  $ lepton data add tickets tickets/                              # tickets/billing/*.txt, tickets/login/*.txt
  $ lepton data add fashion /usr/share/datasets/fashion-mnist --split t10k
  $ lepton data add orders --sql "SELECT * FROM orders WHERE year = 2026" --url postgres://me:secret@db/shop`,
    )
    .action(
      action(async (name: string, file: string | undefined, f: AddFlags) =>
        withHome(async (home) => {
          const actor = localActor();
          const encoding = f.encoding ? parseEncoding(f.encoding) : undefined;
          if (file && existsSync(file) && statSync(file).isDirectory()) return addFolder(home, name, file, f, encoding);
          let input: DatasetSource;
          let format: DataFormat;
          let source: string;
          if (f.sql) {
            if (!f.url) throw new LeptonError('E_OPTION', '--sql needs --url', 'e.g. --url shop.db or --url postgres://user:pass@host/db');
            input = { bytes: Buffer.from(toCsv(toTable(await readSql(f.url, f.sql)))) };
            format = 'csv';
            source = `sql on ${redactUrl(f.url)}: ${f.sql} (by ${actor.name})`;
          } else {
            if (!file) throw new LeptonError('E_OPTION', 'give a data file, or --sql with --url', 'e.g. lepton data add loans credit-g.arff');
            format = formatOf(file);
            await fileSize(file);
            input = { path: file };
            source = `file ${basename(file)}${encoding && encoding !== 'utf-8' ? ` (${encoding})` : ''} added by ${actor.name}`;
          }
          const s = await addDataset(home, f.project, { name, ...input, format, encoding, lineage: { source, transforms: [] } }, f.pii ? parseIngestPii(f.pii) : undefined, actor);
          const pii = f.pii ? [] : detectPii(s.table);
          if (f.json) return printJson({ ...s.record, reused: s.reused, pii, transforms: s.transforms });
          process.stdout.write(`${s.reused ? 'unchanged: same content as' : 'added'} ${name}@${s.record.version} (${s.record.rows} rows, ${s.record.columns.length} columns)\n`);
          if (s.transforms.length) process.stdout.write(`personal data treated before storing: ${s.transforms.join('; ')}\n`);
          for (const p of pii) process.stderr.write(`warning: column '${p.column}' holds personal data (${p.kind}); treat it with: lepton data mask ${name}@${s.record.version}, or add with --pii\n`);
        }),
      ),
    );
  data
    .command('list')
    .option('--project <name>', 'project', 'default')
    .option('--json', 'as JSON')
    .description('list dataset versions')
    .action(
      action(async (f: { project: string; json?: boolean }) =>
        withHome(async (home) => {
          const list = await home.registry.listDatasets(f.project);
          if (f.json) return printJson(list);
          process.stdout.write(`${textTable([['dataset', 'version', 'rows', 'columns', 'hash', 'created'], ...list.map((d) => [d.name, String(d.version), String(d.rows), String(d.columns.length), d.hash.slice(0, 12), d.createdAt])], 1)}\n`);
        }),
      ),
    );
  data
    .command('show')
    .argument('<ref>', 'NAME or NAME@VERSION')
    .option('--project <name>', 'project', 'default')
    .option('--json', 'as JSON')
    .description('show a dataset version: columns, hash and lineage')
    .action(
      action(async (ref: string, f: { project: string; json?: boolean }) =>
        withHome(async (home) => {
          const r = parseRef(ref);
          const d = await home.registry.dataset(f.project, r.name, r.version);
          if (f.json) return printJson(d);
          const l = d.lineage;
          process.stdout.write(
            `${d.name}@${d.version}: ${d.rows} rows, ${d.format}, sha256 ${d.hash}\ncreated ${d.createdAt} by ${d.createdBy}\nsource: ${l?.source ?? d.source ?? 'unknown'}${l?.parent ? `\nderived from: ${l.parent}` : ''}${l?.transforms.length ? `\ntransforms: ${l.transforms.join('; ')}` : ''}\ncolumns: ${d.columns.join(', ')}\n`,
          );
        }),
      ),
    );
  data
    .command('inspect')
    .argument('<data>', 'dataset (NAME[@VERSION]) or a data file')
    .option('--project <name>', 'project', 'default')
    .option('-t, --target <column>', 'target column: class balance and leak detection')
    .option('--encoding <name>', 'text encoding of a file: utf-8 (default), latin1, windows-1252, utf-16le')
    .option('--json', 'the report as JSON')
    .option('--html <file>', 'also write a self-contained HTML report with histograms')
    .description('data-quality report: types, missing values, outliers, duplicates, constant columns, leaks, personal data')
    .addHelpText('after', '\nExamples:\n  $ lepton data inspect credit-g.arff --target class\n  $ lepton data inspect loans@2 --html report.html')
    .action(
      action(async (ref: string, f: { project: string; target?: string; json?: boolean; html?: string; encoding?: string }) =>
        withHome(async (home) => {
          const report = await inspect(home, f.project, ref, f.target, f.encoding ? parseEncoding(f.encoding) : undefined);
          if (f.html) await writeAtomic(f.html, Buffer.from(qualityHtml(report)));
          if (f.json) return printJson(report);
          process.stdout.write(`${formatQuality(report)}\n${f.html ? `\nHTML report: ${f.html}\n` : ''}`);
        }),
      ),
    );
  data
    .command('clean')
    .argument('<ref>', 'NAME or NAME@VERSION')
    .option('--project <name>', 'project', 'default')
    .option('--policy <file>', 'YAML or JSON cleaning policy (default: drop duplicates and constant columns, impute missing values, clip outliers)')
    .option('-t, --target <column>', 'target column: never imputed; leaking columns are dropped')
    .option('--json', 'the change report as JSON')
    .description('clean a dataset by policy into a new version, counting every change (the original stays as it was)')
    .addHelpText(
      'after',
      `
Policy keys (all optional):
  duplicates: drop | keep                    (drop)
  missing: impute | drop_rows | keep         (impute: median or most frequent value)
  outliers: clip | drop_rows | keep          (clip to 1.5 × IQR beyond the quartiles)
  constant_columns: drop | keep              (drop)
  leaking_columns: drop | keep               (drop; needs target)
  target: COLUMN
  types: {zip: categorical, amount: numeric}
Example:
  $ lepton data clean loans --target class --policy clean.yaml`,
    )
    .action(
      action(async (ref: string, f: { project: string; policy?: string; target?: string; json?: boolean }) =>
        withHome(async (home) => {
          let policyInput: Record<string, unknown> = {};
          if (f.policy) {
            let text: string;
            try {
              text = await readFile(f.policy, 'utf8');
            } catch {
              throw new LeptonError('E_FILE', `policy file not found: '${f.policy}'`, 'check the path');
            }
            try {
              policyInput = (parseYaml(text) ?? {}) as Record<string, unknown>;
            } catch (e) {
              throw new LeptonError('E_PARSE', `${f.policy} is not valid YAML: ${(e as Error).message.split('\n')[0]}`, 'fix the policy file');
            }
          }
          if (f.target) policyInput.target = f.target;
          const r = parseRef(ref);
          const { record, report, changes } = await cleanDataset(home, f.project, r.name, r.version, policyInput, f.policy ?? 'policy', localActor());
          if (f.json) return printJson({ dataset: `${record.name}@${record.version}`, ...report });
          process.stdout.write(`${record.name}@${record.version}: ${report.rowsIn} → ${report.rowsOut} rows\n${changes.map((c) => `  ${c}`).join('\n') || '  no change'}\n`);
        }),
      ),
    );
  data
    .command('mask')
    .argument('<ref>', 'NAME or NAME@VERSION')
    .option('--project <name>', 'project', 'default')
    .option('--policy <rules>', 'per column: col=keep|mask|hash|drop, comma-separated (default: mask every detected column)')
    .description('treat personal data and record the result as a new dataset version (the original stays as it was)')
    .addHelpText('after', `\nDetects: ${PII_KINDS.join(', ')}.\nExample:\n  $ lepton data mask customers --policy email=hash,phone=mask,name=drop`)
    .action(
      action(async (ref: string, f: { project: string; policy?: string }) =>
        withHome(async (home) => {
          const r = parseRef(ref);
          const { record, transforms } = await maskDataset(home, f.project, r.name, r.version, parsePiiRules(f.policy ?? ''), localActor());
          process.stdout.write(`${record.name}@${record.version}: ${transforms.length ? transforms.join('; ') : 'no personal data found'}\n`);
        }),
      ),
    );
}
