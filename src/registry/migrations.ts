/**
 * Numbered schema migrations. Each runs once, in order, inside a transaction, and is recorded
 * in `schema_migrations`; a registry newer than this Lepton is refused rather than guessed at.
 * Append new migrations; never edit one that has shipped.
 * @module
 */
import { LeptonError } from '../errors.js';
import { dialectDdl, type Db } from './db.js';

export const MIGRATIONS: readonly { version: number; name: string; sql: string }[] = [
  {
    version: 1,
    name: 'organisations, projects, datasets, runs, model versions, aliases, deployments, keys, audit',
    sql: `
CREATE TABLE orgs (id {{id}}, name TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL);
CREATE TABLE projects (id {{id}}, org_id BIGINT NOT NULL REFERENCES orgs(id), name TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL);
CREATE TABLE datasets (
  id {{id}}, project_id BIGINT NOT NULL REFERENCES projects(id), name TEXT NOT NULL, version INTEGER NOT NULL,
  hash TEXT NOT NULL, format TEXT NOT NULL, rows INTEGER NOT NULL, columns TEXT NOT NULL, source TEXT,
  created_by TEXT, created_at TEXT NOT NULL,
  UNIQUE (project_id, name, version), UNIQUE (project_id, name, hash));
CREATE TABLE runs (
  id {{id}}, project_id BIGINT NOT NULL REFERENCES projects(id),
  status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
  params TEXT NOT NULL, seed INTEGER, dataset_id BIGINT REFERENCES datasets(id), data_hash TEXT,
  metrics TEXT, error TEXT, packages TEXT NOT NULL, owner_host TEXT, owner_pid INTEGER,
  created_by TEXT, created_at TEXT NOT NULL, finished_at TEXT);
CREATE TABLE run_metrics (
  run_id BIGINT NOT NULL REFERENCES runs(id), candidate TEXT NOT NULL, step INTEGER NOT NULL, metrics TEXT NOT NULL,
  PRIMARY KEY (run_id, candidate, step));
CREATE TABLE model_versions (
  id {{id}}, project_id BIGINT NOT NULL REFERENCES projects(id), name TEXT NOT NULL, version INTEGER NOT NULL,
  run_id BIGINT REFERENCES runs(id), artifact TEXT NOT NULL, format_version INTEGER NOT NULL, task TEXT NOT NULL,
  metrics TEXT, created_by TEXT, created_at TEXT NOT NULL,
  UNIQUE (project_id, name, version));
CREATE TABLE aliases (
  project_id BIGINT NOT NULL REFERENCES projects(id), model_name TEXT NOT NULL, alias TEXT NOT NULL, version INTEGER NOT NULL,
  updated_at TEXT NOT NULL, PRIMARY KEY (project_id, model_name, alias));
CREATE TABLE alias_history (
  id {{id}}, project_id BIGINT NOT NULL REFERENCES projects(id), model_name TEXT NOT NULL, alias TEXT NOT NULL,
  version INTEGER NOT NULL, previous INTEGER, set_by TEXT, set_at TEXT NOT NULL);
CREATE TABLE deployments (
  id {{id}}, project_id BIGINT NOT NULL REFERENCES projects(id), model_name TEXT NOT NULL, alias TEXT NOT NULL,
  config TEXT NOT NULL, created_at TEXT NOT NULL, UNIQUE (project_id, model_name, alias));
CREATE TABLE api_keys (
  id {{id}}, project_id BIGINT NOT NULL REFERENCES projects(id), name TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('admin', 'trainer', 'predictor', 'viewer')),
  hash TEXT NOT NULL UNIQUE, prefix TEXT NOT NULL, created_at TEXT NOT NULL, revoked_at TEXT);
CREATE TABLE audit_log (
  id {{id}}, project_id BIGINT REFERENCES projects(id), key_id BIGINT, actor TEXT NOT NULL, action TEXT NOT NULL,
  target TEXT, details TEXT, at TEXT NOT NULL);
CREATE INDEX audit_by_project ON audit_log (project_id, id);
CREATE INDEX runs_by_status ON runs (status)`,
  },
  {
    version: 2,
    name: 'dataset lineage: source, parent version and transforms applied',
    sql: `ALTER TABLE datasets ADD COLUMN lineage TEXT`,
  },
  {
    version: 3,
    name: 'tuning studies and their trials',
    sql: `
CREATE TABLE studies (
  id {{id}}, project_id BIGINT NOT NULL REFERENCES projects(id), name TEXT NOT NULL,
  dataset_id BIGINT REFERENCES datasets(id), data_hash TEXT NOT NULL, target TEXT NOT NULL,
  direction TEXT NOT NULL CHECK (direction IN ('minimize', 'maximize')), metric TEXT NOT NULL,
  space TEXT NOT NULL, sampler TEXT NOT NULL, seed INTEGER NOT NULL, created_by TEXT, created_at TEXT NOT NULL,
  UNIQUE (project_id, name));
CREATE TABLE trials (
  id {{id}}, study_id BIGINT NOT NULL REFERENCES studies(id), number INTEGER NOT NULL, params TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'complete', 'pruned', 'failed')),
  value DOUBLE PRECISION, intermediate TEXT NOT NULL, error TEXT, attempt INTEGER NOT NULL,
  owner_host TEXT, owner_pid INTEGER, started_at TEXT, finished_at TEXT,
  UNIQUE (study_id, number));
CREATE INDEX trials_by_state ON trials (study_id, state)`,
  },
];

export async function migrate(db: Db): Promise<number> {
  await db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
  const row = await db.get<{ v: number | null }>('SELECT MAX(version) AS v FROM schema_migrations');
  const current = Number(row?.v ?? 0);
  const latest = MIGRATIONS[MIGRATIONS.length - 1]!.version;
  if (current > latest) {
    throw new LeptonError('E_REGISTRY', `the registry schema is at version ${current}, newer than this Lepton knows (${latest})`, 'upgrade Lepton before using this registry');
  }
  for (const m of MIGRATIONS) {
    if (m.version <= current) continue;
    await db.transaction(async (tx) => {
      for (const stmt of dialectDdl(m.sql, db.dialect).split(';').map((s) => s.trim()).filter(Boolean)) await tx.run(stmt);
      await tx.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [m.version, m.name, new Date().toISOString()]);
    });
  }
  return latest;
}
