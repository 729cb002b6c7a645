/**
 * Opens the registry and artifact store Lepton uses: embedded SQLite and a local folder by
 * default (`LEPTON_HOME`, else `./.lepton`), PostgreSQL when `LEPTON_REGISTRY_URL` (or `url`)
 * is a postgres:// URL.
 * @module
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ArtifactStore } from './artifact-store.js';
import { PostgresDb } from './postgres-db.js';
import { Registry } from './registry.js';
import { SqliteDb } from './sqlite-db.js';

export interface Home {
  dir: string;
  registry: Registry;
  /** Model artifacts, content-addressed. */
  artifacts: ArtifactStore;
  /** Where a registered dataset's file lives (content-addressed, with its format's extension). */
  datasetPath(hash: string, format: string): string;
  close(): Promise<void>;
}

export function homeDir(): string {
  return resolve(process.env.LEPTON_HOME ?? '.lepton');
}

export async function openHome(options: { dir?: string; url?: string } = {}): Promise<Home> {
  const dir = resolve(options.dir ?? homeDir());
  mkdirSync(dir, { recursive: true });
  const url = options.url ?? process.env.LEPTON_REGISTRY_URL;
  const db = url && /^postgres(ql)?:\/\//.test(url) ? new PostgresDb(url) : new SqliteDb(join(dir, 'registry.db'));
  const registry = await Registry.open(db);
  return {
    dir,
    registry,
    artifacts: new ArtifactStore(join(dir, 'artifacts')),
    datasetPath: (hash, format) => join(dir, 'datasets', `${hash}.${format}`),
    close: () => registry.close(),
  };
}
