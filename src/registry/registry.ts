/**
 * The registry: projects, datasets, runs with metric series, model versions, aliases, API
 * keys and the audit log, over either SQL backend. Every change that matters is audited with
 * the actor (an API key id or the local user) and the time; alias moves are atomic.
 * @example
 *   const reg = await openRegistry();            // .lepton/registry.db by default
 *   const v = await reg.registerModelVersion('default', { name: 'credit', artifact, ... }, actor);
 *   await reg.setAlias('default', 'credit', 'production', v.version, actor);
 * @module
 */
import { createHash, randomBytes } from 'node:crypto';
import { LeptonError } from '../errors.js';
import type { Db, Queryable } from './db.js';
import { migrate } from './migrations.js';

export const ROLES = ['viewer', 'predictor', 'trainer', 'admin'] as const;
export type Role = (typeof ROLES)[number];
export const RUN_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** Who did something: an API key, or a person at the local CLI. */
export interface Actor {
  keyId: number | null;
  name: string;
}

export interface Project {
  id: number;
  name: string;
  org: string;
}

/** Where a dataset version came from: its source, the version it was derived from, and how. */
export interface Lineage {
  source: string;
  parent?: string;
  transforms: string[];
}

export interface DatasetRecord {
  id: number;
  lineage: Lineage | null;
  name: string;
  version: number;
  hash: string;
  format: string;
  rows: number;
  columns: string[];
  source: string | null;
  createdBy: string | null;
  createdAt: string;
}

export interface RunRecord {
  id: number;
  status: RunStatus;
  params: Record<string, unknown>;
  seed: number | null;
  datasetId: number | null;
  dataHash: string | null;
  metrics: Record<string, unknown> | null;
  error: string | null;
  packages: Record<string, string>;
  createdBy: string | null;
  createdAt: string;
  finishedAt: string | null;
}

export interface ModelVersion {
  name: string;
  version: number;
  runId: number | null;
  artifact: string;
  formatVersion: number;
  task: string;
  metrics: Record<string, unknown> | null;
  aliases: string[];
  createdBy: string | null;
  createdAt: string;
}

export interface ApiKeyInfo {
  keyId: number;
  projectId: number;
  project: string;
  role: Role;
  name: string;
}

export const TRIAL_STATES = ['queued', 'running', 'complete', 'pruned', 'failed'] as const;
export type TrialState = (typeof TRIAL_STATES)[number];
/** Starts a trial gets: the first, and one retry when the process running it was killed. */
export const TRIAL_ATTEMPTS = 2;

/** A tuning study: one search over one dataset, target, metric and space. */
export interface StudyRecord {
  id: number;
  project: string;
  name: string;
  datasetId: number | null;
  dataHash: string;
  target: string;
  direction: 'minimize' | 'maximize';
  metric: string;
  space: Record<string, unknown>;
  sampler: string;
  seed: number;
  createdBy: string | null;
  createdAt: string;
}

export interface StudySpec {
  name: string;
  datasetId?: number;
  dataHash: string;
  target: string;
  direction: 'minimize' | 'maximize';
  metric: string;
  /**
   * The validated search space (plain JSON). Stored as given (parameter order is the order
   * samplers draw in: build samplers from `StudyRecord.space`); compared key-order-blind.
   */
  space: Record<string, unknown>;
  /** Default 'tpe' for a new study; when resuming, omitted means the stored one. */
  sampler?: string;
  /** Default 0 for a new study; when resuming, omitted means the stored one. */
  seed?: number;
}

/**
 * One trial of a study. `number` is 1, 2, 3, … in the order trials were first started, unique
 * in the study. `attempt` counts starts: 2 means an earlier start was interrupted (see
 * `requeueInterruptedTrials`), and `error` then says so even if the retry completed.
 */
export interface TrialRecord {
  id: number;
  studyId: number;
  number: number;
  params: Record<string, unknown>;
  state: TrialState;
  /** Final value (complete), or the last reported value (pruned). */
  value: number | null;
  intermediate: { step: number; value: number | null }[];
  error: string | null;
  attempt: number;
  owner: { host: string | null; pid: number | null };
  startedAt: string | null;
  finishedAt: string | null;
}

/** Identifies one attempt of a trial: a stale attempt's reports are refused. */
export type TrialRef = Pick<TrialRecord, 'id' | 'attempt'>;

export interface AuditEntry {
  id: number;
  actor: string;
  keyId: number | null;
  action: string;
  target: string | null;
  details: Record<string, unknown> | null;
  at: string;
}

const now = () => new Date().toISOString();
const json = (v: unknown) => (v === undefined ? null : JSON.stringify(v));
const parse = <T>(v: unknown): T | null => (typeof v === 'string' ? (JSON.parse(v) as T) : null);
export const hashKey = (key: string) => createHash('sha256').update(key).digest('hex');
const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function checkName(kind: string, name: string): string {
  if (!NAME_RE.test(name)) {
    throw new LeptonError('E_OPTION', `invalid ${kind} name '${name}'`, 'use 1–64 letters, digits, ".", "_" or "-", starting with a letter or digit');
  }
  return name;
}

export class Registry {
  private constructor(readonly db: Db) {}

  static async open(db: Db): Promise<Registry> {
    await migrate(db);
    return new Registry(db);
  }

  close(): Promise<void> {
    return this.db.close();
  }

  // ── projects ──────────────────────────────────────────────────────────────
  async ensureProject(name: string, org = 'default'): Promise<Project> {
    checkName('project', name);
    const found = await this.findProject(name);
    if (found) return found;
    return this.db.transaction(async (tx) => {
      let o = await tx.get<{ id: number }>('SELECT id FROM orgs WHERE name = ?', [org]);
      if (!o) o = { id: (await tx.run('INSERT INTO orgs (name, created_at) VALUES (?, ?) RETURNING id', [org, now()])).id! };
      const id = (await tx.run('INSERT INTO projects (org_id, name, created_at) VALUES (?, ?, ?) RETURNING id', [o.id, name, now()])).id!;
      return { id, name, org };
    });
  }

  async findProject(name: string): Promise<Project | undefined> {
    const r = await this.db.get<{ id: number; name: string; org: string }>('SELECT p.id, p.name, o.name AS org FROM projects p JOIN orgs o ON o.id = p.org_id WHERE p.name = ?', [name]);
    return r && { id: Number(r.id), name: r.name, org: r.org };
  }

  async project(name: string): Promise<Project> {
    const p = await this.findProject(name);
    if (!p) throw new LeptonError('E_NOT_FOUND', `project '${name}' does not exist`, 'create it with `lepton keys create --project NAME` or check the spelling');
    return p;
  }

  async listProjects(): Promise<Project[]> {
    const rows = await this.db.all<{ id: number; name: string; org: string }>('SELECT p.id, p.name, o.name AS org FROM projects p JOIN orgs o ON o.id = p.org_id ORDER BY p.name');
    return rows.map((r) => ({ id: Number(r.id), name: r.name, org: r.org }));
  }

  // ── API keys ──────────────────────────────────────────────────────────────
  /** Creates a key; the secret is returned once and only its SHA-256 is stored. */
  async createKey(projectName: string, role: Role, name: string, actor: Actor): Promise<{ id: number; key: string; role: Role }> {
    if (!ROLES.includes(role)) throw new LeptonError('E_OPTION', `unknown role '${role}'`, `use one of ${ROLES.join(', ')}`);
    const p = await this.ensureProject(projectName);
    const key = `lep_${randomBytes(24).toString('base64url')}`;
    const id = await this.db.transaction(async (tx) => {
      const kid = (await tx.run('INSERT INTO api_keys (project_id, name, role, hash, prefix, created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id', [p.id, name, role, hashKey(key), key.slice(0, 8), now()])).id!;
      await this.auditIn(tx, p.id, actor, 'key.create', `key:${kid}`, { role, name });
      return kid;
    });
    return { id, key, role };
  }

  async authenticate(key: string): Promise<ApiKeyInfo | undefined> {
    const r = await this.db.get<{ id: number; project_id: number; project: string; role: Role; name: string }>(
      'SELECT k.id, k.project_id, p.name AS project, k.role, k.name FROM api_keys k JOIN projects p ON p.id = k.project_id WHERE k.hash = ? AND k.revoked_at IS NULL',
      [hashKey(key)],
    );
    return r && { keyId: Number(r.id), projectId: Number(r.project_id), project: r.project, role: r.role, name: r.name };
  }

  async listKeys(projectName: string): Promise<{ id: number; name: string; role: Role; prefix: string; createdAt: string; revokedAt: string | null }[]> {
    const p = await this.project(projectName);
    const rows = await this.db.all<{ id: number; name: string; role: Role; prefix: string; created_at: string; revoked_at: string | null }>('SELECT * FROM api_keys WHERE project_id = ? ORDER BY id', [p.id]);
    return rows.map((r) => ({ id: Number(r.id), name: r.name, role: r.role, prefix: r.prefix, createdAt: r.created_at, revokedAt: r.revoked_at }));
  }

  async revokeKey(projectName: string, id: number, actor: Actor): Promise<void> {
    const p = await this.project(projectName);
    await this.db.transaction(async (tx) => {
      const r = await tx.run('UPDATE api_keys SET revoked_at = ? WHERE id = ? AND project_id = ? AND revoked_at IS NULL', [now(), id, p.id]);
      if (r.changes === 0) throw new LeptonError('E_NOT_FOUND', `no active key ${id} in project '${projectName}'`, 'list keys with `lepton keys list`');
      await this.auditIn(tx, p.id, actor, 'key.revoke', `key:${id}`);
    });
  }

  // ── datasets ──────────────────────────────────────────────────────────────
  /** Records a dataset version; identical content (same hash) reuses its version. */
  async addDataset(projectName: string, d: { name: string; hash: string; format: string; rows: number; columns: string[]; source?: string; lineage?: Lineage }, actor: Actor): Promise<{ record: DatasetRecord; reused: boolean }> {
    checkName('dataset', d.name);
    const p = await this.ensureProject(projectName);
    return this.db.transaction(async (tx) => {
      const same = await tx.get('SELECT * FROM datasets WHERE project_id = ? AND name = ? AND hash = ?', [p.id, d.name, d.hash]);
      if (same) return { record: toDataset(same), reused: true };
      const last = await tx.get<{ v: number | null }>('SELECT MAX(version) AS v FROM datasets WHERE project_id = ? AND name = ?', [p.id, d.name]);
      const version = Number(last?.v ?? 0) + 1;
      await tx.run('INSERT INTO datasets (project_id, name, version, hash, format, rows, columns, source, lineage, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)', [p.id, d.name, version, d.hash, d.format, d.rows, json(d.columns), d.source ?? null, json(d.lineage), actor.name, now()]);
      await this.auditIn(tx, p.id, actor, 'dataset.add', `${d.name}@${version}`, { hash: d.hash, rows: d.rows });
      return { record: toDataset((await tx.get('SELECT * FROM datasets WHERE project_id = ? AND name = ? AND version = ?', [p.id, d.name, version]))!), reused: false };
    });
  }

  async listDatasets(projectName: string): Promise<DatasetRecord[]> {
    const p = await this.project(projectName);
    return (await this.db.all('SELECT * FROM datasets WHERE project_id = ? ORDER BY name, version', [p.id])).map(toDataset);
  }

  async dataset(projectName: string, name: string, version?: number): Promise<DatasetRecord> {
    const p = await this.project(projectName);
    const r = version === undefined
      ? await this.db.get('SELECT * FROM datasets WHERE project_id = ? AND name = ? ORDER BY version DESC LIMIT 1', [p.id, name])
      : await this.db.get('SELECT * FROM datasets WHERE project_id = ? AND name = ? AND version = ?', [p.id, name, version]);
    if (!r) throw new LeptonError('E_NOT_FOUND', `dataset '${name}${version === undefined ? '' : `@${version}`}' not found in project '${projectName}'`, 'upload it first (POST /v1/projects/{project}/datasets)');
    return toDataset(r);
  }

  // ── runs ──────────────────────────────────────────────────────────────────
  async createRun(projectName: string, r: { params: Record<string, unknown>; seed?: number; datasetId?: number; dataHash?: string; packages: Record<string, string>; host: string; pid: number }, actor: Actor): Promise<number> {
    const p = await this.ensureProject(projectName);
    return this.db.transaction(async (tx) => {
      const id = (await tx.run(
        'INSERT INTO runs (project_id, status, params, seed, dataset_id, data_hash, packages, owner_host, owner_pid, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id',
        [p.id, 'running', json(r.params), r.seed ?? null, r.datasetId ?? null, r.dataHash ?? null, json(r.packages), r.host, r.pid, actor.name, now()],
      )).id!;
      await this.auditIn(tx, p.id, actor, 'run.start', `run:${id}`);
      return id;
    });
  }

  async logRunMetric(runId: number, candidate: string, step: number, metrics: Record<string, number | null>): Promise<void> {
    await this.db.run('INSERT INTO run_metrics (run_id, candidate, step, metrics) VALUES (?, ?, ?, ?) ON CONFLICT (run_id, candidate, step) DO UPDATE SET metrics = excluded.metrics', [runId, candidate, step, json(metrics)]);
  }

  async finishRun(runId: number, status: Exclude<RunStatus, 'queued' | 'running'>, result: { metrics?: Record<string, unknown>; error?: string }): Promise<void> {
    await this.db.run('UPDATE runs SET status = ?, metrics = ?, error = ?, finished_at = ? WHERE id = ? AND status IN (?, ?)', [status, json(result.metrics), result.error ?? null, now(), runId, 'queued', 'running']);
  }

  async run(projectName: string, id: number): Promise<RunRecord> {
    const p = await this.project(projectName);
    const r = await this.db.get('SELECT * FROM runs WHERE id = ? AND project_id = ?', [id, p.id]);
    if (!r) throw new LeptonError('E_NOT_FOUND', `run ${id} not found in project '${projectName}'`, 'list runs with GET /v1/projects/{project}/runs');
    return toRun(r);
  }

  async listRuns(projectName: string, limit = 100): Promise<RunRecord[]> {
    const p = await this.project(projectName);
    return (await this.db.all('SELECT * FROM runs WHERE project_id = ? ORDER BY id DESC LIMIT ?', [p.id, limit])).map(toRun);
  }

  async runMetrics(runId: number): Promise<{ candidate: string; step: number; metrics: Record<string, number | null> }[]> {
    const rows = await this.db.all<{ candidate: string; step: number; metrics: string }>('SELECT candidate, step, metrics FROM run_metrics WHERE run_id = ? ORDER BY candidate, step', [runId]);
    return rows.map((r) => ({ candidate: r.candidate, step: Number(r.step), metrics: parse(r.metrics)! }));
  }

  /**
   * Marks runs whose owning process on this host is gone (killed, crashed) as failed, so the
   * registry never shows a run as running forever. Returns the ids it marked.
   */
  async failOrphanedRuns(host: string, isAlive: (pid: number) => boolean): Promise<number[]> {
    const rows = await this.db.all<{ id: number; owner_pid: number }>("SELECT id, owner_pid FROM runs WHERE status IN ('queued', 'running') AND owner_host = ?", [host]);
    const dead = rows.filter((r) => !isAlive(Number(r.owner_pid)));
    for (const r of dead) {
      await this.db.run("UPDATE runs SET status = 'failed', error = ?, finished_at = ? WHERE id = ? AND status IN ('queued', 'running')", [`interrupted: the process running it (pid ${r.owner_pid}) stopped before it finished`, now(), r.id]);
    }
    return dead.map((r) => Number(r.id));
  }

  // ── tuning studies and trials ─────────────────────────────────────────────
  /**
   * Creates a study, or resumes the one with this name. Resuming checks that it is the same
   * search: the same dataset content (hash), target, metric, direction and search space, and
   * the same sampler and seed when they are given; anything else is an E_CONFLICT before any
   * trial starts.
   */
  async createOrResumeStudy(projectName: string, s: StudySpec, actor: Actor): Promise<{ study: StudyRecord; resumed: boolean }> {
    checkName('study', s.name);
    if (s.direction !== 'minimize' && s.direction !== 'maximize') throw new LeptonError('E_OPTION', `unknown direction '${String(s.direction)}'`, 'use minimize or maximize');
    const p = await this.ensureProject(projectName);
    return this.retryConflicts(() =>
      this.db.transaction(async (tx) => {
        const found = await tx.get('SELECT * FROM studies WHERE project_id = ? AND name = ?', [p.id, s.name]);
        if (found) {
          const study = toStudy(found, p.name);
          await this.checkSameStudy(tx, study, s);
          return { study, resumed: true };
        }
        const id = (await tx.run(
          'INSERT INTO studies (project_id, name, dataset_id, data_hash, target, direction, metric, space, sampler, seed, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id',
          [p.id, s.name, s.datasetId ?? null, s.dataHash, s.target, s.direction, s.metric, json(s.space), s.sampler ?? 'tpe', s.seed ?? 0, actor.name, now()],
        )).id!;
        await this.auditIn(tx, p.id, actor, 'study.create', `study:${s.name}`, { dataHash: s.dataHash, target: s.target, metric: s.metric, sampler: s.sampler ?? 'tpe' });
        return { study: toStudy((await tx.get('SELECT * FROM studies WHERE id = ?', [id]))!, p.name), resumed: false };
      }),
    );
  }

  private async checkSameStudy(tx: Queryable, study: StudyRecord, s: StudySpec): Promise<void> {
    const conflict = (what: string) => new LeptonError('E_CONFLICT', `study '${study.name}' ${what}`, 'resume it with the same data and settings, or choose another --study name');
    if (study.dataHash !== s.dataHash) {
      const d = study.datasetId === null ? undefined : await tx.get<{ name: string; version: number }>('SELECT name, version FROM datasets WHERE id = ?', [study.datasetId]);
      throw conflict(`belongs to another dataset (${d ? `'${d.name}@${d.version}', ` : ''}content ${study.dataHash.slice(0, 12)}…, not ${s.dataHash.slice(0, 12)}…)`);
    }
    if (study.target !== s.target) throw conflict(`tunes target '${study.target}', not '${s.target}'`);
    if (study.metric !== s.metric || study.direction !== s.direction) throw conflict(`optimises ${study.metric} (${study.direction}), not ${s.metric} (${s.direction})`);
    if (s.sampler !== undefined && s.sampler !== study.sampler) throw conflict(`uses the ${study.sampler} sampler, not ${s.sampler}`);
    if (s.seed !== undefined && s.seed !== study.seed) throw conflict(`has seed ${study.seed}, not ${s.seed}`);
    if (stableJson(study.space) !== stableJson(s.space)) {
      const [a, b] = [study.space, s.space];
      const names = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
      const diff = names.filter((n) => stableJson(a[n]) !== stableJson(b[n])).map((n) => (!(n in a) ? `'${n}' added` : !(n in b) ? `'${n}' removed` : `'${n}' changed`));
      throw conflict(`was created with a different search space (${diff.join(', ')})`);
    }
  }

  async study(projectName: string, name: string): Promise<StudyRecord> {
    const p = await this.project(projectName);
    const r = await this.db.get('SELECT * FROM studies WHERE project_id = ? AND name = ?', [p.id, name]);
    if (!r) throw new LeptonError('E_NOT_FOUND', `study '${name}' not found in project '${projectName}'`, 'list studies with `lepton tune list`, or start one with `lepton tune … --study NAME`');
    return toStudy(r, p.name);
  }

  async listStudies(projectName: string): Promise<StudyRecord[]> {
    const p = await this.project(projectName);
    return (await this.db.all('SELECT * FROM studies WHERE project_id = ? ORDER BY name', [p.id])).map((r) => toStudy(r, p.name));
  }

  /**
   * Starts the study's next trial, atomically: a queued trial (one whose earlier start was
   * interrupted) is claimed first, lowest number first, with its stored parameters; otherwise
   * `propose` is given the study's trials so far and its parameters become trial number
   * max + 1. Concurrent callers (threads or processes) never share a number. `propose` runs
   * inside the transaction and may be called again if the database asks for a retry, so it
   * must be deterministic in the history (the samplers are). With `maxTrials`, returns null
   * instead of numbering a trial beyond it.
   */
  async startTrial(
    studyId: number,
    propose: (history: TrialRecord[]) => Record<string, unknown> | Promise<Record<string, unknown>>,
    owner: { host: string; pid: number },
    options: { maxTrials?: number } = {},
  ): Promise<TrialRecord | null> {
    return this.retryConflicts(() =>
      this.db.transaction(async (tx) => {
        if (!(await tx.get('SELECT id FROM studies WHERE id = ?', [studyId]))) throw new LeptonError('E_NOT_FOUND', `study ${studyId} not found`);
        const queued = await tx.get<{ id: number }>('SELECT id FROM trials WHERE study_id = ? AND state = ? ORDER BY number LIMIT 1', [studyId, 'queued']);
        let id: number;
        if (queued) {
          id = Number(queued.id);
          await tx.run("UPDATE trials SET state = 'running', attempt = attempt + 1, owner_host = ?, owner_pid = ?, started_at = ? WHERE id = ?", [owner.host, owner.pid, now(), id]);
        } else {
          const history = (await tx.all('SELECT * FROM trials WHERE study_id = ? ORDER BY number', [studyId])).map(toTrial);
          const number = (history[history.length - 1]?.number ?? 0) + 1;
          if (options.maxTrials !== undefined && number > options.maxTrials) return null;
          const params = await propose(history);
          id = (await tx.run(
            'INSERT INTO trials (study_id, number, params, state, intermediate, attempt, owner_host, owner_pid, started_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id',
            [studyId, number, json(params), 'running', '[]', 1, owner.host, owner.pid, now()],
          )).id!;
        }
        return toTrial((await tx.get('SELECT * FROM trials WHERE id = ?', [id]))!);
      }),
    );
  }

  /** Records a running trial's validation score after `step` epochs or rounds (a later report of the same step replaces it). */
  async reportIntermediate(trial: TrialRef, step: number, value: number): Promise<void> {
    if (!Number.isInteger(step) || step < 0) throw new LeptonError('E_VALUE', `trial step must be a whole number ≥ 0 (got ${step})`);
    await this.retryConflicts(() =>
      this.db.transaction(async (tx) => {
        const r = await this.runningTrial(tx, trial);
        const values = (parse<TrialRecord['intermediate']>(r.intermediate) ?? []).filter((v) => v.step !== step);
        values.push({ step, value: Number.isFinite(value) ? value : null });
        values.sort((a, b) => a.step - b.step);
        await tx.run('UPDATE trials SET intermediate = ? WHERE id = ?', [json(values), trial.id]);
      }),
    );
  }

  /** Ends a running trial as complete with its final value, or as pruned with its last reported value. */
  async finishTrial(trial: TrialRef, result: { value: number | null; pruned?: boolean }): Promise<void> {
    const value = result.value;
    if (value !== null ? !Number.isFinite(value) : !result.pruned) {
      throw new LeptonError('E_VALUE', `trial value must be a finite number (got ${value})`, 'record a trial whose score diverged with failTrial');
    }
    const r = await this.db.run("UPDATE trials SET state = ?, value = ?, finished_at = ? WHERE id = ? AND attempt = ? AND state = 'running'", [result.pruned ? 'pruned' : 'complete', value, now(), trial.id, trial.attempt]);
    if (r.changes === 0) await this.runningTrial(this.db, trial);
  }

  /** Ends a running trial as failed (a crash, out of memory, a diverged loss) with the reason. */
  async failTrial(trial: TrialRef, error: string): Promise<void> {
    const r = await this.db.run("UPDATE trials SET state = 'failed', error = ?, finished_at = ? WHERE id = ? AND attempt = ? AND state = 'running'", [error, now(), trial.id, trial.attempt]);
    if (r.changes === 0) await this.runningTrial(this.db, trial);
  }

  /** One trial by id (a trial just finished, to report it), or undefined. */
  async trial(id: number): Promise<TrialRecord | undefined> {
    const row = await this.db.get('SELECT * FROM trials WHERE id = ?', [id]);
    return row ? toTrial(row) : undefined;
  }

  async listTrials(studyId: number): Promise<TrialRecord[]> {
    return (await this.db.all('SELECT * FROM trials WHERE study_id = ? ORDER BY number', [studyId])).map(toTrial);
  }

  /**
   * After a kill: running trials whose process `isDead` says is gone go back to the queue, with
   * their number and parameters and the reason in `error`, their reported values cleared; the
   * next `startTrial` claims them before proposing anything new, so no trial is lost and none
   * runs twice to completion. A trial is re-queued once: interrupted again on its second
   * attempt (say it kills the machine each time), it is marked failed. Conditional updates make
   * this safe when two processes resume at once. Returns the trial numbers it moved.
   */
  async requeueInterruptedTrials(studyId: number, isDead: (owner: TrialRecord['owner']) => boolean): Promise<{ requeued: number[]; failed: number[] }> {
    const running = (await this.db.all('SELECT * FROM trials WHERE study_id = ? AND state = ? ORDER BY number', [studyId, 'running'])).map(toTrial);
    const requeued: number[] = [];
    const failed: number[] = [];
    for (const t of running) {
      if (!isDead(t.owner)) continue;
      const who = `the process running it (pid ${t.owner.pid ?? '?'} on ${t.owner.host ?? '?'})`;
      if (t.attempt < TRIAL_ATTEMPTS) {
        const r = await this.db.run(
          "UPDATE trials SET state = 'queued', intermediate = '[]', error = ?, owner_host = NULL, owner_pid = NULL, started_at = NULL WHERE id = ? AND attempt = ? AND state = 'running'",
          [`interrupted: ${who} stopped before it finished; queued to run again`, t.id, t.attempt],
        );
        if (r.changes > 0) requeued.push(t.number);
      } else {
        const r = await this.db.run("UPDATE trials SET state = 'failed', error = ?, finished_at = ? WHERE id = ? AND attempt = ? AND state = 'running'", [
          `interrupted: ${who} stopped before it finished, on attempt ${t.attempt}; not retried again`,
          now(),
          t.id,
          t.attempt,
        ]);
        if (r.changes > 0) failed.push(t.number);
      }
    }
    return { requeued, failed };
  }

  /** The trial's row if this attempt of it is running; otherwise an E_CONFLICT saying what it is now. */
  private async runningTrial(q: Queryable, trial: TrialRef): Promise<Record<string, unknown>> {
    const r = await q.get('SELECT * FROM trials WHERE id = ?', [trial.id]);
    if (!r) throw new LeptonError('E_NOT_FOUND', `trial ${trial.id} not found`);
    if (r.state !== 'running' || Number(r.attempt) !== trial.attempt) {
      throw new LeptonError('E_CONFLICT', `trial ${String(r.number)} is no longer running this attempt (it is ${String(r.state)}, attempt ${String(r.attempt)}, not ${trial.attempt})`, 'another process took it over after this one was taken for dead; stop this attempt');
    }
    return r;
  }

  /**
   * Runs `fn` again when the database refuses it for a concurrent writer: PostgreSQL's
   * serializable isolation (40001, 40P01), a racing unique insert (23505), or a SQLite file held
   * by another process past the busy timeout.
   */
  private async retryConflicts<T>(fn: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (e) {
        const code = (e as { code?: unknown }).code;
        const retryable = code === '40001' || code === '40P01' || code === '23505' || code === 'SQLITE_BUSY';
        if (!retryable || attempt >= 50) throw e;
        await new Promise((r) => setTimeout(r, Math.random() * Math.min(50, 2 * attempt)));
      }
    }
  }

  // ── model versions and aliases ────────────────────────────────────────────
  /** Registers an artifact (already in the store) as the next version of `name`. */
  async registerModelVersion(projectName: string, m: { name: string; runId?: number; artifact: string; formatVersion: number; task: string; metrics?: Record<string, unknown> }, actor: Actor): Promise<ModelVersion> {
    checkName('model', m.name);
    const p = await this.ensureProject(projectName);
    const version = await this.db.transaction(async (tx) => {
      const last = await tx.get<{ v: number | null }>('SELECT MAX(version) AS v FROM model_versions WHERE project_id = ? AND name = ?', [p.id, m.name]);
      const v = Number(last?.v ?? 0) + 1;
      await tx.run('INSERT INTO model_versions (project_id, name, version, run_id, artifact, format_version, task, metrics, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)', [p.id, m.name, v, m.runId ?? null, m.artifact, m.formatVersion, m.task, json(m.metrics), actor.name, now()]);
      await this.auditIn(tx, p.id, actor, 'model.register', `${m.name}@${v}`, { artifact: m.artifact, runId: m.runId ?? null });
      return v;
    });
    return this.modelVersion(projectName, m.name, version);
  }

  async listModels(projectName: string): Promise<{ name: string; latest: number; versions: number; aliases: Record<string, number> }[]> {
    const p = await this.project(projectName);
    const rows = await this.db.all<{ name: string; latest: number; versions: number }>('SELECT name, MAX(version) AS latest, COUNT(*) AS versions FROM model_versions WHERE project_id = ? GROUP BY name ORDER BY name', [p.id]);
    const aliases = await this.db.all<{ model_name: string; alias: string; version: number }>('SELECT model_name, alias, version FROM aliases WHERE project_id = ?', [p.id]);
    return rows.map((r) => ({
      name: r.name,
      latest: Number(r.latest),
      versions: Number(r.versions),
      aliases: Object.fromEntries(aliases.filter((a) => a.model_name === r.name).map((a) => [a.alias, Number(a.version)])),
    }));
  }

  async listModelVersions(projectName: string, name: string): Promise<ModelVersion[]> {
    const p = await this.project(projectName);
    const rows = await this.db.all('SELECT * FROM model_versions WHERE project_id = ? AND name = ? ORDER BY version', [p.id, name]);
    if (rows.length === 0) throw this.noModel(projectName, name);
    const aliases = await this.aliasesOf(p.id, name);
    return rows.map((r) => toVersion(r, aliases));
  }

  /** A version by number, or by alias (`production`, `staging`, any name). */
  async modelVersion(projectName: string, name: string, ref: number | string): Promise<ModelVersion> {
    const p = await this.project(projectName);
    let version: number;
    if (typeof ref === 'number') version = ref;
    else {
      const a = await this.db.get<{ version: number }>('SELECT version FROM aliases WHERE project_id = ? AND model_name = ? AND alias = ?', [p.id, name, ref]);
      if (!a) {
        const known = Object.keys((await this.listModels(projectName)).find((m) => m.name === name)?.aliases ?? {});
        if (known.length === 0 && !(await this.db.get('SELECT 1 AS x FROM model_versions WHERE project_id = ? AND name = ?', [p.id, name]))) throw this.noModel(projectName, name);
        throw new LeptonError('E_NOT_FOUND', `model '${name}' has no alias '${ref}'${known.length ? ` (it has ${known.map((k) => `'${k}'`).join(', ')})` : ''}`, `promote a version first: lepton models promote ${name}@VERSION --alias ${ref}`);
      }
      version = Number(a.version);
    }
    const r = await this.db.get('SELECT * FROM model_versions WHERE project_id = ? AND name = ? AND version = ?', [p.id, name, version]);
    if (!r) {
      if (!(await this.db.get('SELECT 1 AS x FROM model_versions WHERE project_id = ? AND name = ?', [p.id, name]))) throw this.noModel(projectName, name);
      throw new LeptonError('E_NOT_FOUND', `model '${name}' has no version ${version}`, `list versions with: lepton models show ${name}`);
    }
    return toVersion(r, await this.aliasesOf(p.id, name));
  }

  /** Points `alias` at `version` atomically and records it; returns the version it pointed at before. */
  async setAlias(projectName: string, name: string, alias: string, version: number, actor: Actor): Promise<number | null> {
    checkName('alias', alias);
    if (/^\d+$/.test(alias)) throw new LeptonError('E_OPTION', `alias '${alias}' looks like a version number`, 'use a name such as production or staging');
    const p = await this.project(projectName);
    await this.modelVersion(projectName, name, version);
    return this.db.transaction(async (tx) => {
      const before = await tx.get<{ version: number }>('SELECT version FROM aliases WHERE project_id = ? AND model_name = ? AND alias = ?', [p.id, name, alias]);
      await tx.run('INSERT INTO aliases (project_id, model_name, alias, version, updated_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (project_id, model_name, alias) DO UPDATE SET version = excluded.version, updated_at = excluded.updated_at', [p.id, name, alias, version, now()]);
      await tx.run('INSERT INTO alias_history (project_id, model_name, alias, version, previous, set_by, set_at) VALUES (?, ?, ?, ?, ?, ?, ?)', [p.id, name, alias, version, before ? Number(before.version) : null, actor.name, now()]);
      await this.auditIn(tx, p.id, actor, 'alias.set', `${name}@${alias}`, { version, previous: before ? Number(before.version) : null });
      return before ? Number(before.version) : null;
    });
  }

  /** Moves `alias` back to the version it pointed at before its last move. */
  async rollbackAlias(projectName: string, name: string, alias: string, actor: Actor): Promise<{ from: number; to: number }> {
    const p = await this.project(projectName);
    const last = await this.db.get<{ version: number; previous: number | null }>('SELECT version, previous FROM alias_history WHERE project_id = ? AND model_name = ? AND alias = ? ORDER BY id DESC LIMIT 1', [p.id, name, alias]);
    if (!last || last.previous === null) throw new LeptonError('E_CONFLICT', `alias '${alias}' of model '${name}' has no earlier version to roll back to`, `set it explicitly: lepton models promote ${name}@VERSION --alias ${alias}`);
    await this.setAlias(projectName, name, alias, Number(last.previous), actor);
    return { from: Number(last.version), to: Number(last.previous) };
  }

  // ── deployments ───────────────────────────────────────────────────────────
  /** Records that a server serves `name@alias` with this configuration (upsert). */
  async recordDeployment(projectName: string, name: string, alias: string, config: Record<string, unknown>): Promise<void> {
    const p = await this.project(projectName);
    await this.db.run(
      'INSERT INTO deployments (project_id, model_name, alias, config, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (project_id, model_name, alias) DO UPDATE SET config = excluded.config',
      [p.id, name, alias, json(config), now()],
    );
  }

  async listDeployments(projectName: string): Promise<{ model: string; alias: string; version: number | null; config: Record<string, unknown>; since: string }[]> {
    const p = await this.project(projectName);
    const rows = await this.db.all<{ model_name: string; alias: string; config: string; created_at: string; version: number | null }>(
      'SELECT d.model_name, d.alias, d.config, d.created_at, a.version FROM deployments d LEFT JOIN aliases a ON a.project_id = d.project_id AND a.model_name = d.model_name AND a.alias = d.alias WHERE d.project_id = ? ORDER BY d.model_name, d.alias',
      [p.id],
    );
    return rows.map((r) => ({ model: r.model_name, alias: r.alias, version: r.version === null ? null : Number(r.version), config: parse(r.config) ?? {}, since: r.created_at }));
  }

  // ── audit ─────────────────────────────────────────────────────────────────
  async audit(projectName: string | null, actor: Actor, action: string, target?: string, details?: Record<string, unknown>): Promise<void> {
    const p = projectName ? await this.findProject(projectName) : undefined;
    await this.auditIn(this.db, p?.id ?? null, actor, action, target, details);
  }

  async listAudit(projectName: string, limit = 100): Promise<AuditEntry[]> {
    const p = await this.project(projectName);
    const rows = await this.db.all<{ id: number; actor: string; key_id: number | null; action: string; target: string | null; details: string | null; at: string }>('SELECT * FROM audit_log WHERE project_id = ? ORDER BY id DESC LIMIT ?', [p.id, limit]);
    return rows.map((r) => ({ id: Number(r.id), actor: r.actor, keyId: r.key_id === null ? null : Number(r.key_id), action: r.action, target: r.target, details: parse(r.details), at: r.at }));
  }

  private async auditIn(q: Queryable, projectId: number | null, actor: Actor, action: string, target?: string, details?: Record<string, unknown>): Promise<void> {
    await q.run('INSERT INTO audit_log (project_id, key_id, actor, action, target, details, at) VALUES (?, ?, ?, ?, ?, ?, ?)', [projectId, actor.keyId, actor.name, action, target ?? null, json(details), now()]);
  }

  private async aliasesOf(projectId: number, name: string): Promise<{ alias: string; version: number }[]> {
    return (await this.db.all<{ alias: string; version: number }>('SELECT alias, version FROM aliases WHERE project_id = ? AND model_name = ?', [projectId, name])).map((a) => ({ alias: a.alias, version: Number(a.version) }));
  }

  private noModel(project: string, name: string): LeptonError {
    return new LeptonError('E_NOT_FOUND', `model '${name}' not found in project '${project}'`, 'list models with `lepton models list`');
  }
}

function toDataset(r: Record<string, unknown>): DatasetRecord {
  return { id: Number(r.id), lineage: parse<Lineage>(r.lineage), name: String(r.name), version: Number(r.version), hash: String(r.hash), format: String(r.format), rows: Number(r.rows), columns: parse<string[]>(r.columns) ?? [], source: (r.source as string | null) ?? null, createdBy: (r.created_by as string | null) ?? null, createdAt: String(r.created_at) };
}

function toRun(r: Record<string, unknown>): RunRecord {
  return {
    id: Number(r.id),
    status: r.status as RunStatus,
    params: parse(r.params) ?? {},
    seed: r.seed === null ? null : Number(r.seed),
    datasetId: r.dataset_id === null ? null : Number(r.dataset_id),
    dataHash: (r.data_hash as string | null) ?? null,
    metrics: parse(r.metrics),
    error: (r.error as string | null) ?? null,
    packages: parse(r.packages) ?? {},
    createdBy: (r.created_by as string | null) ?? null,
    createdAt: String(r.created_at),
    finishedAt: (r.finished_at as string | null) ?? null,
  };
}

function toStudy(r: Record<string, unknown>, project: string): StudyRecord {
  return {
    id: Number(r.id),
    project,
    name: String(r.name),
    datasetId: r.dataset_id === null ? null : Number(r.dataset_id),
    dataHash: String(r.data_hash),
    target: String(r.target),
    direction: r.direction as StudyRecord['direction'],
    metric: String(r.metric),
    space: parse(r.space) ?? {},
    sampler: String(r.sampler),
    seed: Number(r.seed),
    createdBy: (r.created_by as string | null) ?? null,
    createdAt: String(r.created_at),
  };
}

function toTrial(r: Record<string, unknown>): TrialRecord {
  return {
    id: Number(r.id),
    studyId: Number(r.study_id),
    number: Number(r.number),
    params: parse(r.params) ?? {},
    state: r.state as TrialState,
    value: r.value === null || r.value === undefined ? null : Number(r.value),
    intermediate: parse(r.intermediate) ?? [],
    error: (r.error as string | null) ?? null,
    attempt: Number(r.attempt),
    owner: { host: (r.owner_host as string | null) ?? null, pid: r.owner_pid === null || r.owner_pid === undefined ? null : Number(r.owner_pid) },
    startedAt: (r.started_at as string | null) ?? null,
    finishedAt: (r.finished_at as string | null) ?? null,
  };
}

/** JSON with object keys sorted, so equal spaces compare equal whatever their key order. */
function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o).sort().filter((k) => o[k] !== undefined).map((k) => `${JSON.stringify(k)}:${stableJson(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

function toVersion(r: Record<string, unknown>, aliases: { alias: string; version: number }[]): ModelVersion {
  const version = Number(r.version);
  return {
    name: String(r.name),
    version,
    runId: r.run_id === null ? null : Number(r.run_id),
    artifact: String(r.artifact),
    formatVersion: Number(r.format_version),
    task: String(r.task),
    metrics: parse(r.metrics),
    aliases: aliases.filter((a) => a.version === version).map((a) => a.alias).sort(),
    createdBy: (r.created_by as string | null) ?? null,
    createdAt: String(r.created_at),
  };
}
