/**
 * Storing a dataset version: parse it (so a broken file never becomes a version), write the
 * bytes content-addressed and atomically, then record it with its lineage. Shared by
 * `lepton data add` and the HTTP upload.
 * @module
 */
import { toTable, type RawTable } from '../data/infer.js';
import { readFile } from 'node:fs/promises';
import { encodeImageSet, imageTable, type ImageSet } from '../data/images.js';
import { decodeText, type TextEncoding } from '../data/readers/encoding.js';
import { parseBytes, readTable, streamable, type DataFormat } from '../data/readers/index.js';
import type { Table } from '../data/table.js';
import { copyAtomic, sha256, sha256File, writeAtomic } from './artifact-store.js';
import type { Home } from './open.js';
import type { Actor, DatasetRecord, Lineage } from './registry.js';

export interface StoredDataset {
  record: DatasetRecord;
  reused: boolean;
  table: Table;
  /** The cells as read (absent when a large file was streamed). */
  raw?: RawTable;
}

/** What to store: bytes in memory, or a file (a large CSV/TSV is then streamed, never held as text). */
export type DatasetSource = { bytes: Uint8Array; path?: undefined } | { path: string; bytes?: undefined };

/**
 * Stores a version. Text in another encoding is converted to UTF-8 first, so every stored
 * version reads back without knowing where it came from.
 */
export async function storeDataset(home: Home, project: string, d: { name: string; format: DataFormat; encoding?: TextEncoding; lineage: Lineage } & DatasetSource, actor: Actor): Promise<StoredDataset> {
  const source = `${d.name}.${d.format}`;
  let stored: { hash: string; table: Table; raw?: RawTable };
  if (d.path !== undefined && (d.encoding ?? 'utf-8') === 'utf-8' && (await streamable(d.path, d.format))) {
    const table = await readTable(d.path, undefined, { encoding: d.encoding });
    const hash = await sha256File(d.path);
    await copyAtomic(d.path, home.datasetPath(hash, d.format));
    stored = { hash, table };
  } else {
    let bytes: Uint8Array = d.bytes ?? (await readFile(d.path!));
    if (d.format !== 'parquet' && d.format !== 'xlsx' && (d.encoding ?? 'utf-8') !== 'utf-8') bytes = Buffer.from(decodeText(bytes, source, d.encoding));
    const raw = await parseBytes(bytes, d.format, source);
    const hash = sha256(bytes);
    const table = toTable(raw);
    await writeAtomic(home.datasetPath(hash, d.format), bytes);
    stored = { hash, table, raw };
  }
  const { hash, table } = stored;
  const { record, reused } = await home.registry.addDataset(project, { name: d.name, hash, format: d.format, rows: table.numRows, columns: table.columnNames, source: d.lineage.source, lineage: d.lineage }, actor);
  return { record, reused, table, raw: stored.raw };
}

/** Stores an image dataset as one safetensors file (pixels, labels, class names, file names). */
export async function storeImages(home: Home, project: string, d: { name: string; set: ImageSet; lineage: Lineage }, actor: Actor): Promise<StoredDataset> {
  const bytes = encodeImageSet(d.set);
  const hash = sha256(bytes);
  await writeAtomic(home.datasetPath(hash, 'images'), bytes);
  const table = imageTable(d.set, d.name);
  const { record, reused } = await home.registry.addDataset(project, { name: d.name, hash, format: 'images', rows: d.set.n, columns: ['image', 'label'], source: d.lineage.source, lineage: d.lineage }, actor);
  return { record, reused, table };
}
