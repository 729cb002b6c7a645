/**
 * Model versions held in memory for serving. A request resolves its alias to a version
 * (cached for `aliasTtlMs`, dropped at once when this server moves the alias), takes a lease
 * on that version and gives it back when done. Moving an alias only changes which version new
 * requests lease: in-flight requests finish on the version they started with, and a version is
 * disposed only when nobody holds it and it has been idle for `idleMs`. That is hot swap.
 * @module
 */
import { hostname } from 'node:os';
import { LeptonError } from '../errors.js';
import { decodeModel } from '../models/artifact.js';
import type { LeptonModel } from '../models/model.js';
import type { Home } from '../registry/open.js';
import { Batcher, type BatchOptions } from './batcher.js';
import type { ServerMetrics } from './metrics.js';

interface Entry {
  key: string;
  version: number;
  model: Promise<{ model: LeptonModel; batcher: Batcher }>;
  leases: number;
  lastUsed: number;
}

export interface Lease {
  name: string;
  version: number;
  model: LeptonModel;
  batcher: Batcher;
  /** Requests holding this version right now, this one included. */
  concurrent(): number;
  release(): void;
}

export class ModelPool {
  private readonly entries = new Map<string, Entry>();
  private readonly aliases = new Map<string, { version: number; at: number }>();
  private readonly deployed = new Set<string>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly home: Home,
    private readonly batch: BatchOptions,
    private readonly metrics?: ServerMetrics,
    private readonly aliasTtlMs = 1000,
    private readonly idleMs = 60_000,
  ) {
    this.sweeper = setInterval(() => this.sweep(), Math.min(idleMs, 10_000));
    this.sweeper.unref();
  }

  async acquire(project: string, name: string, ref: { alias?: string; version?: number }): Promise<Lease> {
    const version = ref.version ?? (await this.resolveAlias(project, name, ref.alias ?? 'production'));
    const key = `${project}/${name}@${version}`;
    let e = this.entries.get(key);
    if (!e) {
      const load = this.load(project, name, version, key);
      e = { key, version, model: load, leases: 0, lastUsed: Date.now() };
      this.entries.set(key, e);
      load.catch(() => this.entries.delete(key));
      this.metrics?.loadedModels.set(this.entries.size);
    }
    e.leases++;
    try {
      const { model, batcher } = await e.model;
      const entry = e;
      let released = false;
      return {
        name,
        version,
        model,
        batcher,
        concurrent: () => entry.leases,
        release: () => {
          if (released) return;
          released = true;
          entry.leases--;
          entry.lastUsed = Date.now();
        },
      };
    } catch (err) {
      e.leases--;
      throw err;
    }
  }

  /** Called when this server moves an alias, so the next request sees it at once. */
  forgetAlias(project: string, name: string, alias: string): void {
    this.aliases.delete(`${project}/${name}/${alias}`);
  }

  /** Disposes idle versions nobody holds. */
  sweep(now = Date.now()): void {
    for (const e of this.entries.values()) {
      if (e.leases === 0 && now - e.lastUsed >= this.idleMs) {
        this.entries.delete(e.key);
        void e.model.then(({ model }) => model.dispose()).catch(() => undefined);
      }
    }
    this.metrics?.loadedModels.set(this.entries.size);
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    for (const e of this.entries.values()) await e.model.then(({ model }) => model.dispose()).catch(() => undefined);
    this.entries.clear();
  }

  private async resolveAlias(project: string, name: string, alias: string): Promise<number> {
    const k = `${project}/${name}/${alias}`;
    const hit = this.aliases.get(k);
    if (hit && Date.now() - hit.at < this.aliasTtlMs) return hit.version;
    const v = await this.home.registry.modelVersion(project, name, alias);
    this.aliases.set(k, { version: v.version, at: Date.now() });
    if (!this.deployed.has(k)) {
      // The registry's record that this alias is being served, and how.
      this.deployed.add(k);
      await this.home.registry.recordDeployment(project, name, alias, { ...this.batch, host: hostname(), pid: process.pid });
    }
    return v.version;
  }

  private async load(project: string, name: string, version: number, key: string): Promise<{ model: LeptonModel; batcher: Batcher }> {
    const mv = await this.home.registry.modelVersion(project, name, version);
    const bytes = await this.home.artifacts.get(mv.artifact);
    let model: LeptonModel;
    try {
      model = decodeModel(bytes, `${name}@${version}`);
    } catch (e) {
      throw new LeptonError('E_REGISTRY', `model ${name}@${version} cannot be loaded: ${(e as Error).message}`, (e as LeptonError).hint, { cause: e });
    }
    return { model, batcher: new Batcher(model, this.batch, key, this.metrics) };
  }
}
