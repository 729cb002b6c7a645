/**
 * Operations that turn one dataset version into a new one (clean, mask personal data) or
 * report on it (inspect). The CLI and the HTTP API call these, so both behave the same.
 * @module
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { toTable } from '../data/infer.js';
import { decodeImageSet, imageTable } from '../data/images.js';
import { inspectTable, type QualityReport } from '../data/inspect.js';
import { applyPiiPolicy, detectPii, type IngestPii, type PiiAction } from '../data/pii.js';
import { parseBytes, readRaw, readTable, streamable, type DataFormat } from '../data/readers/index.js';
import type { Table } from '../data/table.js';
import { toCsv } from '../data/writers/csv.js';
import { LeptonError } from '../errors.js';
import { cleanTable, describeClean, parseCleanPolicy, type CleanReport } from '../prep/clean.js';
import { storeDataset, type StoredDataset } from './datasets.js';
import type { Home } from './open.js';
import type { Actor, DatasetRecord } from './registry.js';

/** The per-project secret PII hashing uses: random, created once, readable only by its owner. */
export async function projectSecret(home: Home, project: string): Promise<string> {
  const file = join(home.dir, `secret-${project}`);
  if (!existsSync(file)) await writeFile(file, randomBytes(32).toString('hex'), { mode: 0o600, flag: 'wx' }).catch(() => undefined);
  return (await readFile(file, 'utf8')).trim();
}

async function load(home: Home, project: string, name: string, version?: number) {
  const d = await home.registry.dataset(project, name, version);
  const path = home.datasetPath(d.hash, d.format);
  if (d.format === 'images') return { d, raw: undefined, table: imageTable(decodeImageSet(await readFile(path), `${d.name}@${d.version}`), `${d.name}@${d.version}`), images: true };
  // Large CSVs stream into a Table; the raw cells (for mixed-type checks) exist only for smaller files.
  if (await streamable(path, d.format as DataFormat)) return { d, raw: undefined, table: await readTable(path) };
  const raw = await readRaw(path);
  return { d, raw, table: toTable({ ...raw, source: `${d.name}@${d.version}` }) };
}

export async function inspectDataset(home: Home, project: string, name: string, version: number | undefined, target?: string): Promise<QualityReport> {
  const { raw, table } = await load(home, project, name, version);
  return inspectTable(table, { raw, target });
}

/** Clean and mask rewrite rows as CSV: meaningless for pixels. */
function refuseImages(d: DatasetRecord, what: string): void {
  if (d.format === 'images') throw new LeptonError('E_OPTION', `${d.name}@${d.version} is an image dataset; ${what} works on tables`, 'inspect it with lepton data inspect; augmentation applies at training time');
}

export async function cleanDataset(home: Home, project: string, name: string, version: number | undefined, policyInput: unknown, source: string, actor: Actor): Promise<{ record: DatasetRecord; report: CleanReport; changes: string[] }> {
  const policy = parseCleanPolicy(policyInput, source);
  const { d, table } = await load(home, project, name, version);
  refuseImages(d, 'clean');
  const { table: cleaned, report } = cleanTable(table, policy);
  const changes = describeClean(report);
  const s = await storeDataset(home, project, { name: d.name, bytes: Buffer.from(toCsv(cleaned)), format: 'csv', lineage: { source: d.lineage?.source ?? d.source ?? 'unknown', parent: `${d.name}@${d.version}`, transforms: changes.length ? changes : ['clean: no change'] } }, actor);
  return { record: s.record, report, changes };
}

/** Parses `col=action` rules (or one action for every detected column) and checks the columns exist. */
function checkPiiPolicy(table: Table, policy: Record<string, string>): Record<string, PiiAction> {
  for (const [col, act] of Object.entries(policy)) {
    if (!['keep', 'mask', 'hash', 'drop'].includes(act)) throw new LeptonError('E_OPTION', `invalid policy rule '${col}=${act}'`, 'write column=keep|mask|hash|drop');
    table.column(col);
  }
  return policy as Record<string, PiiAction>;
}

/** Applies a PII policy (columns not named get `fallback`) and describes each change for the lineage. */
async function treatPii(home: Home, project: string, table: Table, policy: Record<string, string>, fallback: PiiAction = 'mask'): Promise<{ table: Table; transforms: string[] }> {
  const rules = checkPiiPolicy(table, policy);
  const findings = detectPii(table);
  const treated = applyPiiPolicy(table, findings, rules, await projectSecret(home, project), fallback);
  const kindOf = new Map(findings.map((p) => [p.column, p.kind]));
  const transforms = [...new Set([...kindOf.keys(), ...Object.keys(rules)])].map((c) => `pii ${rules[c] ?? fallback} ${c}${kindOf.has(c) ? ` (${kindOf.get(c)})` : ''}`);
  return { table: treated, transforms };
}

export async function maskDataset(home: Home, project: string, name: string, version: number | undefined, policy: Record<string, string>, actor: Actor): Promise<{ record: DatasetRecord; transforms: string[] }> {
  const { d, table } = await load(home, project, name, version);
  refuseImages(d, 'mask');
  const { table: treated, transforms } = await treatPii(home, project, table, policy);
  const s = await storeDataset(home, project, { name: d.name, bytes: Buffer.from(toCsv(treated)), format: 'csv', lineage: { source: d.lineage?.source ?? d.source ?? 'unknown', parent: `${d.name}@${d.version}`, transforms } }, actor);
  return { record: s.record, transforms };
}


/**
 * Adds a version. With a PII policy the raw file is never stored: the table is treated first and
 * the stored version is the treated CSV, with the treatment in its lineage.
 */
export async function addDataset(home: Home, project: string, d: Parameters<typeof storeDataset>[2], pii: IngestPii | undefined, actor: Actor): Promise<StoredDataset & { transforms: string[] }> {
  if (!pii) return { ...(await storeDataset(home, project, d, actor)), transforms: [] };
  const table = d.path !== undefined && (await streamable(d.path, d.format, d.encoding)) ? await readTable(d.path, undefined, { encoding: d.encoding }) : toTable(await parseBytes(d.bytes ?? (await readFile(d.path!)), d.format, d.name, d.encoding));
  const { table: treated, transforms } = await treatPii(home, project, table, pii.policy, pii.fallback);
  const s = await storeDataset(home, project, { name: d.name, bytes: Buffer.from(toCsv(treated)), format: 'csv', lineage: { ...d.lineage, transforms: [...d.lineage.transforms, ...transforms] } }, actor);
  return { ...s, transforms };
}
