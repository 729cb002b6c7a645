/**
 * Storing a dataset version: parse it (so a broken file never becomes a version), write the
 * bytes content-addressed and atomically, then record it with its lineage. Shared by
 * `lepton data add` and the HTTP upload.
 * @module
 */
import { toTable, type RawTable } from '../data/infer.js';
import { parseBytes, type DataFormat } from '../data/readers/index.js';
import type { Table } from '../data/table.js';
import { sha256, writeAtomic } from './artifact-store.js';
import type { Home } from './open.js';
import type { Actor, DatasetRecord, Lineage } from './registry.js';

export interface StoredDataset {
  record: DatasetRecord;
  reused: boolean;
  table: Table;
  raw: RawTable;
}

export async function storeDataset(home: Home, project: string, d: { name: string; bytes: Uint8Array; format: DataFormat; lineage: Lineage }, actor: Actor): Promise<StoredDataset> {
  const raw = await parseBytes(d.bytes, d.format, `${d.name}.${d.format}`);
  const table = toTable(raw);
  const hash = sha256(d.bytes);
  await writeAtomic(home.datasetPath(hash, d.format), d.bytes);
  const { record, reused } = await home.registry.addDataset(project, { name: d.name, hash, format: d.format, rows: table.numRows, columns: table.columnNames, source: d.lineage.source, lineage: d.lineage }, actor);
  return { record, reused, table, raw };
}
