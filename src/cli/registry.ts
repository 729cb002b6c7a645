import { readFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { LeptonError } from '../errors.js';
import { textTable } from '../eval/format.js';
import { decodeModel } from '../models/artifact.js';
import { openHome, type Home } from '../registry/open.js';
import { ROLES, type Actor, type Role } from '../registry/registry.js';
import { action, parseIntOption, printJson } from './output.js';

/** The person at the terminal, as the audit log records them. */
export function localActor(): Actor {
  return { keyId: null, name: `cli:${userInfo().username}` };
}

export async function withHome<T>(fn: (home: Home) => Promise<T>): Promise<T> {
  const home = await openHome();
  try {
    return await fn(home);
  } finally {
    await home.close();
  }
}

/** NAME, NAME@3 or NAME@production. */
export function parseRef(ref: string): { name: string; version?: number; alias?: string } {
  const [name, at] = ref.split('@');
  if (!name) throw new LeptonError('E_OPTION', `invalid model reference '${ref}'`, 'write NAME, NAME@VERSION or NAME@ALIAS');
  if (at === undefined) return { name };
  return /^\d+$/.test(at) ? { name, version: Number(at) } : { name, alias: at };
}

export function registerRegistryCommands(program: Command): void {
  const models = program.command('models').description('the model registry: versions and aliases');
  models
    .command('list')
    .description('list models with their latest version and aliases')
    .option('--project <name>', 'project', 'default')
    .option('--json', 'as JSON')
    .action(
      action(async (f: { project: string; json?: boolean }) =>
        withHome(async (home) => {
          const list = await home.registry.listModels(f.project);
          if (f.json) return printJson(list);
          if (list.length === 0) return void process.stdout.write(`no models in project '${f.project}' yet: lepton train DATA --target T --register NAME\n`);
          process.stdout.write(`${textTable([['model', 'latest', 'versions', 'aliases'], ...list.map((m) => [m.name, String(m.latest), String(m.versions), Object.entries(m.aliases).map(([a, v]) => `${a}→${v}`).join(' ')])], 1)}\n`);
        }),
      ),
    );
  models
    .command('show')
    .argument('<ref>', 'NAME, NAME@VERSION or NAME@ALIAS')
    .description('show the versions of a model, or one version')
    .option('--project <name>', 'project', 'default')
    .option('--json', 'as JSON')
    .action(
      action(async (ref: string, f: { project: string; json?: boolean }) =>
        withHome(async (home) => {
          const r = parseRef(ref);
          const versions = r.version !== undefined || r.alias ? [await home.registry.modelVersion(f.project, r.name, r.version ?? r.alias!)] : await home.registry.listModelVersions(f.project, r.name);
          if (f.json) return printJson(versions);
          const auc = (m: Record<string, unknown> | null) => {
            const t = (m?.test ?? {}) as { rocAuc?: number; rmse?: number };
            return t.rocAuc !== undefined ? `roc auc ${t.rocAuc.toFixed(4)}` : t.rmse !== undefined ? `rmse ${t.rmse.toFixed(4)}` : '';
          };
          process.stdout.write(`${textTable([['version', 'aliases', 'task', 'test', 'run', 'created'], ...versions.map((v) => [String(v.version), v.aliases.join(' '), v.task, auc(v.metrics), v.runId === null ? '' : String(v.runId), v.createdAt])], 1)}\n`);
        }),
      ),
    );
  models
    .command('register')
    .argument('<file>', 'model file written by `lepton train`')
    .requiredOption('--name <name>', 'model name in the registry')
    .option('--project <name>', 'project', 'default')
    .description('register a model file as the next version of NAME')
    .action(
      action(async (file: string, f: { name: string; project: string }) =>
        withHome(async (home) => {
          let bytes: Buffer;
          try {
            bytes = await readFile(file);
          } catch {
            throw new LeptonError('E_FILE', `model file not found: '${file}'`, 'give the path written by `lepton train --out`');
          }
          const model = decodeModel(bytes, file); // refuse anything that would not load when served
          const { task } = model;
          const { formatVersion } = model.manifest;
          model.dispose();
          const artifact = await home.artifacts.put(bytes);
          const v = await home.registry.registerModelVersion(f.project, { name: f.name, artifact, formatVersion, task }, localActor());
          process.stdout.write(`registered ${f.name}@${v.version} in project '${f.project}'\n`);
        }),
      ),
    );
  models
    .command('promote')
    .argument('<ref>', 'NAME@VERSION')
    .requiredOption('--alias <alias>', 'alias to point at it: production, staging or any name')
    .option('--project <name>', 'project', 'default')
    .description('point an alias at a version (atomic and audited); a running server moves traffic within a second')
    .action(
      action(async (ref: string, f: { alias: string; project: string }) =>
        withHome(async (home) => {
          const r = parseRef(ref);
          if (r.version === undefined) throw new LeptonError('E_OPTION', `promote needs NAME@VERSION (got '${ref}')`, 'e.g. lepton models promote credit@3 --alias production');
          const prev = await home.registry.setAlias(f.project, r.name, f.alias, r.version, localActor());
          process.stdout.write(`${r.name}@${f.alias} → version ${r.version}${prev === null ? '' : ` (was ${prev})`}\n`);
        }),
      ),
    );
  models
    .command('rollback')
    .argument('<name>', 'model name')
    .requiredOption('--alias <alias>', 'alias to move back')
    .option('--project <name>', 'project', 'default')
    .description('move an alias back to the version it pointed at before')
    .action(
      action(async (name: string, f: { alias: string; project: string }) =>
        withHome(async (home) => {
          const r = await home.registry.rollbackAlias(f.project, name, f.alias, localActor());
          process.stdout.write(`${name}@${f.alias} → version ${r.to} (was ${r.from})\n`);
        }),
      ),
    );

  const keys = program.command('keys').description('API keys for the HTTP server');
  keys
    .command('create')
    .requiredOption('--project <name>', 'project the key may act on (created if new)')
    .option('--role <role>', `one of ${ROLES.join(', ')}`, 'admin')
    .option('--name <name>', 'a label for the key', 'cli')
    .option('--json', 'as JSON')
    .description('create an API key; the secret is printed once and stored only as a hash')
    .action(
      action(async (f: { project: string; role: string; name: string; json?: boolean }) =>
        withHome(async (home) => {
          const k = await home.registry.createKey(f.project, f.role as Role, f.name, localActor());
          if (f.json) return printJson({ ...k, project: f.project });
          process.stdout.write(`${k.key}\n`);
          process.stderr.write(`key ${k.id} (${k.role}) for project '${f.project}': store it now, it is not shown again\n`);
        }),
      ),
    );
  keys
    .command('list')
    .requiredOption('--project <name>', 'project')
    .description('list keys (ids, roles, prefixes; never secrets)')
    .action(
      action(async (f: { project: string }) =>
        withHome(async (home) => {
          const list = await home.registry.listKeys(f.project);
          process.stdout.write(`${textTable([['id', 'name', 'role', 'prefix', 'created', 'revoked'], ...list.map((k) => [String(k.id), k.name, k.role, k.prefix, k.createdAt, k.revokedAt ?? ''])], 2)}\n`);
        }),
      ),
    );
  keys
    .command('revoke')
    .argument('<id>', 'key id', parseIntOption('id'))
    .requiredOption('--project <name>', 'project')
    .description('revoke a key')
    .action(
      action(async (id: number, f: { project: string }) =>
        withHome(async (home) => {
          await home.registry.revokeKey(f.project, id, localActor());
          process.stdout.write(`revoked key ${id}\n`);
        }),
      ),
    );
}
