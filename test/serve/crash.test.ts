import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { LeptonClient } from '../../src/client/client.js';
import { CREDIT, ROOT, cli, tmp } from '../helpers.js';
import { readFile } from 'node:fs/promises';

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children) c.kill('SIGKILL');
});

/** `lepton serve` as its own process on a free port; resolves with its URL. */
function serve(home: string): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [join(ROOT, 'dist', 'src', 'cli', 'main.js'), 'serve', '--port', '0', '-q'], { env: { ...process.env, LEPTON_HOME: home } });
  children.push(child);
  return new Promise((resolve, reject) => {
    let err = '';
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(err);
      if (m) resolve({ url: m[1]!, child });
    });
    child.on('exit', (code) => reject(new Error(`server exited (${code}): ${err}`)));
  });
}

function files(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((d) => d.isFile()).map((d) => d.name);
}

describe('serve: kill -9 during training', () => {
  it('leaves a consistent registry: the run is marked failed on restart and no version or half artifact exists', async () => {
    const home = tmp();
    const key = (await cli(['keys', 'create', '--project', 'acme', '--role', 'admin'], { cwd: home })).stdout.trim();
    // keys create wrote into ./.lepton of its cwd; point the server at the same home.
    const lepHome = join(home, '.lepton');
    let { url, child } = await serve(lepHome);
    const client = new LeptonClient({ baseUrl: url, apiKey: key });
    await client.uploadDataset('acme', 'loans', await readFile(CREDIT), 'arff');
    const run = await client.startRun('acme', { dataset: 'loans', target: 'class', model: 'mlp', params: { mlp: { epochs: 100000, patience: 0 } }, register: { name: 'never' } });
    let epochs = 0;
    for await (const e of client.runEvents('acme', run.id)) {
      if (e.type === 'epoch' && ++epochs === 5) break;
    }
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));

    ({ url, child } = await serve(lepHome));
    const after = new LeptonClient({ baseUrl: url, apiKey: key });
    const record = await after.run('acme', run.id);
    expect(record.status).toBe('failed');
    expect(record.error).toMatch(/interrupted: the process running it \(pid \d+\) stopped before it finished/);
    expect((await after.models('acme')).models).toEqual([]);
    expect(files(join(lepHome, 'artifacts')).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    const db = new Database(join(lepHome, 'registry.db'), { readonly: true });
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(db.pragma('foreign_key_check')).toEqual([]);
    db.close();
    // And it serves: the audit log shows the run start, the server answers health checks.
    expect((await after.audit('acme')).entries.map((e) => e.action)).toContain('run.start');
    expect(await after.health()).toEqual({ status: 'ok' });
  });
});
