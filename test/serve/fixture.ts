import { readFile } from 'node:fs/promises';
import { LeptonClient } from '../../src/client/client.js';
import { startTrainingJob } from '../../src/jobs/training-job.js';
import { encodeModel } from '../../src/models/artifact.js';
import type { LeptonModel } from '../../src/models/model.js';
import { openHome, type Home } from '../../src/registry/open.js';
import type { Actor } from '../../src/registry/registry.js';
import { startServer, type ServerHandle } from '../../src/serve/server.js';
import { CREDIT, tmp } from '../helpers.js';

export const admin: Actor = { keyId: null, name: 'test' };

/** One credit-g row per applicant, as JSON, from the bundled file. */
export async function creditRows(n: number): Promise<Record<string, string | number>[]> {
  const { readTable } = await import('../../src/data/readers/index.js');
  const t = await readTable(CREDIT);
  return Array.from({ length: n }, (_, r) => Object.fromEntries(t.columnNames.filter((c) => c !== 'class').map((c) => [c, t.cell(c, r) as string | number])));
}

/**
 * A fresh home with project `acme` holding credit@1 (logistic, production) and credit@2
 * (xgboost), and one key per role plus an admin key of another project.
 */
export async function fixture(): Promise<{ home: Home; keys: Record<'admin' | 'trainer' | 'predictor' | 'viewer' | 'other', string>; creditArff: Buffer }> {
  const home = await openHome({ dir: tmp() });
  for (const model of ['logistic', 'xgboost'] as const) {
    const { done } = await startTrainingJob(home, { project: 'acme', dataPath: CREDIT, target: 'class', model, register: { name: 'credit' } }, admin);
    const r = await done;
    if (r.status !== 'succeeded') throw new Error(`fixture training failed: ${r.error}`);
  }
  await home.registry.setAlias('acme', 'credit', 'production', 1, admin);
  const keys = {
    admin: (await home.registry.createKey('acme', 'admin', 'a', admin)).key,
    trainer: (await home.registry.createKey('acme', 'trainer', 't', admin)).key,
    predictor: (await home.registry.createKey('acme', 'predictor', 'p', admin)).key,
    viewer: (await home.registry.createKey('acme', 'viewer', 'v', admin)).key,
    other: (await home.registry.createKey('globex', 'admin', 'o', admin)).key,
  };
  return { home, keys, creditArff: await readFile(CREDIT) };
}

/** Stores `model` as NAME@1 of project acme with the production alias, then disposes it. */
export async function publish(home: Home, name: string, model: LeptonModel): Promise<void> {
  const artifact = await home.artifacts.put(encodeModel(model));
  model.dispose();
  await home.registry.registerModelVersion('acme', { name, artifact, formatVersion: model.manifest.formatVersion, task: model.task }, admin);
  await home.registry.setAlias('acme', name, 'production', 1, admin);
}

export interface Served {
  home: Home;
  server: ServerHandle;
  /** A client with a predictor key of project acme. */
  client: LeptonClient;
  close(): Promise<void>;
}

/** A fresh home whose models `setup` publishes, served on a free port with a predictor key. */
export async function serveModels(setup: (home: Home) => Promise<void>): Promise<Served> {
  const home = await openHome({ dir: tmp() });
  await setup(home);
  const key = (await home.registry.createKey('acme', 'predictor', 'p', admin)).key;
  const server = await startServer({ home, port: 0 });
  return {
    home,
    server,
    client: new LeptonClient({ baseUrl: server.url, apiKey: key }),
    close: async () => {
      await server.close();
      await home.close();
    },
  };
}
