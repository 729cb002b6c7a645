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
import { inspectTable, type QualityReport } from '../data/inspect.js';
import { applyPiiPolicy, detectPii, type PiiAction } from '../data/pii.js';
import { readRaw } from '../data/readers/index.js';
import { toCsv } from '../data/writers/csv.js';
import { LeptonError } from '../errors.js';
import { cleanTable, describeClean, parseCleanPolicy, type CleanReport } from '../prep/clean.js';
import { storeDataset } from './datasets.js';
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
  const raw = await readRaw(home.datasetPath(d.hash, d.format));
  return { d, raw, table: toTable({ ...raw, source: `${d.name}@${d.version}` }) };
}

export async function inspectDataset(home: Home, project: string, name: string, version: number | undefined, target?: string): Promise<QualityReport> {
  const { raw, table } = await load(home, project, name, version);
  return inspectTable(table, { raw, target });
}

export async function cleanDataset(home: Home, project: string, name: string, version: number | undefined, policyInput: unknown, source: string, actor: Actor): Promise<{ record: DatasetRecord; report: CleanReport; changes: string[] }> {
  const policy = parseCleanPolicy(policyInput, source);
  const { d, table } = await load(home, project, name, version);
  const { table: cleaned, report } = cleanTable(table, policy);
  const changes = describeClean(report);
  const s = await storeDataset(home, project, { name: d.name, bytes: Buffer.from(toCsv(cleaned)), format: 'csv', lineage: { source: d.lineage?.source ?? d.source ?? 'unknown', parent: `${d.name}@${d.version}`, transforms: changes.length ? changes : ['clean: no change'] } }, actor);
  return { record: s.record, report, changes };
}

export async function maskDataset(home: Home, project: string, name: string, version: number | undefined, policy: Record<string, string>, actor: Actor): Promise<{ record: DatasetRecord; transforms: string[] }> {
  const { d, table } = await load(home, project, name, version);
  for (const [col, act] of Object.entries(policy)) {
    if (!['keep', 'mask', 'hash', 'drop'].includes(act)) throw new LeptonError('E_OPTION', `invalid policy rule '${col}=${act}'`, 'write column=keep|mask|hash|drop');
    table.column(col);
  }
  const findings = detectPii(table);
  const treated = applyPiiPolicy(table, findings, policy as Record<string, PiiAction>, await projectSecret(home, project));
  const kindOf = new Map(findings.map((p) => [p.column, p.kind]));
  const transforms = [...new Set([...kindOf.keys(), ...Object.keys(policy)])].map((c) => `pii ${policy[c] ?? 'mask'} ${c}${kindOf.has(c) ? ` (${kindOf.get(c)})` : ''}`);
  const s = await storeDataset(home, project, { name: d.name, bytes: Buffer.from(toCsv(treated)), format: 'csv', lineage: { source: d.lineage?.source ?? d.source ?? 'unknown', parent: `${d.name}@${d.version}`, transforms } }, actor);
  return { record: s.record, transforms };
}
